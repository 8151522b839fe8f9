//! `commet-plugin-sandbox`: the local Commet-compatible sandbox.
//!
//! - [`server`]: the server as a library (tests start it in-process);
//! - `cli`: the `commet sandbox start|stop|status|reset|key` commands,
//!   exported to the host through the plugin ABI.

pub mod server;

mod cli;

pub use server::{Faults, Sandbox, SandboxConfig, SandboxError};

commet_sdk::export_plugin!(cli::plugin);
