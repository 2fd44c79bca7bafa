//! Time, injected. Everything the KMS dates (creation dates, token and material expiry,
//! deletion windows) reads a [`Clock`], so tests move time instead of sleeping. Signature
//! timestamp checks use the real clock, because clients sign with theirs.

use std::fmt;
use std::sync::Mutex;

/// The earliest time the KMS clock may show: 1970-01-01T00:00:00Z.
pub const MIN_TIME: i64 = 0;
/// The latest: 9999-12-31T23:59:59Z, the last second the service's date format can show.
pub const MAX_TIME: i64 = 253_402_300_799;

/// `secs` seconds after `t`, if that is a time the service can show; every date the KMS
/// computes (deletion dates, expiries) goes through here, so none can wrap.
#[must_use]
pub fn later(t: i64, secs: i64) -> Option<i64> {
    t.checked_add(secs)
        .filter(|t| (MIN_TIME..=MAX_TIME).contains(t))
}

/// A clock setting that would show a time outside [`MIN_TIME`]..=[`MAX_TIME`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the KMS clock must stay between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")]
pub struct OutOfRange;

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

impl Mode {
    /// This mode moved by `secs` (forward, or back for a negative `secs`).
    #[must_use]
    pub fn moved(self, secs: i64) -> Option<Self> {
        match self {
            Self::Offset(o) => o.checked_add(secs).map(Self::Offset),
            Self::Fixed(t) => t.checked_add(secs).map(Self::Fixed),
        }
    }

    /// `self`, if the time it shows now is within [`MIN_TIME`]..=[`MAX_TIME`].
    ///
    /// # Errors
    /// [`OutOfRange`] otherwise.
    pub fn validated(self) -> Result<Self, OutOfRange> {
        let now = match self {
            Self::Offset(o) => SystemClock.now().checked_add(o),
            Self::Fixed(t) => Some(t),
        };
        match now {
            Some(t) if (MIN_TIME..=MAX_TIME).contains(&t) => Ok(self),
            _ => Err(OutOfRange),
        }
    }
}

impl ControlledClock {
    /// A clock in `mode` (validate it first with [`Mode::validated`]).
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

    /// Replaces the mode by `change(current)` in one step, unless the change overflows
    /// (`None`) or the new time is out of range; then nothing changes.
    ///
    /// # Errors
    /// [`OutOfRange`].
    pub fn update(&self, change: impl FnOnce(Mode) -> Option<Mode>) -> Result<Mode, OutOfRange> {
        let mut mode = self.mode.lock().map_err(|_| OutOfRange)?;
        let next = change(*mode).ok_or(OutOfRange)?.validated()?;
        *mode = next;
        Ok(next)
    }

    /// Stops the clock at `now`.
    ///
    /// # Errors
    /// [`OutOfRange`] outside 1970–9999.
    pub fn set(&self, now: i64) -> Result<(), OutOfRange> {
        self.update(|_| Some(Mode::Fixed(now))).map(drop)
    }

    /// Moves the time forward (or back, for a negative `secs`), keeping the mode.
    ///
    /// # Errors
    /// [`OutOfRange`] when the result would leave 1970–9999.
    pub fn advance(&self, secs: i64) -> Result<(), OutOfRange> {
        self.update(|m| m.moved(secs)).map(drop)
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
    let mode = if let Some(t) = spec.strip_prefix("fixed:") {
        parse_iso8601(t).map(Mode::Fixed).ok_or_else(bad)?
    } else if let Some(d) = spec.strip_prefix("offset:") {
        parse_duration(d).map(Mode::Offset).ok_or_else(bad)?
    } else {
        return Err(bad());
    };
    mode.validated()
        .map_err(|e| format!("--clock {spec:?}: {e}"))
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
        c.advance(5).unwrap();
        assert_eq!(c.now(), 15);
        c.reset();
        assert!((c.now() - SystemClock.now()).abs() <= 1);
        c.advance(3600).unwrap();
        assert!((c.now() - SystemClock.now() - 3600).abs() <= 1);
    }

    /// The overflow of the review: a huge advance used to wrap (release) and then make a
    /// 7-day deletion window end at once. Now the clock refuses it and stays where it was.
    #[test]
    fn the_clock_stays_within_1970_to_9999() {
        let c = ControlledClock::new(Mode::Fixed(1_704_067_200));
        assert_eq!(c.advance(9_223_372_036_854_775_000), Err(OutOfRange));
        assert_eq!(c.advance(i64::MIN), Err(OutOfRange));
        assert_eq!(c.now(), 1_704_067_200);
        assert_eq!(c.set(MAX_TIME + 1), Err(OutOfRange));
        assert_eq!(c.set(-1), Err(OutOfRange));
        c.set(MAX_TIME).unwrap();
        assert_eq!(c.advance(1), Err(OutOfRange));
        assert_eq!(c.now(), MAX_TIME);
        c.reset();
        assert_eq!(c.advance(MAX_TIME), Err(OutOfRange));
        assert!(parse_clock_spec("offset:+9000000d").is_err());
        assert!(parse_clock_spec("offset:-100000d").is_err());
        assert_eq!(later(MAX_TIME - 10, 10), Some(MAX_TIME));
        assert_eq!(later(MAX_TIME - 10, 11), None);
        assert_eq!(later(i64::MAX, 1), None);
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
