//! `slipway-sample train` run as a process against a temporary ML root.

use crate::{sample, send_signal, spawn_with_lines, wait_exit, wait_for_line};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// A training tree with `y = 3·x1 − 2·x2 + 1 + noise` in `train/` (nested)
/// and `validation/`, and the config files the platform writes.
fn ml_root(hyperparameters: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("input/config")).unwrap();
    std::fs::create_dir_all(root.join("input/data/train/part")).unwrap();
    std::fs::create_dir_all(root.join("input/data/validation")).unwrap();
    std::fs::write(
        root.join("input/config/hyperparameters.json"),
        hyperparameters,
    )
    .unwrap();
    std::fs::write(
        root.join("input/config/inputdataconfig.json"),
        r#"{"train": {"ContentType": "text/csv", "TrainingInputMode": "File"}, "validation": {"TrainingInputMode": "File"}}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("input/config/resourceconfig.json"),
        r#"{"current_host": "algo-1", "hosts": ["algo-1"]}"#,
    )
    .unwrap();
    let rows = |seed: u64, n: usize| {
        let mut state = seed;
        let mut out = String::from("y,x1,x2\n");
        for _ in 0..n {
            let mut next = || {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            let (x1, x2, noise) = (next() * 10.0, next() * 5.0 - 2.5, (next() - 0.5) * 0.1);
            out += &format!("{},{x1},{x2}\n", 3.0 * x1 - 2.0 * x2 + 1.0 + noise);
        }
        out
    };
    std::fs::write(root.join("input/data/train/a.csv"), rows(1, 300)).unwrap();
    std::fs::write(root.join("input/data/train/part/b.csv"), rows(2, 200)).unwrap();
    std::fs::write(root.join("input/data/validation/v.csv"), rows(3, 100)).unwrap();
    dir
}

fn run(root: &Path) -> (i32, String) {
    let out = sample(root, "train").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), stdout)
}

fn failure(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join("output/failure")).ok()
}

