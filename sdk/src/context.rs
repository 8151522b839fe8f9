//! What a running command sees: its validated arguments and the host.

use serde_json::{Map, Value};

use crate::abi::{level, HostRef};
use crate::services::{self, StreamBatch, StreamHandle, StreamNext, StreamOpened};
use crate::wire::{ApiRequest, ApiResponse, PluginError, StreamEnd};
use abi_stable::std_types::{RResult, RStr};
use serde::{de::DeserializeOwned, Serialize};

/// A handle on the host's services for the duration of one command.
pub struct Host<'a> {
    inner: HostRef<'a>,
}

impl<'a> Host<'a> {
    pub(crate) fn new(inner: HostRef<'a>) -> Self {
        Host { inner }
    }

    /// Sends a request and returns the raw response, whatever its status.
    pub fn send(&self, request: &ApiRequest) -> Result<ApiResponse, PluginError> {
        let text = serde_json::to_string(request)
            .map_err(|e| PluginError::failed(format!("could not encode the request: {e}")))?;
        match self.inner.request(RStr::from_str(&text)) {
            RResult::ROk(body) => serde_json::from_str(body.as_str()).map_err(|e| {
                PluginError::failed(format!("the host answered an unreadable response: {e}"))
            }),
            RResult::RErr(err) => Err(PluginError::from_json(err.as_str())),
        }
    }

    /// Sends a request; an error status becomes [`PluginError::Api`].
    pub fn call(&self, request: &ApiRequest) -> Result<Value, PluginError> {
        Ok(self.send(request)?.into_result()?)
    }

    pub fn log(&self, lvl: u8, message: &str) {
        self.inner.log(lvl, RStr::from_str(message));
    }
    pub fn info(&self, message: &str) {
        self.log(level::INFO, message);
    }
    pub fn debug(&self, message: &str) {
        self.log(level::DEBUG, message);
    }
    pub fn warn(&self, message: &str) {
        self.log(level::WARN, message);
    }

    /// Shows a spinner with `message` (stderr, only on a terminal).
    pub fn progress(&self, message: &str) {
        self.inner.progress(RStr::from_str(message));
    }

    /// Clears the spinner.
    pub fn progress_done(&self) {
        self.inner.progress(RStr::from_str(""));
    }

    /// The plugin's settings object.
    pub fn config(&self) -> Map<String, Value> {
        serde_json::from_str(self.inner.plugin_config().as_str()).unwrap_or_default()
    }

    /// Calls a named host service (see [`crate::services`]).
    pub fn service<P: Serialize, R: DeserializeOwned>(
        &self,
        name: &str,
        payload: &P,
    ) -> Result<R, PluginError> {
        let text = serde_json::to_string(payload)
            .map_err(|e| PluginError::failed(format!("could not encode the {name} call: {e}")))?;
        match self.inner.call(RStr::from_str(name), RStr::from_str(&text)) {
            RResult::ROk(body) => serde_json::from_str(body.as_str()).map_err(|e| {
                PluginError::failed(format!("the host answered {name} unreadably: {e}"))
            }),
            RResult::RErr(err) => Err(PluginError::from_json(err.as_str())),
        }
    }

    /// Streams server-sent events from `request`, calling `on_event` with
    /// each event's data (return `false` to stop). Blocks until the stream
    /// ends, `on_event` stops it, or the user presses Ctrl-C.
    pub fn stream(
        &self,
        request: &ApiRequest,
        mut on_event: impl FnMut(&str) -> bool,
    ) -> Result<StreamEnd, PluginError> {
        let opened: StreamOpened = self.service(services::STREAM_OPEN, request)?;
        let handle = StreamHandle {
            stream: opened.stream,
        };
        let mut events = 0u64;
        let result = loop {
            let batch: StreamBatch = match self.service(
                services::STREAM_NEXT,
                &StreamNext {
                    stream: opened.stream,
                    timeout_ms: 500,
                },
            ) {
                Ok(batch) => batch,
                Err(e) => break Err(e),
            };
            let mut stopped = false;
            for data in &batch.events {
                events += 1;
                if !on_event(data) {
                    stopped = true;
                    break;
                }
            }
            if stopped {
                break Ok(StreamEnd {
                    reason: "stopped".into(),
                    events,
                });
            }
            if let Some(reason) = batch.end {
                break Ok(StreamEnd { reason, events });
            }
        };
        let _: Result<serde_json::Value, _> = self.service(services::STREAM_CLOSE, &handle);
        result
    }

    /// Waits up to `timeout_ms`; `true` when the user pressed Ctrl-C.
    pub fn wait_interrupt(&self, timeout_ms: u64) -> bool {
        self.inner.wait_interrupt(timeout_ms)
    }
}

/// The reserved argument through which the host tells a command the output
/// mode (`"human"` or `"agent"`).
pub const OUTPUT_ARG: &str = "$output";

/// One command invocation.
pub struct Context<'a> {
    /// `["group", "action"]`.
    pub command: Vec<String>,
    /// Validated flag values keyed by flag name (`full-name`), already typed.
    pub args: Map<String, Value>,
    pub host: Host<'a>,
}

impl Context<'_> {
    /// Whether the user asked for `--output agent` (commands that print as
    /// they go should then print one JSON document per line).
    pub fn agent_output(&self) -> bool {
        self.str(OUTPUT_ARG) == Some("agent")
    }

    pub fn value(&self, name: &str) -> Option<&Value> {
        self.args.get(name).filter(|v| !v.is_null())
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.value(name).and_then(Value::as_str)
    }

    /// A flag the schema marks as required.
    pub fn required_str(&self, name: &str) -> Result<&str, PluginError> {
        self.str(name)
            .ok_or_else(|| PluginError::usage(format!("--{name} is required")))
    }

    pub fn i64(&self, name: &str) -> Option<i64> {
        self.value(name).and_then(Value::as_i64)
    }

    pub fn f64(&self, name: &str) -> Option<f64> {
        self.value(name).and_then(Value::as_f64)
    }

    /// A bool or switch; absent means `false`.
    pub fn flag(&self, name: &str) -> bool {
        self.value(name).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.value(name).and_then(Value::as_bool)
    }

    /// A list flag (`--events a,b`) as strings.
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.value(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}
