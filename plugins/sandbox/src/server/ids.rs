//! Public identifiers, secrets and timestamps.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::distr::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

/// `prefix` + 24 random alphanumerics, e.g. `cus_7fQ2…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", random_alnum(24))
}

pub fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A fresh API secret: `ck_sandbox_` + 40 random characters.
pub fn new_api_key() -> String {
    format!("ck_sandbox_{}", random_alnum(40))
}

/// Hex SHA-256, used to store secrets (API keys, tokens) without keeping them.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The current instant as an ISO-8601 UTC string with milliseconds.
pub fn now() -> String {
    iso(Utc::now())
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an ISO-8601 instant or a plain `YYYY-MM-DD` date (midnight UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_length() {
        let id = new_id("cus_");
        assert!(id.starts_with("cus_"));
        assert_eq!(id.len(), 28);
        assert_ne!(new_id("cus_"), new_id("cus_"));
        assert!(new_api_key().starts_with("ck_sandbox_"));
    }

    #[test]
    fn parses_dates_and_instants() {
        assert!(parse_instant("2026-01-01").is_some());
        assert!(parse_instant("2026-01-01T10:00:00Z").is_some());
        assert!(parse_instant("2026-01-01T10:00:00.123+02:00").is_some());
        assert!(parse_instant("yesterday").is_none());
        assert!(iso(parse_instant("2026-01-01").unwrap()).starts_with("2026-01-01T00:00:00.000Z"));
    }
}
