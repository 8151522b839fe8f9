//! What a running command sees: its validated arguments and the host.

use serde_json::{Map, Value};

use crate::abi::{level, EventSink, EventSink_TO, HostRef};
use crate::wire::{ApiRequest, ApiResponse, PluginError, StreamEnd};
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr};

/// Adapts a closure to the [`EventSink`] trait object.
struct ClosureSink<F>(F);

impl<F: FnMut(&str) -> bool> EventSink for ClosureSink<F> {
    fn event(&mut self, data: RStr<'_>) -> bool {
        (self.0)(data.as_str())
    }
}

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

    /// Streams server-sent events from `request`, calling `on_event` with
    /// each event's data (return `false` to stop). Blocks until the stream
    /// ends, `on_event` stops it, or the user presses Ctrl-C.
    pub fn stream(
        &self,
        request: &ApiRequest,
        on_event: impl FnMut(&str) -> bool,
    ) -> Result<StreamEnd, PluginError> {
        let text = serde_json::to_string(request)
            .map_err(|e| PluginError::failed(format!("could not encode the request: {e}")))?;
        let mut sink = ClosureSink(on_event);
        let sink_ref = EventSink_TO::from_ptr(&mut sink, TD_Opaque);
        match self.inner.stream(RStr::from_str(&text), sink_ref) {
            RResult::ROk(body) => serde_json::from_str(body.as_str()).map_err(|e| {
                PluginError::failed(format!(
                    "the host answered an unreadable stream result: {e}"
                ))
            }),
            RResult::RErr(err) => Err(PluginError::from_json(err.as_str())),
        }
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
