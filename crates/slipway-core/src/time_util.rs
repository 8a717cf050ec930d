//! Time as the API shows it: SageMaker uses epoch seconds with a fraction;
//! storage keeps microseconds so ordering and comparisons stay exact.

use time::OffsetDateTime;

/// Microseconds since the Unix epoch.
pub type Micros = i64;

/// Now, in whole milliseconds (the precision responses carry, so a client
/// filtering with a timestamp it was given — strict `CreationTimeAfter` —
/// compares against exactly what it saw), and strictly increasing within
/// the process: two resources created in the same millisecond still get
/// distinct times, so listings sorted by creation time keep creation order.
pub fn now_micros() -> Micros {
    static LAST: crate::ports::clock::StrictlyIncreasing =
        crate::ports::clock::StrictlyIncreasing::new();
    LAST.next(wall_micros())
}

/// Now, in whole milliseconds of the wall clock, for times that need no
/// tie-breaking (object and log times, job transitions). Unlike
/// [`now_micros`] it never runs ahead of the clock: a burst of thousands of
/// writes a second would otherwise push `now_micros` into the future by a
/// millisecond per call.
pub fn wall_micros() -> Micros {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000 * 1_000) as Micros
}

/// Epoch seconds with millisecond precision, as real responses carry them.
pub fn micros_to_epoch_seconds(m: Micros) -> f64 {
    ((m / 1_000) as f64) / 1_000.0
}

/// Converts request epoch seconds (possibly fractional) to microseconds.
pub fn epoch_seconds_to_micros(s: f64) -> Micros {
    (s * 1_000_000.0).round() as Micros
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_whole_milliseconds_and_strictly_increasing() {
        let mut prev = now_micros();
        for _ in 0..10_000 {
            let t = now_micros();
            assert_eq!(t % 1_000, 0);
            assert!(t > prev);
            prev = t;
        }
    }

    #[test]
    fn wall_time_does_not_run_ahead() {
        for _ in 0..10_000 {
            now_micros();
        }
        let w = wall_micros();
        assert_eq!(w % 1_000, 0);
        let real = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as Micros;
        assert!(w <= real && real - w < 1_000_000, "{w} vs {real}");
    }
}
