//! Simulated time, one clock per organization (the test clock).
//!
//! Every piece of billing logic reads "now" through [`now`], never
//! `Utc::now()`. An organization without a clock row runs on real time. A
//! clock is either *running* (real time plus an offset, so time keeps
//! passing at normal speed after an advance) or *frozen* at an instant
//! (after `frozenTime`, and it stays frozen through later advances).
//! Time only moves forward.
//!
//! The test-clock routes use [`advance`] / [`freeze`]; a run that processes
//! deadlines in order can step through them with [`move_to`] so events get
//! the deadline's time.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::error::ApiError;
use super::ids;
use super::store::events::{self as store, ClockRow};

/// The longest jump accepted in one call (about 100 years).
const MAX_JUMP_DAYS: i64 = 36_600;

/// The organization's current simulated time.
pub fn now(conn: &Connection, org_id: &str) -> DateTime<Utc> {
    let real = Utc::now();
    match store::clock(conn, org_id) {
        Ok(Some(row)) => at(&row, real),
        Ok(None) => real,
        Err(e) => {
            tracing::warn!(error = %e, org_id, "could not read the test clock; using real time");
            real
        }
    }
}

fn at(row: &ClockRow, real: DateTime<Utc>) -> DateTime<Utc> {
    if let Some(frozen) = row.frozen_at.as_deref().and_then(ids::parse_instant) {
        return frozen;
    }
    real.checked_add_signed(Duration::milliseconds(row.offset_ms))
        .unwrap_or(real)
}

/// A clock as `GET /test-clock` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The simulated "now" (real time when the clock was never moved).
    pub now: DateTime<Utc>,
    /// Whether the clock was ever moved (`TestClock.isActive`; when false,
    /// `simulatedTime` is `null`).
    pub active: bool,
    /// Frozen clocks do not advance with real time.
    pub frozen: bool,
}

pub fn state(conn: &Connection, org_id: &str) -> Result<ClockState, ApiError> {
    let real = Utc::now();
    Ok(match store::clock(conn, org_id)? {
        Some(row) => ClockState {
            now: at(&row, real),
            active: true,
            frozen: row.frozen_at.is_some(),
        },
        None => ClockState {
            now: real,
            active: false,
            frozen: false,
        },
    })
}

/// Moves the clock forward by whole days; returns the new "now".
/// `days` must be at least 1 (`validation_error` on `advanceDays`).
pub fn advance(conn: &Connection, org_id: &str, days: i64) -> Result<DateTime<Utc>, ApiError> {
    if !(1..=MAX_JUMP_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "advanceDays",
            format!(
                "must be a whole number of days from 1 to {MAX_JUMP_DAYS} (the clock only moves forward)"
            ),
        ));
    }
    advance_by(conn, org_id, Duration::days(days))
}

/// Moves the clock forward by any positive duration; returns the new "now".
pub fn advance_by(
    conn: &Connection,
    org_id: &str,
    by: Duration,
) -> Result<DateTime<Utc>, ApiError> {
    if by <= Duration::zero() || by > Duration::days(MAX_JUMP_DAYS) {
        return Err(ApiError::invalid(
            "advanceDays",
            "the clock only moves forward, by at most 100 years at a time",
        ));
    }
    let real = Utc::now();
    let row = store::clock(conn, org_id)?.unwrap_or(ClockRow {
        offset_ms: 0,
        frozen_at: None,
    });
    let current = at(&row, real);
    let target = current
        .checked_add_signed(by)
        .ok_or_else(|| ApiError::invalid("advanceDays", "the target time is out of range"))?;
    set(conn, org_id, &row, real, target)
}

/// Freezes the clock at `at_time`, which must not be before the current
/// simulated time (`validation_error` on `frozenTime`). Returns it.
pub fn freeze(
    conn: &Connection,
    org_id: &str,
    at_time: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    let real = Utc::now();
    let row = store::clock(conn, org_id)?.unwrap_or(ClockRow {
        offset_ms: 0,
        frozen_at: None,
    });
    let current = at(&row, real);
    if at_time < current {
        return Err(ApiError::invalid(
            "frozenTime",
            format!(
                "must not be before the current simulated time {} (the clock only moves forward)",
                ids::iso(current)
            ),
        ));
    }
    if at_time - current > Duration::days(MAX_JUMP_DAYS) {
        return Err(ApiError::invalid(
            "frozenTime",
            "is more than 100 years after the current simulated time",
        ));
    }
    let frozen = ClockRow {
        offset_ms: row.offset_ms,
        frozen_at: Some(ids::iso(current)),
    };
    set(conn, org_id, &frozen, real, at_time)
}

/// Steps the clock forward to `at_time`, keeping its mode (a frozen clock
/// stays frozen, a running one keeps running). A time at or before the
/// current one changes nothing. Returns the new "now".
pub fn move_to(
    conn: &Connection,
    org_id: &str,
    at_time: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    let real = Utc::now();
    let row = store::clock(conn, org_id)?.unwrap_or(ClockRow {
        offset_ms: 0,
        frozen_at: None,
    });
    let current = at(&row, real);
    if at_time <= current {
        return Ok(current);
    }
    set(conn, org_id, &row, real, at_time)
}

fn set(
    conn: &Connection,
    org_id: &str,
    row: &ClockRow,
    real: DateTime<Utc>,
    target: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    let next = if row.frozen_at.is_some() {
        ClockRow {
            offset_ms: (target - real).num_milliseconds(),
            frozen_at: Some(ids::iso(target)),
        }
    } else {
        ClockRow {
            offset_ms: (target - real).num_milliseconds(),
            frozen_at: None,
        }
    };
    store::save_clock(conn, org_id, &next, &ids::iso(real))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_clock_adds_the_offset() {
        let real = ids::parse_instant("2026-01-01T00:00:00Z").unwrap();
        let row = ClockRow {
            offset_ms: 86_400_000,
            frozen_at: None,
        };
        assert_eq!(ids::iso(at(&row, real)), "2026-01-02T00:00:00.000Z");
        let frozen = ClockRow {
            offset_ms: 5,
            frozen_at: Some("2030-05-05T10:00:00.000Z".into()),
        };
        assert_eq!(ids::iso(at(&frozen, real)), "2030-05-05T10:00:00.000Z");
    }
}
