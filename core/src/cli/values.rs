//! Checking and typing flag values before anything is sent.

use std::path::Path;

use commet_sdk::schema::FlagKind;
use serde_json::Value;

/// Parses one raw value for a flag of `kind`. The error is a short reason;
/// clap adds the flag name and the value.
pub fn parse_value(kind: FlagKind, raw: &str) -> Result<Value, String> {
    match kind {
        FlagKind::String | FlagKind::Enum => Ok(Value::String(raw.to_owned())),
        FlagKind::Number => parse_number(raw),
        FlagKind::Integer => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "expected a whole number, like 25".to_owned()),
        FlagKind::Bool | FlagKind::Switch => parse_bool(raw).map(Value::Bool),
        FlagKind::Json => parse_json(raw),
        FlagKind::JsonObject => match parse_json(raw)? {
            v @ Value::Object(_) => Ok(v),
            other => Err(format!(
                "expected a JSON object like {{\"key\":\"value\"}}, got {}",
                json_kind(&other)
            )),
        },
        FlagKind::JsonArray => match parse_json(raw)? {
            v @ Value::Array(_) => Ok(v),
            other => Err(format!(
                "expected a JSON array like [\"a\",\"b\"], got {}",
                json_kind(&other)
            )),
        },
        FlagKind::Date => parse_date(raw, true),
        FlagKind::DateTime => parse_date(raw, true),
    }
}

fn parse_number(raw: &str) -> Result<Value, String> {
    let text = raw.trim();
    let err = || "expected a number, like 2900 or 0.5".to_owned();
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::from(i));
    }
    let f: f64 = text.parse().map_err(|_| err())?;
    if !f.is_finite() {
        return Err(err());
    }
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(err)
}

fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

/// JSON text, or `@path` to read it from a file.
fn parse_json(raw: &str) -> Result<Value, String> {
    let (text, source) = match raw.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(Path::new(path))
                .map_err(|e| format!("could not read JSON file {path}: {e}"))?,
            Some(path),
        ),
        None => (raw.to_owned(), None),
    };
    serde_json::from_str(&text).map_err(|e| match source {
        Some(path) => format!("{path} is not valid JSON: {e}"),
        None => format!(
            "not valid JSON ({e}); quote it for the shell, e.g. '{{\"plan\":\"pro\"}}', or pass @file.json"
        ),
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// ISO 8601: `2026-01-31` or an RFC 3339 timestamp. The text is sent as given.
fn parse_date(raw: &str, allow_time: bool) -> Result<Value, String> {
    let text = raw.trim();
    let is_date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok();
    let is_time = allow_time && chrono::DateTime::parse_from_rfc3339(text).is_ok();
    if is_date || is_time {
        Ok(Value::String(text.to_owned()))
    } else {
        Err(
            "expected an ISO 8601 date like 2026-07-01 or a timestamp like 2026-07-01T00:00:00Z"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_keep_integers_integral() {
        assert_eq!(parse_value(FlagKind::Number, "2900").unwrap(), json!(2900));
        assert_eq!(parse_value(FlagKind::Number, "-500").unwrap(), json!(-500));
        assert_eq!(parse_value(FlagKind::Number, "0.5").unwrap(), json!(0.5));
        assert!(parse_value(FlagKind::Number, "ten").is_err());
        assert!(parse_value(FlagKind::Number, "NaN").is_err());
        assert!(parse_value(FlagKind::Integer, "2.5").is_err());
    }

    #[test]
    fn bools_and_json_shapes() {
        assert_eq!(parse_value(FlagKind::Bool, "TRUE").unwrap(), json!(true));
        assert!(parse_value(FlagKind::Bool, "maybe").is_err());
        assert_eq!(
            parse_value(FlagKind::JsonObject, r#"{"a":1}"#).unwrap(),
            json!({"a":1})
        );
        let err = parse_value(FlagKind::JsonObject, "[1]").unwrap_err();
        assert!(err.contains("object"));
        let err = parse_value(FlagKind::Json, "{bad").unwrap_err();
        assert!(err.contains("not valid JSON"));
    }

    #[test]
    fn json_from_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("c.json");
        std::fs::write(&path, r#"[{"email":"a@b.co"}]"#).unwrap();
        let v = parse_value(FlagKind::JsonArray, &format!("@{}", path.display())).unwrap();
        assert_eq!(v[0]["email"], "a@b.co");
        assert!(parse_value(FlagKind::Json, "@/nope/none.json")
            .unwrap_err()
            .contains("could not read"));
    }

    #[test]
    fn dates() {
        assert!(parse_value(FlagKind::Date, "2026-01-31").is_ok());
        assert!(parse_value(FlagKind::DateTime, "2026-07-01T00:00:00Z").is_ok());
        assert!(parse_value(FlagKind::Date, "31/01/2026").is_err());
        assert!(parse_value(FlagKind::Date, "2026-02-30").is_err());
    }
}
