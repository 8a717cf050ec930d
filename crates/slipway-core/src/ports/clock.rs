//! The clock port: where the control plane reads the time it stores and
//! shows (creation times, transitions, expiries). Sleeps and timeouts stay
//! on `tokio::time`; a test pauses that and uses [`TestClock`], which
//! derives wall time from `tokio::time::Instant`, so virtual time drives
//! both the timers and the timestamps and they agree.

use crate::time_util::{self, Micros};
use std::sync::atomic::{AtomicI64, Ordering};

/// Time as the control plane reads it.
pub trait Clock: Send + Sync + 'static {
    /// Now, in whole milliseconds, strictly increasing for this clock: the
    /// creation time of resources, so that two created in the same
    /// millisecond still sort in creation order (see
    /// [`time_util::now_micros`]).
    fn now_micros(&self) -> Micros;

    /// Now, in whole milliseconds of the wall clock, never ahead of it:
    /// for times that need no tie-breaking (transitions, expiries).
    fn wall_micros(&self) -> Micros;
}

/// The host's clock, what the server runs on.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> Micros {
        time_util::now_micros()
    }

    fn wall_micros(&self) -> Micros {
        time_util::wall_micros()
    }
}

/// Makes a wall clock strictly increasing in whole milliseconds, as
/// [`time_util::now_micros`] does for the system clock.
#[derive(Debug, Default)]
pub struct StrictlyIncreasing {
    last: AtomicI64,
}

impl StrictlyIncreasing {
    pub const fn new() -> Self {
        Self {
            last: AtomicI64::new(0),
        }
    }

    /// `wall` if it is past the last value handed out, else one millisecond
    /// after that.
    pub fn next(&self, wall: Micros) -> Micros {
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = wall.max(last + 1_000);
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }
}

/// A clock for tests: wall time is a fixed epoch plus the time
/// `tokio::time::Instant` has advanced since the clock was made. Under
/// paused tokio time (`#[tokio::test(start_paused = true)]`) it moves only
/// as the runtime's virtual time does, so a job that sleeps its
/// MaxRuntimeInSeconds shows exactly that much in its timestamps.
#[cfg(any(test, feature = "testkit"))]
#[derive(Debug)]
pub struct TestClock {
    epoch_wall: Micros,
    epoch: tokio::time::Instant,
    order: StrictlyIncreasing,
}

#[cfg(any(test, feature = "testkit"))]
impl TestClock {
    /// 2024-01-01T00:00:00Z: a whole second, so test expectations read well.
    pub const DEFAULT_EPOCH: Micros = 1_704_067_200_000_000;

    /// A clock reading `epoch_wall` now. Call inside the runtime whose
    /// time it should follow.
    pub fn new(epoch_wall: Micros) -> Self {
        Self {
            epoch_wall,
            epoch: tokio::time::Instant::now(),
            order: StrictlyIncreasing::default(),
        }
    }
}

#[cfg(any(test, feature = "testkit"))]
impl Default for TestClock {
    fn default() -> Self {
        Self::new(Self::DEFAULT_EPOCH)
    }
}

#[cfg(any(test, feature = "testkit"))]
impl Clock for TestClock {
    fn now_micros(&self) -> Micros {
        self.order.next(self.wall_micros())
    }

    fn wall_micros(&self) -> Micros {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.epoch);
        let ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX / 1_000);
        self.epoch_wall.saturating_add(ms.saturating_mul(1_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing_steps_past_ties() {
        let s = StrictlyIncreasing::default();
        assert_eq!(s.next(5_000), 5_000);
        assert_eq!(s.next(5_000), 6_000);
        assert_eq!(s.next(4_000), 7_000);
        assert_eq!(s.next(9_000), 9_000);
    }

    #[test]
    fn the_system_clock_is_whole_milliseconds() {
        let c = SystemClock;
        let (a, b) = (c.now_micros(), c.now_micros());
        assert!(b > a && a % 1_000 == 0 && c.wall_micros() % 1_000 == 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_test_clock_follows_virtual_time() {
        let c = TestClock::default();
        assert_eq!(c.wall_micros(), TestClock::DEFAULT_EPOCH);
        tokio::time::sleep(std::time::Duration::from_secs(90)).await;
        assert_eq!(c.wall_micros(), TestClock::DEFAULT_EPOCH + 90_000_000);
        let a = c.now_micros();
        assert_eq!(c.now_micros(), a + 1_000);
    }
}
