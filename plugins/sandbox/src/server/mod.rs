//! The local Commet-compatible server, as a library.
//!
//! ```no_run
//! use commet_plugin_sandbox::server::{Faults, Sandbox, SandboxConfig};
//!
//! let dir = std::env::temp_dir().join("commet-sandbox-example");
//! let sandbox = Sandbox::start(SandboxConfig { port: 0, data_dir: dir, faults: Faults::default() }).unwrap();
//! println!("{} {}", sandbox.url(), sandbox.api_key());
//! sandbox.shutdown();
//! ```
//!
//! Module map: [`app`] (shared state), [`http`] (accept loop, router,
//! extractors, layers), `routes` (one module per resource group), [`store`]
//! (SQLite, one module per resource), [`catalog`] (push and templates),
//! `delivery` (webhook sender), [`datadir`] (files of the data directory),
//! [`faults`], [`input`] (request validation), [`ids`], [`error`].

pub mod app;
pub mod billing;
pub mod catalog;
pub mod clock;
pub mod datadir;
mod delivery;
pub mod entitlements;
pub mod error;
pub mod events;
pub mod faults;
pub mod http;
pub mod ids;
pub mod input;
mod routes;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::{oneshot, watch, Notify};

pub use app::DeviceTimings;
pub use datadir::{default_data_dir, ServerInfo, DEFAULT_PORT};
pub use error::{ApiError, SandboxError};
pub use faults::{FaultKind, Faults};

use app::{App, AppState};
use faults::FaultInjector;
use store::{api_keys, auth, idempotency, orgs, Store};

/// The default organization created on first start.
pub const DEFAULT_ORG_NAME: &str = "Local Sandbox";
pub const DEFAULT_ORG_SLUG: &str = "local";

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks any free port.
    pub port: u16,
    /// Where `sandbox.db`, `api-key` and `server.json` live.
    pub data_dir: PathBuf,
    /// Injected faults (off by default).
    pub faults: Faults,
}

impl SandboxConfig {
    /// Any free port, no faults, this data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        SandboxConfig {
            port: 0,
            data_dir: data_dir.into(),
            faults: Faults::default(),
        }
    }
}

impl Default for SandboxConfig {
    /// Port 4242 and the default data directory.
    fn default() -> Self {
        SandboxConfig {
            port: DEFAULT_PORT,
            data_dir: default_data_dir(),
            faults: Faults::default(),
        }
    }
}

