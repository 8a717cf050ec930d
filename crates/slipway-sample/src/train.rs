//! `train`: the training container contract (`docs/contracts.md` §3).
//!
//! Reads the config files the platform prepares, learns a linear regression
//! on the `train` channel (and scores `validation` when present), writes
//! `model/model.json` and `output/data/report.json`, and prints metric lines
//! (`train:mse=…`, `validation:mse=…`) for MetricDefinitions. Every failure
//! is explained in `output/failure` before exiting 1, except the `crash`
//! mode, whose point is to leave no explanation.

use crate::hyperparams::{Hyperparameters, Mode};
use crate::linreg::{self, Dataset, FitOptions};
use crate::model::MODEL_FILE;
use crate::paths::MlRoot;
use crate::{data, log, say};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by `mode=ignore-sigterm`; the signal loop in `main` reads it.
pub static IGNORE_SIGTERM: AtomicBool = AtomicBool::new(false);

/// Exit code of `mode=crash`.
pub const CRASH_EXIT_CODE: i32 = 3;

/// Runs the whole training and returns the process exit code.
pub fn run(root: &MlRoot) -> i32 {
    match run_inner(root) {
        Ok(code) => code,
        Err(msg) => {
            write_failure(root, &msg);
            1
        }
    }
}

/// Logs `msg` and writes it to `output/failure` (FailureReason source).
fn write_failure(root: &MlRoot, msg: &str) {
    log::error(&format!("training failed: {msg}"));
    let path = root.failure_file();
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, msg));
    if let Err(e) = written {
        log::error(&format!("cannot write {}: {e}", path.display()));
    }
}

