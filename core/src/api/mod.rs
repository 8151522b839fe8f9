//! Talking to Commet: where, with which headers, and how hard to try.

pub mod client;
pub mod retry;
pub mod target;

pub use client::ApiClient;
pub use target::Target;
