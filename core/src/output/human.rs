//! Text for people: aligned tables for lists, key/value lines for one
//! object, and errors that say what happened and what to do.

use comfy_table::{presets, Attribute, Cell, ContentArrangement, Table};
use commet_sdk::wire::{Column, View};
use owo_colors::OwoColorize;
use serde_json::{Map, Value};

use crate::error::CliError;

/// Fields shown first when a table has no declared columns.
const PREFERRED: &[&str] = &[
    "id",
    "code",
    "name",
    "email",
    "fullName",
    "status",
    "type",
    "amount",
    "price",
    "currency",
    "createdAt",
];
const MAX_AUTO_COLUMNS: usize = 6;

pub fn render(view: &View, data: &Value, colour: bool) -> String {
    match view {
        View::Message { text } => format!("{text}\n"),
        View::Text { text } => text.clone(),
        View::Table { columns } => {
            let rows = rows_of(data);
            if rows.is_empty() {
                return "No results.\n".into();
            }
            let columns = if columns.is_empty() {
                auto_columns(&rows)
            } else {
                columns.clone()
            };
            table(&rows, &columns, colour)
        }
        View::Object => object(data, colour),
    }
}

fn rows_of(data: &Value) -> Vec<&Value> {
    match data {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => match map.get("data") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => vec![data],
        },
        Value::Null => vec![],
        other => vec![other],
    }
}

fn auto_columns(rows: &[&Value]) -> Vec<Column> {
    let Some(Value::Object(first)) = rows.first() else {
        return vec![Column::new("", "VALUE")];
    };
    let is_scalar = |v: &Value| !v.is_object() && !v.is_array();
    let mut keys: Vec<&str> = PREFERRED
        .iter()
        .copied()
        .filter(|k| first.get(*k).is_some_and(is_scalar))
        .collect();
    for (k, v) in first {
        if keys.len() >= MAX_AUTO_COLUMNS {
            break;
        }
        if is_scalar(v) && !keys.contains(&k.as_str()) && k != "object" && k != "livemode" {
            keys.push(k);
        }
    }
    keys.truncate(MAX_AUTO_COLUMNS);
    keys.into_iter()
        .map(|k| Column::new(k, header_for(k)))
        .collect()
}

/// `createdAt` → `CREATED AT`.
fn header_for(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// Looks up a dotted path (`plan.name`, `prices.0.price`).
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, part| match v {
        Value::Object(map) => map.get(part),
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A value as one table cell or key/value line.
pub fn cell_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".into(),
        Some(Value::Array(items)) if items.is_empty() => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(|v| v.is_string() || v.is_number()) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Array(items)) => format!("({} items)", items.len()),
        Some(v) => v.to_string(),
    }
}

