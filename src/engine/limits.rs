//! How many commands one person may send: a burst, then a steady rate (the `governor` crate,
//! keyed by Mission Locale and person, on the engine's clock). Past it, the person gets one
//! polite answer, then silence until the window passes; nobody else is slowed down, and a
//! flood costs the bot no more than reading it.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Mutex;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::config::CommandLimits;
use crate::core::SharedClock;

/// The engine's injected clock, as `governor` wants it (nanoseconds since the Unix epoch).
#[derive(Clone)]
struct EngineClock(SharedClock);

impl GovernorClock for EngineClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or(0).max(0);
        Nanos::from(u64::try_from(nanos).unwrap_or(0))
    }
}

/// What to do with a person's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: say so, once.
    Warn,
    /// Over the limit and told already: say nothing.
    Ignore,
}

/// The per-person limiter.
pub struct PersonLimit {
    limiter: RateLimiter<String, HashMapStateStore<String>, EngineClock, NoOpMiddleware<Nanos>>,
    /// People told they are over the limit, until their next allowed command.
    warned: Mutex<HashSet<String>>,
    every_seconds: u32,
}

impl PersonLimit {
    pub fn new(limits: CommandLimits, clock: SharedClock) -> PersonLimit {
        let quota = Quota::with_period(std::time::Duration::from_secs(u64::from(
            limits.every_seconds.max(1),
        )))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN));
        PersonLimit {
            every_seconds: limits.every_seconds,
            limiter: RateLimiter::new(quota, HashMapStateStore::default(), EngineClock(clock)),
            warned: Mutex::new(HashSet::new()),
        }
    }

    /// The steady rate: one command every this many seconds.
    pub fn every_seconds(&self) -> u32 {
        self.every_seconds
    }

    /// One command from `person` (keyed with its Mission Locale).
    pub fn check(&self, tenant: &str, person: &str) -> Verdict {
        let key = format!("{tenant}|{person}");
        let allowed = self.limiter.check_key(&key).is_ok();
        let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
        if allowed {
            warned.remove(&key);
            Verdict::Allowed
        } else if warned.insert(key) {
            Verdict::Warn
        } else {
            Verdict::Ignore
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::core::FixedClock;

    #[test]
    fn a_burst_then_one_warning_then_silence_until_the_window_passes() {
        let t0: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let clock = FixedClock::new(t0);
        let limits = CommandLimits {
            burst: 10,
            every_seconds: 6,
        };
        let limit = PersonLimit::new(limits, Arc::new(clock.clone()));
        for _ in 0..limits.burst {
            assert_eq!(limit.check("demo", "@a:x"), Verdict::Allowed);
        }
        assert_eq!(limit.check("demo", "@a:x"), Verdict::Warn);
        for _ in 0..100 {
            assert_eq!(limit.check("demo", "@a:x"), Verdict::Ignore);
        }
        // Someone else is not slowed down, nor the same person in another Mission Locale.
        assert_eq!(limit.check("demo", "@b:x"), Verdict::Allowed);
        assert_eq!(limit.check("autre", "@a:x"), Verdict::Allowed);
        clock.advance(Duration::seconds(i64::from(limits.every_seconds)));
        assert_eq!(limit.check("demo", "@a:x"), Verdict::Allowed);
        assert_eq!(
            limit.check("demo", "@a:x"),
            Verdict::Warn,
            "told again after a pause"
        );
    }
}
