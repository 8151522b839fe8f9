//! The glue behind [`export_plugin!`](crate::export_plugin): the two
//! `extern "C"` entry points, with every panic caught before it can reach
//! the boundary.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use abi_stable::std_types::{RResult, RStr, RString};
use serde_json::{Map, Value};

use crate::abi::HostRef;
use crate::context::{Context, Host};
use crate::execute::run_action;
use crate::plugin::Plugin;
use crate::wire::PluginError;

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces this library's panic hook (the plugin has its own copy of `std`)
/// with one that records where the panic happened instead of printing it, so
/// the host can report one clean line.
fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            LAST_PANIC.with(|slot| *slot.borrow_mut() = Some(location));
        }));
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

fn guarded(
    what: &str,
    f: impl FnOnce() -> Result<String, PluginError>,
) -> RResult<RString, RString> {
    install_quiet_panic_hook();
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(text)) => RResult::ROk(RString::from(text)),
        Ok(Err(err)) => RResult::RErr(RString::from(err.to_json())),
        Err(payload) => {
            let location = LAST_PANIC
                .with(|slot| slot.borrow_mut().take())
                .unwrap_or_default();
            let err = PluginError::Panic {
                message: format!(
                    "the plugin panicked while {what}: {}{location}",
                    panic_message(payload.as_ref())
                ),
            };
            RResult::RErr(RString::from(err.to_json()))
        }
    }
}

#[doc(hidden)]
pub fn manifest(plugin: fn() -> &'static Plugin) -> RResult<RString, RString> {
    guarded("describing its commands", || {
        serde_json::to_string(&plugin().manifest())
            .map_err(|e| PluginError::failed(format!("could not encode the manifest: {e}")))
    })
}

#[doc(hidden)]
pub fn run(
    plugin: fn() -> &'static Plugin,
    command: RStr<'_>,
    args: RStr<'_>,
    host: HostRef<'_>,
) -> RResult<RString, RString> {
    guarded("running a command", || {
        let command: Vec<String> = serde_json::from_str(command.as_str())
            .map_err(|e| PluginError::failed(format!("unreadable command path: {e}")))?;
        let args: Map<String, Value> = serde_json::from_str(args.as_str())
            .map_err(|e| PluginError::failed(format!("unreadable arguments: {e}")))?;
        let (group, action) = match command.as_slice() {
            [group, action, ..] => (group.as_str(), action.as_str()),
            [group] => (group.as_str(), group.as_str()),
            [] => return Err(PluginError::failed("empty command path")),
        };
        let plugin = plugin();
        let action = plugin.find(group, action).ok_or_else(|| {
            PluginError::failed(format!(
                "plugin {} has no command `{}`",
                plugin.name(),
                command.join(" ")
            ))
        })?;
        let mut ctx = Context {
            command,
            args,
            host: Host::new(host),
        };
        let output = run_action(action, &mut ctx)?;
        serde_json::to_string(&output)
            .map_err(|e| PluginError::failed(format!("could not encode the result: {e}")))
    })
}

/// Exports a plugin from a `cdylib` crate.
///
/// `$build` is a `fn() -> Plugin`; it runs once, the first time the host asks
/// for the manifest or runs a command. The crate must also depend on
/// `abi_stable` (its export attribute refers to it by name).
///
/// ```no_run
/// fn plugin() -> commet_sdk::Plugin {
///     commet_sdk::Plugin::new("hello", "1.0.0")
/// }
/// commet_sdk::export_plugin!(plugin);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($build:path) => {
        fn __commet_plugin() -> &'static $crate::Plugin {
            static PLUGIN: ::std::sync::OnceLock<$crate::Plugin> = ::std::sync::OnceLock::new();
            PLUGIN.get_or_init($build)
        }

        extern "C" fn __commet_manifest() -> ::abi_stable::std_types::RResult<
            ::abi_stable::std_types::RString,
            ::abi_stable::std_types::RString,
        > {
            $crate::export::manifest(__commet_plugin)
        }

        extern "C" fn __commet_run(
            command: ::abi_stable::std_types::RStr<'_>,
            args: ::abi_stable::std_types::RStr<'_>,
            host: $crate::abi::HostRef<'_>,
        ) -> ::abi_stable::std_types::RResult<
            ::abi_stable::std_types::RString,
            ::abi_stable::std_types::RString,
        > {
            $crate::export::run(__commet_plugin, command, args, host)
        }

        #[::abi_stable::export_root_module]
        pub fn commet_plugin_root_module() -> $crate::abi::PluginModuleRef {
            use ::abi_stable::prefix_type::PrefixTypeTrait;
            $crate::abi::PluginModule {
                manifest: __commet_manifest,
                run: __commet_run,
            }
            .leak_into_prefix()
        }
    };
}