fn table(rows: &[&Value], columns: &[Column], colour: bool) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(columns.iter().map(|c| {
        let cell = Cell::new(&c.header);
        if colour {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    for row in rows {
        t.add_row(columns.iter().map(|c| cell_text(lookup(row, &c.key))));
    }
    // Left-align and drop the padding comfy-table puts before the first column.
    let mut text = String::new();
    for line in t.to_string().lines() {
        text.push_str(line.strip_prefix(' ').unwrap_or(line).trim_end());
        text.push('\n');
    }
    text
}

fn object(data: &Value, colour: bool) -> String {
    let Value::Object(map) = data else {
        return format!("{}\n", cell_text(Some(data)));
    };
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut sections: Vec<(String, Vec<&Value>)> = Vec::new();
    flatten(map, "", &mut lines, &mut sections);
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, value) in &lines {
        let padded = format!("{key:<width$}");
        if colour {
            out.push_str(&format!("{}  {value}\n", padded.bold()));
        } else {
            out.push_str(&format!("{padded}  {value}\n"));
        }
    }
    for (title, rows) in sections {
        let columns = auto_columns(&rows);
        out.push('\n');
        if colour {
            out.push_str(&format!("{}\n", title.bold()));
        } else {
            out.push_str(&format!("{title}:\n"));
        }
        for line in table(&rows, &columns, colour).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Scalars and small objects become `a.b  value` lines; arrays of objects
/// become their own titled tables below.
fn flatten<'a>(
    map: &'a Map<String, Value>,
    prefix: &str,
    lines: &mut Vec<(String, String)>,
    sections: &mut Vec<(String, Vec<&'a Value>)>,
) {
    for (key, value) in map {
        if prefix.is_empty() && (key == "object" || key == "livemode") {
            continue;
        }
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if !inner.is_empty() => flatten(inner, &name, lines, sections),
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                sections.push((name, items.iter().collect()));
            }
            other => lines.push((name, cell_text(Some(other)))),
        }
    }
}

/// The human form of an error, on several lines:
/// `error: <message>`, then the code and request id, details, and a hint.
pub fn render_error(error: &CliError, colour: bool) -> String {
    let label = if colour {
        format!("{}", "error:".red().bold())
    } else {
        "error:".to_owned()
    };
    let mut out = String::new();
    match error {
        CliError::Api(api) => {
            out.push_str(&format!("{label} {}\n", api.message));
            let mut facts = vec![
                format!("code: {}", api.code),
                format!("HTTP {}", api.status),
            ];
            if let Some(param) = &api.param {
                facts.push(format!("param: {param}"));
            }
            out.push_str(&format!("  {}\n", facts.join(", ")));
            if let Some(Value::Array(details)) = &api.details {
                for d in details {
                    let field = d.get("field").and_then(Value::as_str).unwrap_or("?");
                    let msg = d
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| d.to_string());
                    out.push_str(&format!("  - {field}: {msg}\n"));
                }
            } else if let Some(details) = &api.details {
                out.push_str(&format!("  details: {details}\n"));
            }
            if let Some(id) = &api.request_id {
                out.push_str(&format!("  request id: {id}\n"));
            }
            if let Some(url) = &api.doc_url {
                out.push_str(&format!("  docs: {url}\n"));
            }
        }
        other => out.push_str(&format!("{label} {other}\n")),
    }
    if let Some(hint) = error.hint() {
        let label = if colour {
            format!("{}", "hint:".cyan().bold())
        } else {
            "hint:".to_owned()
        };
        out.push_str(&format!("  {label} {hint}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_declared_columns() {
        let page = json!({"object": "list", "data": [
            {"id": "cus_1", "email": "a@x.co", "plan": {"name": "Pro"}},
            {"id": "cus_22", "email": null}
        ]});
        let text = render(
            &View::Table {
                columns: vec![
                    Column::new("id", "ID"),
                    Column::new("email", "EMAIL"),
                    Column::new("plan.name", "PLAN"),
                ],
            },
            &page,
            false,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID"));
        assert!(
            lines[1].contains("cus_1") && lines[1].contains("a@x.co") && lines[1].contains("Pro")
        );
        assert!(lines[2].contains("cus_22") && lines[2].contains('-'));
        // Columns line up.
        assert_eq!(lines[1].find("a@x.co"), lines[0].find("EMAIL"));
    }

    #[test]
    fn empty_lists_say_so() {
        let text = render(
            &View::Table { columns: vec![] },
            &json!({"object":"list","data":[]}),
            false,
        );
        assert_eq!(text, "No results.\n");
    }

    #[test]
    fn objects_flatten_and_tabulate_arrays() {
        let text = render(
            &View::Object,
            &json!({"object":"plan","id": "pln_1", "address": {"city": "Lima"}, "prices": [{"id":"pp_1","price": 900}], "tags": ["a","b"]}),
            false,
        );
        assert!(text.contains("id"));
        assert!(text.contains("address.city  Lima"));
        assert!(text.contains("tags"));
        assert!(text.contains("a, b"));
        assert!(text.contains("prices:"));
        assert!(text.contains("pp_1"));
        assert!(!text.contains("object"));
    }

    #[test]
    fn auto_columns_prefer_identifying_fields() {
        let row = json!({"object":"customer","livemode":false,"metadata":{},"email":"e","id":"i","zzz":1});
        let cols = auto_columns(&[&row]);
        assert_eq!(cols[0].key, "id");
        assert_eq!(cols[1].key, "email");
        assert!(cols
            .iter()
            .all(|c| c.key != "object" && c.key != "metadata"));
    }
}
