//! Plugin management: finding libraries, checking them, caching their
//! manifests, and running their commands.

pub mod cache;
pub mod discover;
pub mod host_context;
pub mod load;
pub mod registry;
pub mod run;

pub use registry::{Record, Registry, Status};
