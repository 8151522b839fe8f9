//! Reading request bodies and query strings with Commet's validation errors.
//!
//! Accessors record every problem instead of stopping at the first, then
//! [`Input::finish`] answers one `validation_error` whose `details` lists
//! them all (`[{field, message}]`). Until `finish` succeeds, values returned
//! for bad fields are placeholders and must not be used.

use serde_json::{Map, Value};

use super::error::ApiError;
use super::store::page::{decode_cursor, PageParams, DEFAULT_LIMIT, MAX_LIMIT};

/// A field of a PATCH body: absent (keep), `null` (clear) or a new value.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Null,
    Set(T),
}

/// An absent field: a patch that changes nothing.
impl<T> Default for Patch<T> {
    fn default() -> Self {
        Patch::Absent
    }
}

impl<T> Patch<T> {
    /// The value after applying this patch to `current`.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Set(v) => Some(v),
        }
    }
}

impl Patch<String> {
    /// [`Patch::apply`] to a string field of a stored JSON object.
    pub fn apply_json(self, current: &Value) -> Option<String> {
        self.apply(current.as_str().map(str::to_owned))
    }
}

impl Patch<i64> {
    /// [`Patch::apply`] to an integer field of a stored JSON object.
    pub fn apply_json(self, current: &Value) -> Option<i64> {
        self.apply(current.as_i64())
    }
}

/// A JSON object body being validated.
pub struct Input<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    problems: Vec<(String, String)>,
}

static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();

