//! The services the host lends a running plugin (the `HostContext` trait
//! object). The API key never crosses: requests are sent from here.

use std::cell::OnceCell;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use abi_stable::std_types::{RResult, RStr, RString};
use commet_sdk::abi::{level, EventSinkRef, HostContext};
use commet_sdk::wire::{ApiRequest, PluginError};

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
}

impl Services {
    pub fn new(api_url: Option<String>, spinner: Spinner, plugin_config: String) -> Self {
        Services {
            api_url,
            client: OnceCell::new(),
            spinner,
            plugin_config,
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
            .map_err(clone_error)
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

fn clone_error(e: &CliError) -> CliError {
    match e {
        CliError::Usage { message, hint } => CliError::Usage {
            message: message.clone(),
            hint: hint.clone(),
        },
        CliError::Api(a) => CliError::Api(a.clone()),
        CliError::Transport { message, hint } => CliError::Transport {
            message: message.clone(),
            hint: hint.clone(),
        },
        CliError::Failed { message, hint } => CliError::Failed {
            message: message.clone(),
            hint: hint.clone(),
        },
        CliError::Interrupted => CliError::Interrupted,
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

    fn stream(&self, request: RStr<'_>, mut sink: EventSinkRef<'_>) -> RResult<RString, RString> {
        let fail = |e: PluginError| RResult::RErr(e.to_json().into());
        let parsed: ApiRequest = match serde_json::from_str(request.as_str()) {
            Ok(r) => r,
            Err(e) => {
                return fail(PluginError::failed(format!(
                    "the plugin sent an unreadable request: {e}"
                )))
            }
        };
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => return fail(e.into()),
        };
        let mut on_event = |data: &str| sink.event(RStr::from_str(data));
        let interrupted = || wait_for_interrupt(Duration::ZERO);
        match client.stream(&parsed, &mut on_event, &interrupted) {
            Ok(end) => match serde_json::to_string(&end) {
                Ok(text) => RResult::ROk(text.into()),
                Err(e) => fail(PluginError::failed(e.to_string())),
            },
            Err(e) => fail(e.into()),
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
