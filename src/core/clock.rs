//! Time, injected. The engine and the background tasks ask a [`Clock`] for "now", and for how
//! long to really wait until a moment of that clock; production uses [`SystemClock`], unit
//! tests use [`FixedClock`] and move it by hand (so no test sleeps), and end-to-end tests of
//! the real binary may run it on a [`ScaledClock`] (time going N times faster), so that a nudge
//! every 15 minutes fires every few seconds without any change to the scheduling code.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// How long to really wait for `span` of this clock's time to pass.
    fn real_wait(&self, span: Duration) -> std::time::Duration {
        span.to_std().unwrap_or_default()
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The wall clock, running `factor` times faster from the moment it is made, for end-to-end
/// tests only (`KITBOT_TIME_SCALE`): the bot logs a warning when it runs on one.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    origin: DateTime<Utc>,
    factor: u32,
}

impl ScaledClock {
    pub fn new(factor: u32) -> Self {
        Self {
            origin: Utc::now(),
            factor: factor.max(1),
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let real = Utc::now() - self.origin;
        self.origin + real * i32::try_from(self.factor).unwrap_or(i32::MAX)
    }

    fn real_wait(&self, span: Duration) -> std::time::Duration {
        span.to_std().unwrap_or_default() / self.factor
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let clock = FixedClock::new(t0);
        let shared = clock.clone();
        assert_eq!(shared.now(), t0);
        clock.advance(Duration::minutes(5));
        assert_eq!(shared.now(), t0 + Duration::minutes(5));
        assert_eq!(
            clock.real_wait(Duration::seconds(3)),
            std::time::Duration::from_secs(3)
        );
    }

    #[test]
    fn a_scaled_clock_runs_faster_and_waits_less() {
        let clock = ScaledClock::new(60);
        assert_eq!(
            clock.real_wait(Duration::minutes(15)),
            std::time::Duration::from_secs(15)
        );
        let before = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(20));
        // 20 ms of real time are at least a second of this clock.
        assert!(clock.now() - before >= Duration::milliseconds(1000));
    }
}
