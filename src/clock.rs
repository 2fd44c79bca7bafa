//! Time, injected. Everything the KMS dates (creation dates, token and material expiry,
//! deletion windows) reads a [`Clock`], so tests move time instead of sleeping. Signature
//! timestamp checks use the real clock, because clients sign with theirs.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current time, in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock that moves only when told to (tests, fixtures).
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock stopped at `now`.
    #[must_use]
    pub fn new(now: i64) -> Self {
        Self {
            now: AtomicI64::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward (or back, for a negative `secs`).
    pub fn advance(&self, secs: i64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Formats epoch seconds as the service does: `yyyy-MM-ddTHH:mm:ssZ` (UTC).
#[must_use]
pub fn iso8601(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ` (fractional seconds tolerated) into epoch seconds.
#[must_use]
pub fn parse_iso8601(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(iso8601(1_518_307_200), "2018-02-11T00:00:00Z");
        assert_eq!(parse_iso8601("2018-02-11T00:00:00Z"), Some(1_518_307_200));
        assert_eq!(parse_iso8601("2018-02-11 00:00:00"), None);
        let c = ManualClock::new(10);
        c.advance(5);
        assert_eq!(c.now(), 15);
    }
}
