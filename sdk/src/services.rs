//! Named host services reached through [`HostContext::call`]: their names
//! and JSON payloads. New services are added here, never as new trait
//! methods (see [`HostContext::call`] for why).
//!
//! [`HostContext::call`]: crate::abi::HostContext::call

use serde::{Deserialize, Serialize};

/// Opens a server-sent-events stream. Payload: a [`crate::wire::ApiRequest`];
/// answer: [`StreamOpened`].
pub const STREAM_OPEN: &str = "stream.open";
/// Waits for the next events of an open stream. Payload: [`StreamNext`];
/// answer: [`StreamBatch`].
pub const STREAM_NEXT: &str = "stream.next";
/// Closes a stream. Payload: [`StreamHandle`]; answer: `{}`.
pub const STREAM_CLOSE: &str = "stream.close";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamOpened {
    pub stream: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamHandle {
    pub stream: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamNext {
    pub stream: u64,
    /// Longest time to wait for at least one event.
    pub timeout_ms: u64,
}

/// Events that arrived (each event's `data`), and whether the stream ended:
/// `closed` by the server or `interrupted` by Ctrl-C.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StreamBatch {
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}
