//! Turning a declarative action and its arguments into an API request, and
//! the response into output.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::plugin::{Action, Flag, Handler, HttpSpec, Target};
use crate::wire::{ApiRequest, Output, PluginError, View};

/// Builds the request a declarative action sends for these arguments.
pub fn build_request(
    spec: &HttpSpec,
    flags: &[Flag],
    args: &Map<String, Value>,
) -> Result<ApiRequest, PluginError> {
    let mut path = spec.path.clone();
    let mut request = ApiRequest::new(spec.method.clone(), String::new()).api(spec.api);
    let sends_body = !matches!(spec.method.as_str(), "GET" | "DELETE" | "HEAD");
    let mut body = Map::new();
    for (key, value) in &spec.constants {
        if sends_body {
            insert_dotted(&mut body, key, value.clone());
        } else {
            insert_query(&mut request.query, key, value);
        }
    }

    for flag in flags {
        let Some(value) = args.get(flag.name()).filter(|v| !v.is_null()) else {
            continue;
        };
        let placeholder = format!("{{{}}}", flag.key);
        match &flag.target {
            Target::Local => {}
            Target::IdempotencyKey => {
                request.idempotency_key = value.as_str().map(str::to_owned);
            }
            Target::Auto if path.contains(&placeholder) => {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                path = path.replace(&placeholder, &encode_path_segment(&text));
            }
            Target::Query => insert_query(&mut request.query, &flag.key, value),
            Target::Auto if !sends_body => insert_query(&mut request.query, &flag.key, value),
            Target::Auto | Target::Body => insert_dotted(&mut body, &flag.key, value.clone()),
        }
    }

    if let Some(start) = path.find('{') {
        let end = path[start..]
            .find('}')
            .map_or(path.len(), |e| start + e + 1);
        return Err(PluginError::usage(format!(
            "a value for the path parameter {} is missing",
            &path[start..end]
        )));
    }
    request.path = path;
    if sends_body {
        request.body = Some(Value::Object(body));
    }
    Ok(request)
}

fn insert_query(query: &mut Map<String, Value>, key: &str, value: &Value) {
    query.insert(key.to_owned(), value.clone());
}

/// Inserts `value` at a dotted key, merging into objects already there
/// (so `--overage '{...}'` and `--overage-enabled` combine).
pub fn insert_dotted(map: &mut Map<String, Value>, key: &str, value: Value) {
    match key.split_once('.') {
        None => match (map.get_mut(key), value) {
            (Some(Value::Object(existing)), Value::Object(new)) => {
                for (k, v) in new {
                    existing.entry(k).or_insert(v);
                }
            }
            (_, value) => {
                map.insert(key.to_owned(), value);
            }
        },
        Some((head, rest)) => {
            let slot = map
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert_dotted(inner, rest, value);
            }
        }
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass).
pub fn encode_path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs an action: custom handlers are called, declarative ones send their
/// request and wrap the response in the action's view.
pub(crate) fn run_action(action: &Action, ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    match &action.handler {
        Handler::Custom(handler) => handler(ctx),
        Handler::Http(spec) => {
            let request = build_request(spec, &action.flags, &ctx.args)?;
            let data = ctx.host.call(&request)?;
            Ok(Output::new(default_view(action.view.clone(), &data), data))
        }
    }
}

/// The view an action asked for, or one that fits the data.
pub fn default_view(view: Option<View>, data: &Value) -> View {
    match view {
        Some(View::Message { text }) => View::Message {
            text: fill_placeholders(&text, data),
        },
        Some(view) => view,
        None if is_list(data) => View::Table {
            columns: Vec::new(),
        },
        None => View::Object,
    }
}

fn is_list(data: &Value) -> bool {
    data.is_array() || data.get("object").and_then(Value::as_str) == Some("list")
}

/// Replaces `{field}` with the response's top-level field values.
pub fn fill_placeholders(text: &str, data: &Value) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let key = &after[..end];
                match data.get(key) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Null) | None => out.push('-'),
                    Some(v) => out.push_str(&v.to_string()),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Api;
    use serde_json::json;

    fn spec(method: &str, path: &str) -> HttpSpec {
        HttpSpec {
            method: method.into(),
            path: path.into(),
            api: Api::V1,
            constants: vec![("action".into(), json!("canUse"))],
        }
    }

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn path_query_and_body_placement() {
        let flags = vec![
            Flag::string("id"),
            Flag::string("full-name"),
            Flag::integer("limit"),
            Flag::idempotency_key(),
        ];
        let r = build_request(
            &spec("PATCH", "/customers/{id}"),
            &flags,
            &args(json!({"id": "cus 1/x", "full-name": "Ada", "idempotency-key": "k1"})),
        )
        .unwrap();
        assert_eq!(r.path, "/customers/cus%201%2Fx");
        assert_eq!(r.body, Some(json!({"action": "canUse", "fullName": "Ada"})));
        assert_eq!(r.idempotency_key.as_deref(), Some("k1"));

        let r = build_request(
            &spec("GET", "/customers"),
            &flags,
            &args(json!({"limit": 5, "full-name": null})),
        )
        .unwrap();
        assert_eq!(r.query.get("limit"), Some(&json!(5)));
        assert_eq!(r.query.get("action"), Some(&json!("canUse")));
        assert!(!r.query.contains_key("fullName"));
        assert_eq!(r.body, None);
    }

    #[test]
    fn dotted_keys_nest_and_merge() {
        let flags = vec![
            Flag::json_object("overage"),
            Flag::bool("overage-enabled").key("overage.enabled"),
            Flag::number("overage-unit-price").key("overage.unitPrice"),
        ];
        let r = build_request(
            &spec("POST", "/plans/p/features"),
            &flags,
            &args(json!({"overage": {"model": "per_unit"}, "overage-enabled": true, "overage-unit-price": 100})),
        )
        .unwrap();
        assert_eq!(
            r.body,
            Some(
                json!({"action": "canUse", "overage": {"model": "per_unit", "enabled": true, "unitPrice": 100}})
            )
        );
    }

    #[test]
    fn missing_path_parameter_is_a_usage_error() {
        let err = build_request(&spec("GET", "/plans/{id}"), &[], &Map::new()).unwrap_err();
        assert!(matches!(err, PluginError::Usage { .. }));
        assert!(err.to_string().contains("{id}"));
    }

    #[test]
    fn placeholders_fill_from_data() {
        assert_eq!(
            fill_placeholders("Deleted {id} ({n}) {missing}", &json!({"id": "x", "n": 3})),
            "Deleted x (3) -"
        );
    }
}
