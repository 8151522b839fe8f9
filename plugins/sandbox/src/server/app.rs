//! Shared state of a running server, handed to every handler.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, Transaction};
use tokio::sync::Notify;

use super::error::ApiError;
use super::faults::FaultInjector;
use super::store::Store;

pub type App = Arc<AppState>;

/// Timings of the device login flow (tests shorten them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTimings {
    /// Minimum time between two polls of one code (`slow_down` below it).
    pub interval: Duration,
    /// How long a code can be approved.
    pub ttl: Duration,
}

impl Default for DeviceTimings {
    fn default() -> Self {
        DeviceTimings {
            interval: Duration::from_secs(5),
            ttl: Duration::from_secs(600),
        }
    }
}

pub struct AppState {
    pub store: Arc<Store>,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub data_dir: PathBuf,
    pub faults: FaultInjector,
    pub device: Mutex<DeviceTimings>,
    /// Wakes the webhook deliverer after a commit that queued deliveries.
    pub deliveries: Notify,
}

impl AppState {
    pub fn device_timings(&self) -> DeviceTimings {
        *self.device.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs read-only database work off the async threads.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.read(f))
            .await
            .map_err(|e| ApiError::internal(format!("the request handler failed: {e}")))?
    }

    /// Runs one write transaction off the async threads.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.write(f))
            .await
            .map_err(|e| ApiError::internal(format!("the request handler failed: {e}")))?
    }
}
