//! Time as the API shows it: SageMaker uses epoch seconds with a fraction;
//! storage keeps microseconds so ordering and comparisons stay exact.

use time::OffsetDateTime;

/// Microseconds since the Unix epoch.
pub type Micros = i64;

pub fn now_micros() -> Micros {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000) as Micros
}

/// Epoch seconds with millisecond precision, as real responses carry them.
pub fn micros_to_epoch_seconds(m: Micros) -> f64 {
    ((m / 1_000) as f64) / 1_000.0
}

/// Converts request epoch seconds (possibly fractional) to microseconds.
pub fn epoch_seconds_to_micros(s: f64) -> Micros {
    (s * 1_000_000.0).round() as Micros
}