fn run_inner(root: &MlRoot) -> Result<i32, String> {
    say!(
        "slipway-sample train: starting (ML root {})",
        root.root().display()
    );
    let hp = read_hyperparameters(root)?;
    let pipes = check_input_config(root)?;
    log_resource_config(root);
    keep_checkpoint(root);
    if hp.mode == Mode::DialOut || crate::dialout::requested() {
        // Before training, not alongside: the process may be done before a
        // background attempt would have started.
        crate::dialout::startup_blocking();
    }

    match hp.mode {
        Mode::Fail => {
            say!("mode=fail: failing on purpose");
            return Err(hp.failure_message.clone().unwrap_or_else(|| {
                "mode=fail: this sample algorithm was asked to fail (hyperparameter mode=fail)"
                    .to_string()
            }));
        }
        Mode::Crash => {
            say!("mode=crash: about to crash without writing a failure file");
            log::error("fatal: simulated crash (segfault-like), exiting with code 3");
            return Ok(CRASH_EXIT_CODE);
        }
        Mode::Oom => exhaust_memory(),
        Mode::Hang => hang("hang"),
        Mode::IgnoreSigterm => {
            IGNORE_SIGTERM.store(true, Ordering::SeqCst);
            hang("ignore-sigterm")
        }
        Mode::Slow => {
            say!(
                "mode=slow: sleeping {:.3}s before training",
                hp.seconds.as_secs_f64()
            );
            std::thread::sleep(hp.seconds);
        }
        Mode::Metrics => metric_burst(hp.metric_lines),
        Mode::Normal | Mode::ManyFiles | Mode::DialOut => {}
    }
    if !hp.probe.is_empty() {
        crate::cluster::probe_all(&hp.probe);
    }
    let pipe_read = |name: &str| {
        pipes.get(name).map(|&recordio| crate::pipe::PipeRead {
            recordio,
            passes: if name == "train" { hp.pipe_passes } else { 1 },
            close_after: if name == "train" {
                hp.pipe_read_bytes
            } else {
                0
            },
        })
    };
    let load_train_pipe =
        |how| crate::pipe::load(root, "train", how).map_err(|e| format!("channel \"train\": {e}"));
    // Several hosts: exchange counts with the others; only `algo-1` goes
    // on to train and write the model. A Pipe-mode `train` stream can be
    // read only once, so in a cluster it is read (and counted) first.
    let cluster = crate::cluster::Cluster::read(root);
    let mut piped_train = None;
    let summary = match &cluster {
        Some(c) => {
            let records = match pipe_read("train") {
                Some(how) => {
                    let set = load_train_pipe(how)?;
                    let n = set.len() as u64;
                    piped_train = Some(set);
                    n
                }
                None => crate::cluster::share_records(root)?,
            };
            match crate::cluster::run_host(&hp, c, root, records)? {
                Some(summary) => Some(summary),
                None => {
                    say!(
                        "training complete ({} wrote its share; {} writes the model)",
                        c.current,
                        c.leader()
                    );
                    return Ok(0);
                }
            }
        }
        None => None,
    };

    let train = match (piped_train, pipe_read("train")) {
        (Some(set), _) => set,
        (None, Some(how)) => load_train_pipe(how)?,
        (None, None) => load_required_channel(root, "train")?,
    };
    let validation = match pipe_read("validation") {
        Some(how) => Some(
            crate::pipe::load(root, "validation", how)
                .map_err(|e| format!("channel \"validation\": {e}"))?,
        ),
        None => load_optional_channel(root, "validation")?,
    };
    if let Some(v) = &validation {
        if v.width() != train.width() {
            return Err(format!(
                "validation records have {} feature(s) but training records have {}",
                v.width(),
                train.width()
            ));
        }
    }
    say!(
        "training on {} record(s) with {} feature(s)",
        train.len(),
        train.width()
    );

    let opts = FitOptions {
        epochs: hp.epochs,
        learning_rate: hp.learning_rate,
        l2: hp.l2,
    };
    let step = (hp.epochs / 100).max(1);
    let model = linreg::fit(&train, opts, |epoch, loss| {
        if epoch <= 10 || epoch % step == 0 || epoch == hp.epochs {
            say!("epoch={epoch} train:mse={loss}");
            if hp.epoch_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(hp.epoch_ms));
            }
        }
    })?;
    let train_mse = linreg::mse(&model, &train);
    say!("train:mse={train_mse}");
    let validation_mse = validation.as_ref().map(|v| linreg::mse(&model, v));
    if let Some(v) = validation_mse {
        say!("validation:mse={v}");
    }

    let model_dir = root.model_dir();
    std::fs::create_dir_all(&model_dir)
        .map_err(|e| format!("cannot create {}: {e}", model_dir.display()))?;
    model.save(&model_dir.join(MODEL_FILE))?;
    say!(
        "wrote {} (weights {:?}, bias {})",
        model_dir.join(MODEL_FILE).display(),
        model.weights,
        model.bias
    );
    if hp.mode == Mode::ManyFiles {
        write_many_files(&model_dir, hp.files)?;
    }
    if let (Some(c), Some(summary)) = (&cluster, &summary) {
        let path = model_dir.join("cluster.json");
        std::fs::write(
            &path,
            format!("{:#}\n", crate::cluster::cluster_json(c, summary)),
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let report = json!({
        "records": { "train": train.len(), "validation": validation.as_ref().map(Dataset::len) },
        "features": train.width(),
        "epochs": hp.epochs,
        "learning_rate": hp.learning_rate,
        "metrics": { "train:mse": train_mse, "validation:mse": validation_mse },
        "model": model,
    });
    let out_dir = root.output_data_dir();
    std::fs::create_dir_all(&out_dir)
        .and_then(|()| std::fs::write(out_dir.join("report.json"), format!("{report:#}\n")))
        .map_err(|e| {
            format!(
                "cannot write the training report in {}: {e}",
                out_dir.display()
            )
        })?;
    say!("training complete");
    Ok(0)
}

/// `hyperparameters.json`; a missing file means no hyperparameters.
fn read_hyperparameters(root: &MlRoot) -> Result<Hyperparameters, String> {
    let path = root.config_file("hyperparameters.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let hp = Hyperparameters::parse_json(&text)?;
            say!("hyperparameters: {}", text.trim());
            Ok(hp)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say!("warning: {} is missing; using defaults", path.display());
            Ok(Hyperparameters::default())
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Refuses channel settings this algorithm cannot honour (non-CSV
/// content), which a real algorithm would also refuse. Returns the
/// channels in Pipe mode, each with whether it is RecordIO-wrapped.
fn check_input_config(root: &MlRoot) -> Result<BTreeMap<String, bool>, String> {
    let path = root.config_file("inputdataconfig.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            say!("warning: {} is missing", path.display());
            return Ok(BTreeMap::new());
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let channels: Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| format!("inputdataconfig.json is not a JSON object: {e}"))?;
    let mut pipes = BTreeMap::new();
    for (name, cfg) in &channels {
        say!("channel {name}: {cfg}");
        if name != "train" && name != "validation" {
            continue;
        }
        if cfg.get("TrainingInputMode").and_then(Value::as_str) == Some("Pipe") {
            let recordio = cfg.get("RecordWrapperType").and_then(Value::as_str) == Some("RecordIO");
            pipes.insert(name.clone(), recordio);
        }
        if let Some(ct) = cfg.get("ContentType").and_then(Value::as_str) {
            if !ct.to_ascii_lowercase().starts_with("text/csv") {
                return Err(format!(
                    "channel {name:?} has ContentType {ct:?}; this algorithm reads text/csv only"
                ));
            }
        }
    }
    Ok(pipes)
}

/// With a `CheckpointConfig` (`checkpointconfig.json`), says which run
/// of the job this is from the checkpoint a previous run left, and writes
/// `sample-checkpoint.json` (`{"runs": n}`) before training, so a platform
/// syncing checkpoints has something to upload while the job still runs.
fn keep_checkpoint(root: &MlRoot) {
    let cfg = root.config_file("checkpointconfig.json");
    let Ok(text) = std::fs::read_to_string(&cfg) else {
        return;
    };
    let local = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("LocalPath")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "/opt/ml/checkpoints".into());
    // Under a test's ML root, /opt/ml/… lives below it.
    let dir = match local.strip_prefix("/opt/ml/") {
        Some(rest) => root.root().join(rest),
        None => std::path::PathBuf::from(&local),
    };
    let file = dir.join("sample-checkpoint.json");
    let runs = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("runs").and_then(Value::as_u64));
    match runs {
        Some(n) => say!(
            "resuming from checkpoint {}: {n} earlier run(s)",
            file.display()
        ),
        None => say!("no checkpoint at {}: starting afresh", file.display()),
    }
    let body = json!({"runs": runs.unwrap_or(0) + 1}).to_string();
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, body)) {
        Ok(()) => say!("wrote checkpoint {}", file.display()),
        Err(e) => say!("warning: cannot write checkpoint {}: {e}", file.display()),
    }
}

