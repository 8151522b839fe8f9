//! Running one command through the plugin that owns it.

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr};
use commet_sdk::abi::HostContext_TO;
use commet_sdk::wire::{Output, PluginError};
use serde_json::{Map, Value};

use super::host_context::Services;
use super::registry::{open_module, Record};
use crate::error::{CliError, CliResult};

/// Loads only this plugin's library and runs `command` with `args`.
pub fn run_command(
    record: &Record,
    command: &[String],
    args: &Map<String, Value>,
    services: &Services,
) -> CliResult<Output> {
    let module = open_module(record).map_err(|e| {
        CliError::failed(format!(
            "could not load plugin {}: {e}",
            record.path.display()
        ))
        .with_hint(e.advice())
    })?;
    let command_json = serde_json::to_string(command)
        .map_err(|e| CliError::failed(format!("could not encode the command: {e}")))?;
    let args_json = serde_json::to_string(args)
        .map_err(|e| CliError::failed(format!("could not encode the arguments: {e}")))?;
    let host = HostContext_TO::from_ptr(services, TD_Opaque);
    let result = (module.run())(
        RStr::from_str(&command_json),
        RStr::from_str(&args_json),
        host,
    );
    services.spinner().stop();
    match result {
        RResult::ROk(text) => serde_json::from_str::<Output>(text.as_str()).map_err(|e| {
            CliError::failed(format!(
                "plugin `{}` returned an unreadable result: {e}",
                record.name()
            ))
        }),
        RResult::RErr(err) => {
            let err = PluginError::from_json(err.as_str());
            if let PluginError::Panic { message } = &err {
                return Err(CliError::Failed {
                    message: format!("plugin `{}` ({}): {message}", record.name(), record.path.display()),
                    hint: Some("this is a bug in the plugin; report it to its author. Other commands are not affected".into()),
                });
            }
            Err(err.into())
        }
    }
}
