//! # commet-sdk
//!
//! Write `commet` command groups as plugins: a `cdylib` crate that builds a
//! [`Plugin`] and exports it with [`export_plugin!`]. The host discovers the
//! library, shows its commands in `--help`, validates every flag against the
//! schema, and runs the command through the plugin, lending it an API client
//! that already carries credentials, retries and idempotency.
//!
//! ```no_run
//! use commet_sdk::prelude::*;
//!
//! fn plugin() -> Plugin {
//!     Plugin::new("notes", env!("CARGO_PKG_VERSION")).group(
//!         Group::new("notes", "Attach notes to customers").action(
//!             Action::post("add", "/customers/{id}/notes", "Add a note")
//!                 .flag(Flag::string("id").required().help("Customer ID"))
//!                 .flag(Flag::string("text").required().help("The note"))
//!                 .example("commet notes add --id cus_123 --text 'VIP'", "Add a note"),
//!         ),
//!     )
//! }
//! commet_sdk::export_plugin!(plugin);
//! # fn main() {}
//! ```
//!
//! `sdk/examples/notes_plugin.rs` is a complete plugin with a custom command,
//! and [`testing`] has helpers to unit-test a plugin's requests.
//!
//! The crate has four layers:
//! - [`abi`]: the `#[repr(C)]` root module and the host trait object, checked
//!   by `abi_stable` at load time;
//! - [`schema`] and [`wire`]: the JSON documents that cross it;
//! - [`plugin`], [`context`], [`execute`]: the API authors write against;
//! - [`export`]: the glue behind [`export_plugin!`], which catches panics.

pub mod abi;
pub mod context;
pub mod events;
pub mod execute;
#[doc(hidden)]
pub mod export;
pub mod plugin;
pub mod schema;
pub mod services;
pub mod testing;
pub mod wire;

pub use context::{Context, Host};
pub use plugin::{pagination, Action, Flag, Group, HandlerFn, Plugin, Target};
pub use wire::{
    Api, ApiError, ApiRequest, ApiResponse, Column, Output, PluginError, StreamEnd, View,
};

/// Host versions a plugin accepts unless it says otherwise: any host of the
/// current release line.
pub const DEFAULT_HOST_REQUIREMENT: &str = ">=0.1.0, <0.2.0";

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::context::{Context, Host};
    pub use crate::plugin::{pagination, Action, Flag, Group, Plugin, Target};
    pub use crate::wire::{Api, ApiRequest, Column, Output, PluginError, View};
    pub use serde_json::{json, Map, Value};
}

#[doc(hidden)]
pub use serde_json;
