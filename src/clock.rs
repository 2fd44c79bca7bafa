//! Time, injected. Everything the KMS dates (creation dates, token and material expiry,
//! deletion windows) reads a [`Clock`], so tests move time instead of sleeping. Signature
//! timestamp checks use the real clock, because clients sign with theirs.

use std::fmt;
use std::sync::Mutex;

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

/// A clock under test control: the system clock shifted by an offset, or stopped at a
/// fixed instant. `--clock` sets its start and the admin endpoint moves it.
#[derive(Debug)]
pub struct ControlledClock {
    mode: Mutex<Mode>,
}

/// How a [`ControlledClock`] tells the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// System time plus this many seconds.
    Offset(i64),
    /// Stopped at this instant.
    Fixed(i64),
}

impl ControlledClock {
    /// A clock in `mode`.
    #[must_use]
    pub fn new(mode: Mode) -> Self {
        Self {
            mode: Mutex::new(mode),
        }
    }

    /// The current mode.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.mode.lock().map_or(Mode::Offset(0), |m| *m)
    }

    /// Stops the clock at `now`.
    pub fn set(&self, now: i64) {
        if let Ok(mut m) = self.mode.lock() {
            *m = Mode::Fixed(now);
        }
    }

    /// Moves the time forward (or back, for a negative `secs`), keeping the mode.
    pub fn advance(&self, secs: i64) {
        if let Ok(mut m) = self.mode.lock() {
            *m = match *m {
                Mode::Offset(o) => Mode::Offset(o.saturating_add(secs)),
                Mode::Fixed(t) => Mode::Fixed(t.saturating_add(secs)),
            };
        }
    }

    /// Back to the system clock.
    pub fn reset(&self) {
        if let Ok(mut m) = self.mode.lock() {
            *m = Mode::Offset(0);
        }
    }
}

impl Clock for ControlledClock {
    fn now(&self) -> i64 {
        match self.mode() {
            Mode::Offset(o) => SystemClock.now().saturating_add(o),
            Mode::Fixed(t) => t,
        }
    }
}

/// Parses `--clock`: `system`, `fixed:<RFC 3339 time>` or `offset:<±duration>`.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_clock_spec(spec: &str) -> Result<Mode, String> {
    let bad =
        || format!("--clock {spec:?}: expected system, fixed:2024-01-01T00:00:00Z or offset:+25h");
    if spec == "system" {
        return Ok(Mode::Offset(0));
    }
    if let Some(t) = spec.strip_prefix("fixed:") {
        return parse_iso8601(t).map(Mode::Fixed).ok_or_else(bad);
    }
    if let Some(d) = spec.strip_prefix("offset:") {
        return parse_duration(d).map(Mode::Offset).ok_or_else(bad);
    }
    Err(bad())
}

/// Parses a signed duration: `90`, `90s`, `+15m`, `-25h`, `7d` (seconds when no unit).
#[must_use]
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let (digits, unit) = match rest.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => rest.split_at(i),
        None => (rest, "s"),
    };
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale)?.checked_mul(sign)
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
        let c = ControlledClock::new(Mode::Fixed(10));
        c.advance(5);
        assert_eq!(c.now(), 15);
        c.reset();
        assert!((c.now() - SystemClock.now()).abs() <= 1);
        c.advance(3600);
        assert!((c.now() - SystemClock.now() - 3600).abs() <= 1);
    }
}

#[cfg(test)]
mod spec_tests {
    use super::*;

    #[test]
    fn clock_specs_and_durations() {
        assert_eq!(parse_clock_spec("system"), Ok(Mode::Offset(0)));
        assert_eq!(
            parse_clock_spec("fixed:2024-01-01T00:00:00Z"),
            Ok(Mode::Fixed(1_704_067_200))
        );
        assert_eq!(parse_clock_spec("offset:+25h"), Ok(Mode::Offset(90_000)));
        assert_eq!(parse_clock_spec("offset:-1d"), Ok(Mode::Offset(-86_400)));
        assert!(parse_clock_spec("fixed:yesterday").is_err());
        assert!(parse_clock_spec("later").is_err());
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration("3w"), None);
    }
}