/// A running sandbox server. Dropping it shuts it down.
pub struct Sandbox {
    app: App,
    url: String,
    port: u16,
    api_key: String,
    org_id: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The default org's id is derived from its key, so it stays the same after
/// `commet sandbox reset` (which keeps the key).
fn default_org_id(api_key: &str) -> String {
    let digest = hex::encode(Sha256::digest(
        format!("commet-sandbox-default-org:{api_key}").as_bytes(),
    ));
    format!("org_{}", &digest[..24])
}

/// Creates what a fresh data dir needs and returns the default org's
/// `(id, api key)`.
fn bootstrap(store: &Store, data_dir: &Path) -> Result<(String, String), SandboxError> {
    let known_key = datadir::read_api_key(data_dir)?;
    let key = known_key.clone().unwrap_or_else(ids::new_api_key);
    let org_id = store.write(|tx| {
        orgs::ensure_local_user(tx)?;
        let org = match orgs::find(tx, DEFAULT_ORG_SLUG)? {
            Some(org) => org,
            None => orgs::create(
                tx,
                Some(&default_org_id(&key)),
                DEFAULT_ORG_NAME,
                DEFAULT_ORG_SLUG,
                orgs::LOCAL_USER_ID,
            )?,
        };
        api_keys::ensure(tx, &org.id, &key)?;
        idempotency::purge(tx)?;
        Ok(org.id)
    })?;
    if known_key.is_none() {
        datadir::write_api_key(data_dir, &key)?;
    }
    Ok((org_id, key))
}

impl Sandbox {
    /// Opens (or creates) the data dir, binds 127.0.0.1, and serves on a
    /// thread of its own with its own tokio runtime. Returns once the port
    /// accepts connections.
    pub fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| SandboxError::io("could not create", &data_dir, e))?;
        if let Some(info) = datadir::running(&data_dir) {
            return Err(SandboxError::AlreadyRunning {
                data_dir,
                pid: info.pid,
                url: info.url,
            });
        }
        let store = Arc::new(Store::open(&data_dir.join(datadir::DB_FILE))?);
        let (org_id, api_key) = bootstrap(&store, &data_dir)?;

        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                SandboxError::PortInUse { port: config.port }
            } else {
                SandboxError::Bind {
                    port: config.port,
                    source: e,
                }
            }
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| SandboxError::Runtime(format!("could not configure the listener: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| SandboxError::Runtime(format!("could not read the bound address: {e}")))?
            .port();
        let url = format!("http://127.0.0.1:{port}");

        let app: App = Arc::new(AppState {
            store,
            base_url: url.clone(),
            data_dir: data_dir.clone(),
            faults: FaultInjector::new(config.faults),
            device: Mutex::new(DeviceTimings::default()),
            deliveries: Notify::new(),
        });

        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread_app = app.clone();
        let thread = std::thread::Builder::new()
            .name("commet-sandbox".into())
            .spawn(move || serve_thread(thread_app, listener, stop_rx, ready_tx))
            .map_err(|e| {
                SandboxError::Runtime(format!("could not start the server thread: {e}"))
            })?;
        match ready_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(SandboxError::Runtime(e)),
            Err(_) => {
                return Err(SandboxError::Runtime(
                    "the server thread did not start".into(),
                ))
            }
        }

        let info = ServerInfo {
            pid: std::process::id(),
            port,
            url: url.clone(),
            started_at: ids::now(),
        };
        datadir::write_server_info(&data_dir, &info)?;
        tracing::info!(%url, "sandbox listening");
        Ok(Sandbox {
            app,
            url,
            port,
            api_key,
            org_id,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (no path).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The default organization's API key (`ck_sandbox_…`).
    pub fn api_key(&self) -> String {
        self.api_key.clone()
    }

    /// The default organization's id.
    pub fn org_id(&self) -> String {
        self.org_id.clone()
    }

    pub fn data_dir(&self) -> &Path {
        &self.app.data_dir
    }

    /// Creates another sandbox organization (the local user is a member)
    /// and returns `(org id, API key)`.
    pub fn create_org(&self, name: &str, slug: &str) -> Result<(String, String), SandboxError> {
        let (name, slug) = (name.to_owned(), slug.to_owned());
        Ok(self.app.store.write(move |tx| {
            let org = orgs::create(tx, None, &name, &slug, orgs::LOCAL_USER_ID)?;
            let (_, key) = api_keys::create(tx, &org.id, "Sandbox key", None, None)?;
            Ok((org.id, key))
        })?)
    }

    /// Approves a pending device login, as the Approve button does.
    pub fn approve_device_code(&self, user_code: &str) -> Result<(), SandboxError> {
        let code = user_code.to_owned();
        Ok(self
            .app
            .store
            .write(move |tx| auth::decide(tx, &code, true, orgs::LOCAL_USER_ID))?)
    }

    /// Denies a pending device login, as the Deny button does.
    pub fn deny_device_code(&self, user_code: &str) -> Result<(), SandboxError> {
        let code = user_code.to_owned();
        Ok(self
            .app
            .store
            .write(move |tx| auth::decide(tx, &code, false, orgs::LOCAL_USER_ID))?)
    }

    /// Changes the device-login timings for codes issued from now on
    /// (defaults: 5 s poll interval, 10 min lifetime). For tests.
    pub fn set_device_timings(&self, timings: DeviceTimings) {
        *self.app.device.lock().unwrap_or_else(|p| p.into_inner()) = timings;
    }

    /// A webhook delivery's state (`status`: pending, delivered, failed,
    /// canceled), for tests.
    pub fn webhook_delivery(
        &self,
        delivery_id: &str,
    ) -> Result<Option<serde_json::Value>, SandboxError> {
        let id = delivery_id.to_owned();
        Ok(self
            .app
            .store
            .read(move |c| store::webhooks::delivery(c, &id))?)
    }

    /// Stops accepting, lets in-flight requests finish, and removes
    /// `server.json`. Dropping the sandbox does the same.
    pub fn shutdown(mut self) {
        self.stop_server();
    }

    fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
            datadir::remove_server_info(&self.app.data_dir, std::process::id(), self.port);
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_server();
    }
}

fn serve_thread(
    app: App,
    listener: std::net::TcpListener,
    stop: oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .thread_name("commet-sandbox-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("could not start the async runtime: {e}")));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(format!("could not use the listener: {e}")));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let (deliverer_stop, deliverer_rx) = watch::channel(false);
        let deliverer = tokio::spawn(delivery::run(app.clone(), deliverer_rx));
        routes::listen::serving(&app);
        let router = http::router(app.clone());
        http::serve(listener, router, async move {
            let _ = stop.await;
            // Open listen streams end now rather than at the graceful timeout.
            routes::listen::shutting_down(&app);
        })
        .await;
        let _ = deliverer_stop.send(true);
        let _ = deliverer.await;
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
}
