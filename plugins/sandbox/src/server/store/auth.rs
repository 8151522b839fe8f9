//! Device login (`/api/auth/device/*`) and the login tokens it issues.

use chrono::{Duration, Utc};
use rand::Rng;
use rusqlite::{params, Connection, OptionalExtension};

use crate::server::error::ApiError;
use crate::server::ids;

/// How long a login token lasts.
pub const TOKEN_TTL_DAYS: i64 = 30;

/// Letters that cannot be confused with each other or with digits.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// `(status, user_id, interval_ms, last_poll_at, expires_at)`.
type CodeRow = (String, Option<String>, i64, Option<String>, String);

/// A freshly issued device code.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub device_code: String,
    pub user_code: String,
    pub expires_in: i64,
    pub interval_secs: u64,
}

/// The answer to one token poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    Pending,
    SlowDown,
    Denied,
    Expired,
    /// Unknown or already used device code.
    Invalid,
    Approved {
        token: String,
        expires_in: i64,
    },
}

/// The state of a user code, for the approval page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeState {
    Pending,
    Approved,
    Denied,
    Expired,
    Unknown,
}

fn new_user_code() -> String {
    let mut rng = rand::rng();
    let mut pick = || USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())] as char;
    let a: String = (0..4).map(|_| pick()).collect();
    let b: String = (0..4).map(|_| pick()).collect();
    format!("{a}-{b}")
}

/// `abcd efgh`, `ABCDEFGH` and `ABCD-EFGH` are the same code.
pub fn normalize_user_code(input: &str) -> String {
    let letters: String = input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == 8 {
        format!("{}-{}", &letters[..4], &letters[4..])
    } else {
        letters
    }
}

pub fn issue(
    conn: &Connection,
    client_id: Option<&str>,
    scope: Option<&str>,
    interval: std::time::Duration,
    ttl: std::time::Duration,
) -> Result<IssuedCode, ApiError> {
    let device_code = ids::random_alnum(40);
    let mut user_code = new_user_code();
    while super::exists(
        conn,
        "SELECT 1 FROM device_codes WHERE user_code = ?1",
        [&user_code],
    )? {
        user_code = new_user_code();
    }
    let now = Utc::now();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
    let expires = now + Duration::milliseconds(ttl_ms);
    conn.execute(
        "INSERT INTO device_codes (device_code_hash, user_code, client_id, scope, status, interval_ms, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7)",
        params![
            ids::hash_secret(&device_code),
            user_code,
            client_id,
            scope,
            i64::try_from(interval.as_millis()).unwrap_or(5000),
            ids::iso(expires),
            ids::iso(now)
        ],
    )?;
    Ok(IssuedCode {
        device_code,
        user_code,
        expires_in: ttl_ms / 1000,
        interval_secs: interval
            .as_secs()
            .max(if interval.is_zero() { 0 } else { 1 }),
    })
}

/// One poll of `POST /api/auth/device/token`.
pub fn poll(conn: &Connection, device_code: &str) -> Result<Poll, ApiError> {
    let hash = ids::hash_secret(device_code);
    let row: Option<CodeRow> = conn
        .query_row(
            "SELECT status, user_id, interval_ms, last_poll_at, expires_at FROM device_codes WHERE device_code_hash = ?1",
            [&hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((status, user_id, interval_ms, last_poll, expires_at)) = row else {
        return Ok(Poll::Invalid);
    };
    let now = Utc::now();
    if status == "consumed" {
        return Ok(Poll::Invalid);
    }
    if ids::parse_instant(&expires_at).is_none_or(|t| t <= now) {
        return Ok(Poll::Expired);
    }
    if status == "denied" {
        return Ok(Poll::Denied);
    }
    let too_fast = last_poll
        .as_deref()
        .and_then(ids::parse_instant)
        .is_some_and(|t| now - t < Duration::milliseconds(interval_ms));
    conn.execute(
        "UPDATE device_codes SET last_poll_at = ?1 WHERE device_code_hash = ?2",
        params![ids::iso(now), hash],
    )?;
    match (status.as_str(), user_id) {
        ("approved", Some(user_id)) => {
            let token = format!("cst_{}", ids::random_alnum(40));
            let expires = now + Duration::days(TOKEN_TTL_DAYS);
            conn.execute(
                "INSERT INTO login_tokens (token_hash, user_id, expires_at, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![ids::hash_secret(&token), user_id, ids::iso(expires), ids::iso(now)],
            )?;
            conn.execute(
                "UPDATE device_codes SET status = 'consumed' WHERE device_code_hash = ?1",
                [&hash],
            )?;
            Ok(Poll::Approved {
                token,
                expires_in: TOKEN_TTL_DAYS * 86_400,
            })
        }
        _ if too_fast => Ok(Poll::SlowDown),
        _ => Ok(Poll::Pending),
    }
}

pub fn state(conn: &Connection, user_code: &str) -> Result<CodeState, ApiError> {
    let code = normalize_user_code(user_code);
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT status, expires_at FROM device_codes WHERE user_code = ?1",
            [&code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((status, expires_at)) = row else {
        return Ok(CodeState::Unknown);
    };
    Ok(match status.as_str() {
        "approved" | "consumed" => CodeState::Approved,
        "denied" => CodeState::Denied,
        _ if ids::parse_instant(&expires_at).is_none_or(|t| t <= Utc::now()) => CodeState::Expired,
        _ => CodeState::Pending,
    })
}

/// Approves or denies a pending code on behalf of `user_id`.
pub fn decide(
    conn: &Connection,
    user_code: &str,
    approve: bool,
    user_id: &str,
) -> Result<(), ApiError> {
    let code = normalize_user_code(user_code);
    match state(conn, &code)? {
        CodeState::Pending => {
            conn.execute(
                "UPDATE device_codes SET status = ?1, user_id = ?2 WHERE user_code = ?3",
                params![if approve { "approved" } else { "denied" }, user_id, code],
            )?;
            Ok(())
        }
        CodeState::Unknown => Err(ApiError::not_found(
            "not_found",
            format!("No login request with code {code}"),
        )),
        CodeState::Expired => Err(ApiError::validation_code(
            "validation_error",
            format!("The code {code} has expired; run `commet login` again"),
        )),
        CodeState::Approved | CodeState::Denied => Err(ApiError::conflict(
            "duplicate",
            format!("The login request {code} was already answered"),
        )),
    }
}

/// Resolves a login token to its user.
pub fn authenticate_token(conn: &Connection, token: &str) -> Result<Option<String>, ApiError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT user_id, expires_at FROM login_tokens WHERE token_hash = ?1",
            [ids::hash_secret(token)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(user, expires)| {
        ids::parse_instant(&expires)
            .is_some_and(|t| t > Utc::now())
            .then_some(user)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_normalize() {
        assert_eq!(normalize_user_code("bcdf ghjk"), "BCDF-GHJK");
        assert_eq!(normalize_user_code("BCDF-GHJK"), "BCDF-GHJK");
        let c = new_user_code();
        assert_eq!(c.len(), 9);
        assert_eq!(normalize_user_code(&c), c);
    }
}
