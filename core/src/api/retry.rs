//! The retry policy of the official Commet clients.

use std::time::Duration;

/// At most this many retries after the first attempt.
pub const MAX_RETRIES: u32 = 3;
/// A `Retry-After` longer than this is cut down to it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Exponential backoff starts here and doubles...
pub const BASE_BACKOFF: Duration = Duration::from_secs(1);
/// ...up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Per-attempt time limit.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What to do after an attempt that got an HTTP answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Done,
    RetryAfter(Duration),
}

/// Backoff before retry number `retry` (0-based): 1 s, 2 s, 4 s, capped at 8 s.
pub fn backoff(retry: u32) -> Duration {
    BASE_BACKOFF
        .saturating_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
        .min(MAX_BACKOFF)
}

/// Decides on a response status. 429 is retried only when the server said
/// when (`Retry-After` in seconds), and then waits exactly that long.
pub fn decide(status: u16, retry_after: Option<&str>, retry: u32) -> Decision {
    if retry >= MAX_RETRIES {
        return Decision::Done;
    }
    match status {
        429 => match retry_after.and_then(parse_retry_after) {
            Some(wait) => Decision::RetryAfter(wait.min(MAX_RETRY_AFTER)),
            None => Decision::Done,
        },
        408 | 500 | 502 | 503 | 504 => Decision::RetryAfter(backoff(retry)),
        _ => Decision::Done,
    }
}

fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let secs: Vec<u64> = (0..6).map(|r| backoff(r).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn rate_limits_need_retry_after() {
        assert_eq!(decide(429, None, 0), Decision::Done);
        assert_eq!(
            decide(429, Some("2"), 0),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        assert_eq!(
            decide(429, Some("90"), 0),
            Decision::RetryAfter(MAX_RETRY_AFTER)
        );
        assert_eq!(decide(429, Some("soon"), 0), Decision::Done);
    }

    #[test]
    fn server_errors_retry_three_times() {
        assert_eq!(
            decide(503, None, 0),
            Decision::RetryAfter(Duration::from_secs(1))
        );
        assert_eq!(
            decide(500, None, 2),
            Decision::RetryAfter(Duration::from_secs(4))
        );
        assert_eq!(decide(503, None, 3), Decision::Done);
        assert_eq!(decide(400, None, 0), Decision::Done);
        assert_eq!(decide(404, None, 0), Decision::Done);
    }
}
