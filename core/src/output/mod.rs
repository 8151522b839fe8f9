//! Rendering results and errors: `--output human` (tables, key/value lines,
//! colour only on a terminal and never with `NO_COLOR`) or `--output agent`
//! (exactly one JSON document on stdout).

pub mod human;
pub mod progress;

use std::io::{IsTerminal, Write};

use commet_sdk::wire::Output;
use serde_json::{json, Value};

use crate::error::CliError;

/// The output mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    // Tables and sentences for people.
    Human,
    // One JSON document for scripts and AI agents.
    Agent,
}

/// Whether colour is allowed on a stream.
pub fn colour_for(stream_is_tty: bool) -> bool {
    stream_is_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub struct Renderer {
    pub format: Format,
    colour_out: bool,
    colour_err: bool,
}

impl Renderer {
    pub fn new(format: Format) -> Self {
        Renderer {
            format,
            colour_out: colour_for(std::io::stdout().is_terminal()),
            colour_err: colour_for(std::io::stderr().is_terminal()),
        }
    }

    /// Whether a spinner may be shown.
    pub fn spinner_allowed(&self) -> bool {
        self.format == Format::Human && std::io::stderr().is_terminal()
    }

    /// Prints a command's result.
    pub fn success(&self, output: &Output) {
        let mut out = std::io::stdout().lock();
        match self.format {
            Format::Agent => {
                let doc = agent_document(&output.data);
                let _ = writeln!(out, "{}", pretty(&doc));
            }
            Format::Human => {
                let text = human::render(&output.view, &output.data, self.colour_out);
                let _ = write!(out, "{text}");
                if !text.is_empty() && !text.ends_with('\n') {
                    let _ = writeln!(out);
                }
            }
        }
        if let Some(cursor) = next_cursor(&output.data) {
            self.note(&format!(
                "more results: run the same command with --cursor {cursor}"
            ));
        }
    }

    /// A line for people on stderr (dimmed on a terminal).
    pub fn note(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.colour_err {
            use owo_colors::OwoColorize;
            let _ = writeln!(err, "{}", text.dimmed());
        } else {
            let _ = writeln!(err, "{text}");
        }
    }

    /// A warning on stderr (`warning: ...`).
    pub fn warning(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        if self.colour_err {
            use owo_colors::OwoColorize;
            let _ = writeln!(err, "{} {text}", "warning:".yellow().bold());
        } else {
            let _ = writeln!(err, "warning: {text}");
        }
    }

    /// Prints an error: JSON on stdout for agents, readable lines on stderr
    /// for people.
    pub fn error(&self, error: &CliError) {
        match self.format {
            Format::Agent => {
                let _ = writeln!(
                    std::io::stdout().lock(),
                    "{}",
                    pretty(&error_document(error))
                );
            }
            Format::Human => {
                let _ = write!(
                    std::io::stderr().lock(),
                    "{}",
                    human::render_error(error, self.colour_err)
                );
            }
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// What agents get for a success: list pages become their `data` array (as
/// the CLI reference shows: `commet customers list --output agent | jq '.[0].id'`).
fn agent_document(data: &Value) -> Value {
    if is_list_page(data) {
        data.get("data").cloned().unwrap_or(Value::Array(vec![]))
    } else {
        data.clone()
    }
}

pub fn is_list_page(data: &Value) -> bool {
    data.get("object").and_then(Value::as_str) == Some("list") && data.get("data").is_some()
}

fn next_cursor(data: &Value) -> Option<&str> {
    if !is_list_page(data) || data.get("hasMore").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    data.get("nextCursor").and_then(Value::as_str)
}

/// `{"error": {...}}` for agents; API errors keep every field the server sent.
pub fn error_document(error: &CliError) -> Value {
    let (kind, code) = error.kind_and_code();
    let mut body = json!({
        "type": kind,
        "code": code,
        "message": error.to_string(),
    });
    if let CliError::Api(api) = error {
        body["message"] = json!(api.message);
        body["status"] = json!(api.status);
        for (key, value) in [
            ("param", api.param.clone().map(Value::String)),
            ("details", api.details.clone()),
            ("doc_url", api.doc_url.clone().map(Value::String)),
            ("requestId", api.request_id.clone().map(Value::String)),
        ] {
            if let Some(value) = value {
                body[key] = value;
            }
        }
    }
    if let Some(hint) = error.hint() {
        body["hint"] = json!(hint);
    }
    json!({ "error": body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use commet_sdk::wire::ApiError;

    #[test]
    fn agent_gets_the_data_array_of_a_list() {
        let page = json!({"object": "list", "data": [{"id": "a"}], "hasMore": true, "nextCursor": "cur_1"});
        assert_eq!(agent_document(&page), json!([{"id": "a"}]));
        assert_eq!(next_cursor(&page), Some("cur_1"));
        let one = json!({"id": "a"});
        assert_eq!(agent_document(&one), one);
    }

    #[test]
    fn api_errors_keep_their_fields_for_agents() {
        let err = CliError::from(ApiError {
            status: 404,
            kind: "not_found_error".into(),
            code: "customer_not_found".into(),
            message: "No such customer".into(),
            param: Some("id".into()),
            details: None,
            doc_url: None,
            request_id: Some("req_9".into()),
        });
        let doc = error_document(&err);
        assert_eq!(doc["error"]["code"], "customer_not_found");
        assert_eq!(doc["error"]["requestId"], "req_9");
        assert_eq!(doc["error"]["status"], 404);
        assert_eq!(doc["error"]["message"], "No such customer");
    }
}