/// Logs `resourceconfig.json` whole (on one line: which host, group and
/// instance type this is, and the cluster) and the entries of
/// `input/data/` (the channels this host was given), so a platform's test
/// can see from the log what each host got.
fn log_resource_config(root: &MlRoot) {
    let path = root.config_file("resourceconfig.json");
    match std::fs::read_to_string(&path).map(|t| serde_json::from_str::<Value>(&t)) {
        Ok(Ok(cfg)) => say!("resource config: {cfg}"),
        Ok(Err(e)) => say!("warning: {} is not valid JSON: {e}", path.display()),
        Err(e) => say!("warning: cannot read {}: {e}", path.display()),
    }
    let mut entries: Vec<String> = std::fs::read_dir(root.input_data_dir())
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    say!("input data: {}", Value::from(entries));
}

fn load_required_channel(root: &MlRoot, name: &str) -> Result<Dataset, String> {
    let dir = root.channel_dir(name);
    if !dir.is_dir() {
        return Err(format!(
            "no training data: channel {name:?} is missing (expected CSV files under {})",
            dir.display()
        ));
    }
    data::load_channel(&dir).map_err(|e| format!("channel {name:?}: {e}"))
}

fn load_optional_channel(root: &MlRoot, name: &str) -> Result<Option<Dataset>, String> {
    if root.channel_dir(name).is_dir() {
        load_required_channel(root, name).map(Some)
    } else {
        Ok(None)
    }
}

/// `many-files`: `count` small files, 100 per directory, two levels deep,
/// so model.tar.gz packing and extraction see a realistic tree.
fn write_many_files(model_dir: &Path, count: u32) -> Result<(), String> {
    for i in 0..count {
        let dir = model_dir.join(format!("shards/{:03}/{:02}", i / 10_000, (i / 100) % 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let file = dir.join(format!("part-{i:07}.txt"));
        std::fs::write(&file, format!("shard {i}\n"))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    say!(
        "mode=many-files: wrote {count} extra file(s) under {}",
        model_dir.join("shards").display()
    );
    Ok(())
}

/// `oom`: allocates and touches 16 MiB blocks until the kernel kills us.
fn exhaust_memory() -> ! {
    const BLOCK: usize = 16 * 1024 * 1024;
    let mut held: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; BLOCK];
        // Write every page so the memory is really resident, not just reserved.
        for page in block.chunks_mut(4096) {
            page[0] = 1;
        }
        held.push(std::hint::black_box(block));
        say!("mode=oom: holding {} MiB", held.len() * 16);
    }
}

/// `hang` / `ignore-sigterm`: never returns; prints a heartbeat.
fn hang(mode: &str) -> ! {
    say!("mode={mode}: this job will never finish");
    let mut beats: u64 = 0;
    loop {
        std::thread::sleep(Duration::from_secs(5));
        beats += 1;
        say!("mode={mode}: still running ({}s)", beats * 5);
    }
}

/// `metrics`: a burst of lines in the usual `name=value` shape, decreasing
/// like a real loss curve, to load the platform's metric parsing.
fn metric_burst(lines: u32) {
    for i in 0..lines {
        let t = f64::from(i + 1);
        say!(
            "step={} train:mse={} validation:mse={} throughput={}",
            i + 1,
            1.0 / t,
            1.5 / t,
            1000.0 + t
        );
    }
}
