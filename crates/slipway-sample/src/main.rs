//! Entry point: `slipway-sample train` or `slipway-sample serve`, the
//! argument SageMaker passes to an exec-form ENTRYPOINT, or `train` /
//! `serve` as the binary's own name (see `slipway_sample::cli`).

use slipway_sample::cli::{self, Command};
use slipway_sample::paths::MlRoot;
use slipway_sample::{log, say, serve, train};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use tokio::signal::unix::{signal, SignalKind};

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().collect();
    let code = match cli::command(&argv) {
        Ok(Command::Train) => run_train(),
        Ok(Command::Serve) => run_serve(),
        Err(usage) => {
            log::error(&usage);
            2
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Training runs on its own thread while this one waits for signals: as
/// PID 1 in a container the default SIGTERM action does not apply, so
/// without a handler a stopped job would wait for SIGKILL.
fn run_train() -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::error(&format!("cannot start the runtime: {e}"));
            return 1;
        }
    };
    runtime.block_on(async {
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            log::error("cannot install signal handlers");
            return 1;
        };
        let (tx, mut done) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(train::run(&MlRoot::from_env()));
        });
        loop {
            tokio::select! {
                code = &mut done => return code.unwrap_or(1), // Err: the thread panicked
                _ = term.recv() => {
                    if train::IGNORE_SIGTERM.load(Ordering::SeqCst) {
                        say!("SIGTERM received and ignored (mode=ignore-sigterm)");
                    } else {
                        say!("SIGTERM received: stopping training");
                        return 143;
                    }
                }
                _ = int.recv() => {
                    say!("SIGINT received: stopping training");
                    return 130;
                }
            }
        }
    })
}

fn run_serve() -> i32 {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(serve::run(&MlRoot::from_env())),
        Err(e) => {
            log::error(&format!("cannot start the runtime: {e}"));
            1
        }
    }
}
