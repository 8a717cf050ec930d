//! Line-at-a-time logging to stdout/stderr.
//!
//! A platform streams container logs line by line (CloudWatch events,
//! metric regexes), so every line is flushed as soon as it is written:
//! nothing may sit in a buffer when the process is killed.

use std::io::Write;

/// Writes one line to stdout and flushes it.
pub fn info(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not crash the algorithm; the line is simply lost.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Writes one line to stderr (unbuffered by the standard library).
pub fn error(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
    let _ = err.flush();
}

/// `info!`-style formatting shorthand for [`info`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::log::info(&format!($($arg)*)) };
}