#[test]
fn learns_the_weights_and_reports_metrics() {
    let dir = ml_root(r#"{"epochs": "300", "unknown_key": "ignored"}"#);
    let (code, stdout) = run(dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(failure(dir.path()), None);

    let model: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("model/model.json")).unwrap(),
    )
    .unwrap();
    let w: Vec<f64> = serde_json::from_value(model["weights"].clone()).unwrap();
    let bias = model["bias"].as_f64().unwrap();
    assert_eq!(model["feature_count"], 2);
    assert!((w[0] - 3.0).abs() < 0.02, "{model}");
    assert!((w[1] + 2.0).abs() < 0.02, "{model}");
    assert!((bias - 1.0).abs() < 0.05, "{model}");

    assert!(stdout.contains("epoch=1 train:mse="), "{stdout}");
    assert!(stdout.contains("epoch=300 train:mse="), "{stdout}");
    let metric = |name: &str| -> f64 {
        let line = stdout.lines().rfind(|l| l.starts_with(name)).unwrap();
        line[name.len()..].parse().unwrap()
    };
    assert!(metric("train:mse=") < 0.01, "{stdout}");
    assert!(metric("validation:mse=") < 0.01, "{stdout}");

    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("output/data/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["records"]["train"], 500);
    assert_eq!(report["records"]["validation"], 100);
}

#[test]
fn fail_mode_writes_the_failure_file() {
    let dir = ml_root(r#"{"mode": "fail"}"#);
    let (code, _) = run(dir.path());
    assert_eq!(code, 1);
    assert!(failure(dir.path()).unwrap().contains("mode=fail"));

    let dir = ml_root(r#"{"mode": "fail", "failure_message": "custom reason"}"#);
    assert_eq!(run(dir.path()).0, 1);
    assert_eq!(failure(dir.path()).unwrap(), "custom reason");
}

#[test]
fn badly_typed_hyperparameter_fails_with_its_name() {
    let dir = ml_root(r#"{"epochs": "ten"}"#);
    assert_eq!(run(dir.path()).0, 1);
    let msg = failure(dir.path()).unwrap();
    assert!(
        msg.contains("\"epochs\"") && msg.contains("\"ten\""),
        "{msg}"
    );
    assert!(!dir.path().join("model/model.json").exists());
}

#[test]
fn crash_mode_exits_3_without_failure_file() {
    let dir = ml_root(r#"{"mode": "crash"}"#);
    let (code, stdout) = run(dir.path());
    assert_eq!(code, 3);
    assert!(stdout.contains("about to crash"), "{stdout}");
    assert_eq!(failure(dir.path()), None);
}

#[test]
fn missing_or_unusable_channels_are_explained() {
    let dir = ml_root("{}");
    std::fs::remove_dir_all(dir.path().join("input/data/train")).unwrap();
    assert_eq!(run(dir.path()).0, 1);
    assert!(failure(dir.path()).unwrap().contains("no training data"));

    let dir = ml_root("{}");
    std::fs::write(dir.path().join("input/data/train/a.csv"), "1,2\n3,x\n").unwrap();
    assert_eq!(run(dir.path()).0, 1);
    let msg = failure(dir.path()).unwrap();
    assert!(msg.contains("a.csv line 2"), "{msg}");
}

/// Plays the platform's part of Pipe mode: `train_<epoch>` FIFOs, each
/// fed `data` once a reader opens it.
fn feed_pipe(root: &Path, data: &'static [u8], epochs: u32) -> std::thread::JoinHandle<()> {
    let dir = root.join("input/data");
    std::fs::create_dir_all(&dir).unwrap();
    let mk = |p: &Path| {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap();
        assert!(ok.success());
    };
    mk(&dir.join("train_0"));
    std::thread::spawn(move || {
        use std::io::Write;
        for epoch in 0..epochs {
            let path = dir.join(format!("train_{epoch}"));
            if epoch > 0 {
                mk(&path);
            }
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            let _ = f.write_all(data); // a reader may close early
        }
    })
}

#[test]
fn pipe_mode_reads_fifos_pass_after_pass() {
    const ROWS: &[u8] = b"7,1,2\n5,3,4\n-1,0,1\n4,2,2\n";
    let dir = ml_root(r#"{"pipe_passes": "2", "pipe_read_bytes": "3", "epochs": "5"}"#);
    std::fs::remove_dir_all(dir.path().join("input/data")).unwrap();
    std::fs::write(
        dir.path().join("input/config/inputdataconfig.json"),
        r#"{"train": {"TrainingInputMode": "Pipe", "RecordWrapperType": "None"}}"#,
    )
    .unwrap();
    let feeder = feed_pipe(dir.path(), ROWS, 3);
    let (code, out) = run(dir.path());
    assert_eq!(code, 0, "{out}\n{:?}", failure(dir.path()));
    feeder.join().unwrap();
    assert!(out.contains("closed it early"), "{out}");
    assert!(
        out.contains("pass 2 read 4 record(s) from train_2"),
        "{out}"
    );
}

#[test]
fn many_files_mode_writes_nested_files() {
    let dir = ml_root(r#"{"mode": "many-files", "files": "250", "epochs": "5"}"#);
    assert_eq!(run(dir.path()).0, 0);
    let files = slipway_sample::data::files_under(&dir.path().join("model")).unwrap();
    assert_eq!(files.len(), 251);
    assert!(dir
        .path()
        .join("model/shards/000/02/part-0000249.txt")
        .is_file());
}

#[test]
fn metrics_and_slow_modes_then_train() {
    let dir = ml_root(r#"{"mode": "metrics", "metric_lines": "50", "epochs": "5"}"#);
    let (code, stdout) = run(dir.path());
    assert_eq!(code, 0);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("step=")).count(),
        50
    );

    let dir = ml_root(r#"{"mode": "slow", "seconds": "0.3", "epochs": "5"}"#);
    let started = std::time::Instant::now();
    assert_eq!(run(dir.path()).0, 0);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn hang_mode_stops_on_sigterm() {
    let dir = ml_root(r#"{"mode": "hang"}"#);
    let (mut child, lines) = spawn_with_lines(&mut sample(dir.path(), "train"));
    wait_for_line(&lines, "will never finish");
    send_signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(5)), Some(143));
}

#[test]
fn ignore_sigterm_mode_needs_sigkill() {
    let dir = ml_root(r#"{"mode": "ignore-sigterm"}"#);
    let (mut child, lines) = spawn_with_lines(&mut sample(dir.path(), "train"));
    wait_for_line(&lines, "will never finish");
    send_signal(&child, "TERM");
    wait_for_line(&lines, "ignored");
    assert_eq!(wait_exit(&mut child, Duration::from_millis(500)), None);
    child.kill().unwrap();
    child.wait().unwrap();
}
