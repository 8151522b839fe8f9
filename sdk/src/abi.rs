//! The binary boundary between the `commet` host and a plugin library.
//!
//! Everything in this module is `#[repr(C)]` and checked by `abi_stable` when a
//! library is loaded. Payloads that keep evolving (schemas, arguments, results,
//! HTTP exchanges) cross as JSON text so that new fields never change a layout.
//!
//! Evolution rules (for SDK maintainers):
//! - new root-module fields and new `HostContext` methods go *after* the
//!   `last_prefix_field` marker; a host reading an older plugin sees them as
//!   missing and must not call them;
//! - removing or reordering anything, or changing a signature, is a major (for
//!   0.x: minor) SDK version bump, which `abi_stable` turns into a clean
//!   "incompatible version" error at load time.

#![allow(non_local_definitions)] // emitted by `#[sabi_trait]`, not by our code

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings, sabi_trait,
    sabi_types::{RRef, VersionStrings},
    std_types::{RResult, RStr, RString},
    StableAbi,
};

/// Log levels a plugin may use through [`HostContext::log`].
pub mod level {
    pub const ERROR: u8 = 1;
    pub const WARN: u8 = 2;
    pub const INFO: u8 = 3;
    pub const DEBUG: u8 = 4;
    pub const TRACE: u8 = 5;
}

/// Services the host lends to a running plugin.
///
/// The host keeps the API key to itself: `request` adds authentication,
/// retries, idempotency and the protocol headers on the plugin's behalf.
#[sabi_trait]
pub trait HostContext {
    /// Sends one API exchange. `request` is a JSON [`crate::wire::ApiRequest`];
    /// `Ok` is a JSON [`crate::wire::ApiResponse`] for any HTTP status, `Err` a
    /// JSON [`crate::wire::PluginError`] when no response could be had.
    fn request(&self, request: RStr<'_>) -> RResult<RString, RString>;

    /// Emits one log line at `level` (see [`level`]); shown with `--verbose`.
    fn log(&self, level: u8, message: RStr<'_>);

    /// Starts (non-empty message) or clears (empty message) the spinner.
    fn progress(&self, message: RStr<'_>);

    /// The plugin's own settings (a JSON object, `{}` when there are none).
    fn plugin_config(&self) -> RString;

    /// Blocks up to `timeout_ms` milliseconds and returns `true` as soon as
    /// the user pressed Ctrl-C, so long-running commands can stop cleanly.
    fn wait_interrupt(&self, timeout_ms: u64) -> bool;

    /// Calls a named host service with a JSON payload; `Ok` and `Err` are
    /// JSON. This is how host services are added without changing this
    /// trait's layout: `abi_stable` refuses a plugin whose view of a
    /// host-provided trait object has fewer methods than the host's, so the
    /// method list above is frozen for the 0.x line and new services are
    /// names (see [`crate::services`]). A host answers an unknown name with
    /// a `failed` error saying so.
    #[sabi(last_prefix_field)]
    fn call(&self, service: RStr<'_>, payload: RStr<'_>) -> RResult<RString, RString>;
}

/// A borrowed host context, as handed to [`PluginModule::run`].
pub type HostRef<'a> = HostContext_TO<'a, RRef<'a, ()>>;

/// The root module every plugin library exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(panic))]
pub struct PluginModule {
    /// The plugin's JSON [`crate::schema::PluginManifest`] (name, version,
    /// supported hosts, command schema), or a JSON error.
    pub manifest: extern "C" fn() -> RResult<RString, RString>,

    /// Runs one command. `command` is the JSON array of the command path
    /// (`["customers","create"]`), `args` a JSON object of validated flag
    /// values keyed by flag name. `Ok` is a JSON [`crate::wire::Output`], `Err`
    /// a JSON [`crate::wire::PluginError`].
    #[sabi(last_prefix_field)]
    pub run: extern "C" fn(RStr<'_>, RStr<'_>, HostRef<'_>) -> RResult<RString, RString>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "commet_plugin";
    const NAME: &'static str = "commet_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The ABI version this SDK speaks (its own package version).
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");