impl<'a> Input<'a> {
    /// The body must be a JSON object (an empty body counts as `{}`).
    pub fn new(body: &'a Value) -> Result<Input<'a>, ApiError> {
        match body {
            Value::Object(obj) => Ok(Input {
                obj,
                prefix: String::new(),
                problems: Vec::new(),
            }),
            Value::Null => Ok(Input {
                obj: EMPTY.get_or_init(Map::new),
                prefix: String::new(),
                problems: Vec::new(),
            }),
            _ => Err(ApiError::invalid(
                "body",
                "the request body must be a JSON object",
            )),
        }
    }

    /// Validates a nested object; its problems are named `prefix.field`.
    pub fn nested(obj: &'a Map<String, Value>, prefix: impl Into<String>) -> Input<'a> {
        Input {
            obj,
            prefix: prefix.into(),
            problems: Vec::new(),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// Records a problem with `key`.
    pub fn problem(&mut self, key: &str, message: impl Into<String>) {
        let field = self.name(key);
        self.problems.push((field, message.into()));
    }

    /// The problems found so far, as `(field, message)`.
    pub fn into_problems(self) -> Vec<(String, String)> {
        self.problems
    }

    /// Records problems found elsewhere (a nested input).
    pub fn absorb(&mut self, other: Input<'_>) {
        self.problems.extend(other.problems);
    }

    pub fn has(&self, key: &str) -> bool {
        self.obj.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The collected problems as one validation error.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.problems))
        }
    }

    // -- strings ------------------------------------------------------------

    pub fn req_str(&mut self, key: &str) -> String {
        match self.obj.get(key) {
            None | Some(Value::Null) => {
                self.problem(key, "is required");
                String::new()
            }
            Some(v) => self.string_value(key, v).unwrap_or_default(),
        }
    }

    pub fn opt_str(&mut self, key: &str) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.string_value(key, v),
        }
    }

    pub fn patch_str(&mut self, key: &str) -> Patch<String> {
        match self.obj.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => self.string_value(key, v).map_or(Patch::Absent, Patch::Set),
        }
    }

    fn string_value(&mut self, key: &str, v: &Value) -> Option<String> {
        match v {
            Value::String(s) if s.trim().is_empty() => {
                self.problem(key, "must not be empty");
                None
            }
            Value::String(s) => Some(s.trim().to_owned()),
            _ => {
                self.problem(key, "must be a string");
                None
            }
        }
    }

    pub fn req_enum(&mut self, key: &str, allowed: &[&str]) -> String {
        let v = self.req_str(key);
        self.check_enum(key, v, allowed).unwrap_or_default()
    }

    pub fn opt_enum(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let v = self.opt_str(key)?;
        self.check_enum(key, v, allowed)
    }

    pub fn patch_enum(&mut self, key: &str, allowed: &[&str]) -> Patch<String> {
        match self.patch_str(key) {
            Patch::Set(v) => self
                .check_enum(key, v, allowed)
                .map_or(Patch::Absent, Patch::Set),
            other => other,
        }
    }

    fn check_enum(&mut self, key: &str, v: String, allowed: &[&str]) -> Option<String> {
        if v.is_empty() {
            return None;
        }
        if allowed.contains(&v.as_str()) {
            Some(v)
        } else {
            self.problem(key, format!("must be one of: {}", allowed.join(", ")));
            None
        }
    }

    /// An ISO-8601 instant or `YYYY-MM-DD`, normalised to ISO.
    pub fn opt_instant(&mut self, key: &str) -> Option<String> {
        let v = self.opt_str(key)?;
        match super::ids::parse_instant(&v) {
            Some(t) => Some(super::ids::iso(t)),
            None => {
                self.problem(key, "must be an ISO 8601 date or date-time");
                None
            }
        }
    }

    pub fn patch_instant(&mut self, key: &str) -> Patch<String> {
        match self.obj.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(_) => self.opt_instant(key).map_or(Patch::Absent, Patch::Set),
        }
    }

    // -- numbers ------------------------------------------------------------

    fn int_value(&mut self, key: &str, v: &Value) -> Option<i64> {
        let n = match v {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            _ => None,
        };
        if n.is_none() {
            self.problem(key, "must be a whole number");
        }
        n
    }

    pub fn req_int(&mut self, key: &str) -> i64 {
        match self.obj.get(key) {
            None | Some(Value::Null) => {
                self.problem(key, "is required");
                0
            }
            Some(v) => self.int_value(key, v).unwrap_or_default(),
        }
    }

    pub fn opt_int(&mut self, key: &str) -> Option<i64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.int_value(key, v),
        }
    }

    pub fn patch_int(&mut self, key: &str) -> Patch<i64> {
        match self.obj.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => self.int_value(key, v).map_or(Patch::Absent, Patch::Set),
        }
    }

    /// A whole number within `min..=max` (absent is fine).
    pub fn opt_int_in(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        let n = self.opt_int(key)?;
        self.check_range(key, n, min, max)
    }

    pub fn req_int_in(&mut self, key: &str, min: i64, max: i64) -> i64 {
        let present = self.has(key);
        let n = self.req_int(key);
        if present {
            self.check_range(key, n, min, max).unwrap_or_default()
        } else {
            n
        }
    }

    fn check_range(&mut self, key: &str, n: i64, min: i64, max: i64) -> Option<i64> {
        if n < min || n > max {
            let msg = if max == i64::MAX {
                format!("must be at least {min}")
            } else {
                format!("must be between {min} and {max}")
            };
            self.problem(key, msg);
            None
        } else {
            Some(n)
        }
    }

    fn float_value(&mut self, key: &str, v: &Value) -> Option<f64> {
        let n = v.as_f64().filter(|f| f.is_finite());
        if n.is_none() {
            self.problem(key, "must be a number");
        }
        n
    }

    pub fn req_num(&mut self, key: &str) -> f64 {
        match self.obj.get(key) {
            None | Some(Value::Null) => {
                self.problem(key, "is required");
                0.0
            }
            Some(v) => self.float_value(key, v).unwrap_or_default(),
        }
    }

    pub fn opt_num(&mut self, key: &str) -> Option<f64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.float_value(key, v),
        }
    }

    pub fn patch_num(&mut self, key: &str) -> Patch<f64> {
        match self.obj.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(v) => self.float_value(key, v).map_or(Patch::Absent, Patch::Set),
        }
    }

    // -- booleans, objects, arrays -------------------------------------------

    pub fn opt_bool(&mut self, key: &str) -> Option<bool> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.problem(key, "must be true or false");
                None
            }
        }
    }

    pub fn req_bool(&mut self, key: &str) -> bool {
        if !self.has(key) {
            self.problem(key, "is required");
            return false;
        }
        self.opt_bool(key).unwrap_or_default()
    }

    pub fn opt_object(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.problem(key, "must be a JSON object");
                None
            }
        }
    }

    /// A JSON object field of a PATCH body.
    pub fn patch_object(&mut self, key: &str) -> Patch<Value> {
        match self.obj.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(_) => self
                .opt_object(key)
                .map_or(Patch::Absent, |m| Patch::Set(Value::Object(m.clone()))),
        }
    }

    pub fn req_object(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        if !self.has(key) {
            self.problem(key, "is required");
            return None;
        }
        self.opt_object(key)
    }

    pub fn opt_array(&mut self, key: &str) -> Option<&'a Vec<Value>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.problem(key, "must be a JSON array");
                None
            }
        }
    }

    pub fn req_array(&mut self, key: &str) -> Option<&'a Vec<Value>> {
        if !self.has(key) {
            self.problem(key, "is required");
            return None;
        }
        self.opt_array(key)
    }

    /// Validates each element of `items` (the array under `key`) as a nested
    /// object `key[n]`: `each(n, input)` reads it, and its problems are named
    /// `key[n].field`. An element that is not an object is the problem
    /// `key[n]`: `not_object`, and is skipped.
    pub fn each_object<'v, T>(
        &mut self,
        key: &str,
        items: &'v [Value],
        not_object: &str,
        mut each: impl FnMut(usize, &mut Input<'v>) -> T,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(items.len());
        for (n, item) in items.iter().enumerate() {
            let field = format!("{key}[{n}]");
            let Some(obj) = item.as_object() else {
                self.problem(&field, not_object);
                continue;
            };
            let mut nested = Input::nested(obj, self.name(&field));
            out.push(each(n, &mut nested));
            self.absorb(nested);
        }
        out
    }

    /// An array of non-empty strings.
    pub fn opt_strings(&mut self, key: &str) -> Option<Vec<String>> {
        let items = self.opt_array(key)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(str::trim) {
                Some(s) if !s.is_empty() => out.push(s.to_owned()),
                _ => {
                    self.problem(&format!("{key}[{i}]"), "must be a non-empty string");
                }
            }
        }
        Some(out)
    }
}

