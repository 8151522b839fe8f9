//! The services the host lends a running plugin (the `HostContext` trait
//! object). The API key never crosses: requests are sent from here.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use abi_stable::std_types::{RResult, RStr, RString};
use commet_sdk::abi::{level, HostContext};
use commet_sdk::services::{self, StreamHandle, StreamNext, StreamOpened};
use commet_sdk::wire::{ApiRequest, PluginError};

use crate::api::client::OpenStream;
use crate::api::{ApiClient, Target};
use crate::auth::Credentials;
use crate::error::{CliError, CliResult};
use crate::output::progress::Spinner;

/// Lazily builds the API client: commands that never call the API never
/// read credentials or start a runtime.
pub struct Services {
    api_url: Option<String>,
    client: OnceCell<CliResult<ApiClient>>,
    spinner: Spinner,
    plugin_config: String,
    /// Streams opened through the `stream.*` services, by handle.
    streams: RefCell<HashMap<u64, OpenStream>>,
}

impl Services {
    pub fn new(api_url: Option<String>, spinner: Spinner, plugin_config: String) -> Self {
        Services {
            api_url,
            client: OnceCell::new(),
            spinner,
            plugin_config,
            streams: RefCell::new(HashMap::new()),
        }
    }

    pub fn client(&self) -> CliResult<&ApiClient> {
        self.client
            .get_or_init(|| {
                let target = Target::resolve(self.api_url.as_deref())?;
                let credentials = Credentials::discover(target.local)?;
                ApiClient::new(target, credentials)
            })
            .as_ref()
            .map_err(CliError::clone)
    }

    /// Sends a request with the spinner showing.
    pub fn send(&self, request: &ApiRequest) -> CliResult<commet_sdk::wire::ApiResponse> {
        let client = self.client()?;
        let label = format!("{} {}", request.method.to_ascii_uppercase(), request.path);
        self.spinner.start_if_idle(&label);
        let result = client.send(request);
        self.spinner.stop_if_auto();
        result
    }

    pub fn spinner(&self) -> &Spinner {
        &self.spinner
    }
}

impl HostContext for Services {
    fn request(&self, request: RStr<'_>) -> RResult<RString, RString> {
        let parsed: ApiRequest = match serde_json::from_str(request.as_str()) {
            Ok(r) => r,
            Err(e) => {
                return RResult::RErr(
                    PluginError::failed(format!("the plugin sent an unreadable request: {e}"))
                        .to_json()
                        .into(),
                )
            }
        };
        match self.send(&parsed) {
            Ok(response) => match serde_json::to_string(&response) {
                Ok(text) => RResult::ROk(text.into()),
                Err(e) => RResult::RErr(PluginError::failed(e.to_string()).to_json().into()),
            },
            Err(e) => RResult::RErr(PluginError::from(e).to_json().into()),
        }
    }

    fn log(&self, lvl: u8, message: RStr<'_>) {
        let message = message.as_str();
        self.spinner.suspend(|| match lvl {
            level::ERROR => tracing::error!(target: "plugin", "{message}"),
            level::WARN => tracing::warn!(target: "plugin", "{message}"),
            level::INFO => tracing::info!(target: "plugin", "{message}"),
            level::DEBUG => tracing::debug!(target: "plugin", "{message}"),
            _ => tracing::trace!(target: "plugin", "{message}"),
        });
    }

    fn progress(&self, message: RStr<'_>) {
        if message.is_empty() {
            self.spinner.stop();
        } else {
            self.spinner.start(message.as_str());
        }
    }

    fn plugin_config(&self) -> RString {
        self.plugin_config.clone().into()
    }

    fn wait_interrupt(&self, timeout_ms: u64) -> bool {
        wait_for_interrupt(Duration::from_millis(timeout_ms))
    }

    fn call(&self, service: RStr<'_>, payload: RStr<'_>) -> RResult<RString, RString> {
        match self.call_service(service.as_str(), payload.as_str()) {
            Ok(value) => RResult::ROk(value.to_string().into()),
            Err(e) => RResult::RErr(PluginError::from(e).to_json().into()),
        }
    }
}

impl Services {
    /// The named services of [`commet_sdk::services`].
    fn call_service(&self, name: &str, payload: &str) -> CliResult<serde_json::Value> {
        fn parse<T: serde::de::DeserializeOwned>(name: &str, payload: &str) -> CliResult<T> {
            serde_json::from_str(payload).map_err(|e| {
                CliError::failed(format!("unreadable {name} payload from the plugin: {e}"))
            })
        }
        fn encode<T: serde::Serialize>(value: &T) -> CliResult<serde_json::Value> {
            serde_json::to_value(value)
                .map_err(|e| CliError::failed(format!("could not encode an answer: {e}")))
        }
        match name {
            services::STREAM_OPEN => {
                let request: ApiRequest = parse(name, payload)?;
                let stream = self.client()?.open_stream(&request)?;
                let mut streams = self.streams.borrow_mut();
                let id = streams.keys().max().map_or(1, |k| k + 1);
                streams.insert(id, stream);
                encode(&StreamOpened { stream: id })
            }
            services::STREAM_NEXT => {
                let next: StreamNext = parse(name, payload)?;
                let client = self.client()?;
                let mut streams = self.streams.borrow_mut();
                let stream = streams
                    .get_mut(&next.stream)
                    .ok_or_else(|| CliError::failed(format!("no open stream {}", next.stream)))?;
                let timeout = Duration::from_millis(next.timeout_ms.min(10_000));
                let batch =
                    client.next_events(stream, timeout, &|| wait_for_interrupt(Duration::ZERO))?;
                if batch.end.is_some() {
                    streams.remove(&next.stream);
                }
                encode(&batch)
            }
            services::STREAM_CLOSE => {
                let handle: StreamHandle = parse(name, payload)?;
                self.streams.borrow_mut().remove(&handle.stream);
                Ok(serde_json::json!({}))
            }
            other => Err(CliError::failed(format!(
                "this commet ({}) does not offer the host service `{other}`; upgrade commet",
                env!("CARGO_PKG_VERSION")
            ))),
        }
    }
}

static INTERRUPTED: OnceLock<(Mutex<bool>, Condvar)> = OnceLock::new();

/// Installs the Ctrl-C handler on first use (short commands keep the
/// default behaviour) and waits up to `timeout` for it to fire.
pub fn wait_for_interrupt(timeout: Duration) -> bool {
    let pair = INTERRUPTED.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            if let Some((flag, cvar)) = INTERRUPTED.get() {
                if let Ok(mut hit) = flag.lock() {
                    *hit = true;
                }
                cvar.notify_all();
            }
        });
        (Mutex::new(false), Condvar::new())
    });
    let (flag, cvar) = pair;
    let Ok(guard) = flag.lock() else { return false };
    if *guard {
        return true;
    }
    match cvar.wait_timeout_while(guard, timeout, |hit| !*hit) {
        Ok((guard, _)) => *guard,
        Err(_) => false,
    }
}