/// A query string being validated.
pub struct QueryInput {
    pairs: Vec<(String, String)>,
    problems: Vec<(String, String)>,
}

impl QueryInput {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        QueryInput {
            pairs,
            problems: Vec::new(),
        }
    }

    pub fn str(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn req_str(&mut self, key: &str) -> String {
        match self.str(key) {
            Some(v) => v,
            None => {
                self.problems
                    .push((key.to_owned(), "is required".to_owned()));
                String::new()
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        let v = self.str(key)?;
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => {
                self.problems
                    .push((key.to_owned(), "must be true or false".to_owned()));
                None
            }
        }
    }

    pub fn instant(&mut self, key: &str) -> Option<String> {
        let v = self.str(key)?;
        match super::ids::parse_instant(&v) {
            Some(t) => Some(super::ids::iso(t)),
            None => {
                self.problems.push((
                    key.to_owned(),
                    "must be an ISO 8601 date or date-time".to_owned(),
                ));
                None
            }
        }
    }

    /// `limit` (1 to 100, default 25) and `cursor`.
    pub fn page(&mut self) -> PageParams {
        let mut page = PageParams {
            limit: DEFAULT_LIMIT,
            after: None,
        };
        if let Some(limit) = self.str("limit") {
            match limit.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => page.limit = n,
                _ => self.problems.push((
                    "limit".into(),
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )),
            }
        }
        if let Some(cursor) = self.str("cursor") {
            match decode_cursor(&cursor) {
                Some(seq) => page.after = Some(seq),
                None => self.problems.push((
                    "cursor".into(),
                    "is not a cursor this server issued (use the nextCursor of the previous page)"
                        .into(),
                )),
            }
        }
        page
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.problems))
        }
    }
}

/// The currencies Commet prices in.
pub const CURRENCIES: &[&str] = &[
    "usd", "ars", "brl", "clp", "cop", "pen", "uyu", "pyg", "bob", "mxn", "cad", "eur", "jpy",
    "cny", "krw", "hkd", "sgd", "twd", "inr", "thb",
];

pub const BILLING_INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly", "one_time"];

pub const TIMEZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Buenos_Aires",
    "America/Santiago",
    "America/Bogota",
    "America/Lima",
    "America/Asuncion",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Dubai",
    "Australia/Sydney",
];

/// Reads a currency code (any case) and returns it lower-cased.
pub fn currency(input: &mut Input<'_>, key: &str, required: bool) -> Option<String> {
    let v = if required {
        Some(input.req_str(key))
    } else {
        input.opt_str(key)
    }?;
    if v.is_empty() {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if CURRENCIES.contains(&lower.as_str()) {
        Some(lower)
    } else {
        input.problem(
            key,
            format!(
                "`{v}` is not a supported currency ({})",
                CURRENCIES.join(", ")
            ),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_problem() {
        let body = json!({"email": 3, "amount": 1.5, "kind": "x", "ok": "yes"});
        let mut i = Input::new(&body).unwrap();
        i.req_str("email");
        i.req_int("amount");
        i.req_enum("kind", &["a", "b"]);
        i.opt_bool("ok");
        i.req_str("missing");
        let err = i.finish().unwrap_err();
        assert_eq!(err.code, "validation_error");
        let details = *err.details.unwrap();
        let fields: Vec<&str> = details
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["email", "amount", "kind", "ok", "missing"]);
    }

    #[test]
    fn patches_distinguish_absent_and_null() {
        let body = json!({"a": null, "b": "x"});
        let mut i = Input::new(&body).unwrap();
        assert_eq!(i.patch_str("a"), Patch::Null);
        assert_eq!(i.patch_str("b"), Patch::Set("x".into()));
        assert_eq!(i.patch_str("c"), Patch::Absent);
        assert!(i.finish().is_ok());
    }

    #[test]
    fn non_object_bodies_are_rejected() {
        assert!(Input::new(&json!([1])).is_err());
        assert!(Input::new(&Value::Null).is_ok());
    }

    #[test]
    fn query_page_validation() {
        let mut q = QueryInput::new(vec![
            ("limit".into(), "500".into()),
            ("cursor".into(), "nope".into()),
        ]);
        q.page();
        let err = q.finish().unwrap_err();
        assert_eq!(err.details.unwrap().as_array().unwrap().len(), 2);
    }
}
