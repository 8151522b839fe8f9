//! The data directory: `sandbox.db`, `api-key`, `server.json`, `sandbox.log`.

use std::fs;
use std::io::Write as _;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::SandboxError;

/// Port used when none is given.
pub const DEFAULT_PORT: u16 = 4242;
/// Overrides the default data directory.
pub const DIR_ENV: &str = "COMMET_SANDBOX_DIR";

pub const DB_FILE: &str = "sandbox.db";
pub const API_KEY_FILE: &str = "api-key";
pub const SERVER_FILE: &str = "server.json";
pub const LOG_FILE: &str = "sandbox.log";

/// `$COMMET_SANDBOX_DIR`, else `~/.commet/sandbox`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::home_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".commet")
        .join("sandbox")
}

/// What `server.json` holds while a server runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    pub pid: u32,
    pub port: u16,
    pub url: String,
    pub started_at: String,
}

pub fn read_server_info(dir: &Path) -> Option<ServerInfo> {
    let text = fs::read_to_string(dir.join(SERVER_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes a file atomically (temp file + rename), with `mode` on Unix.
pub fn write_file(path: &Path, contents: &str, mode: u32) -> Result<(), SandboxError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        SandboxError::io("could not write", path, e)
    })
}

pub fn write_server_info(dir: &Path, info: &ServerInfo) -> Result<(), SandboxError> {
    let text =
        serde_json::to_string_pretty(info).map_err(|e| SandboxError::Runtime(e.to_string()))?;
    write_file(&dir.join(SERVER_FILE), &format!("{text}\n"), 0o644)
}

/// Removes `server.json` if it still describes this server.
pub fn remove_server_info(dir: &Path, pid: u32, port: u16) {
    if read_server_info(dir).is_some_and(|i| i.pid == pid && i.port == port) {
        let _ = fs::remove_file(dir.join(SERVER_FILE));
    }
}

/// Whether a process with this id exists.
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn port_open(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// The server running for `dir`, if `server.json` names a live process
/// that still listens.
pub fn running(dir: &Path) -> Option<ServerInfo> {
    read_server_info(dir).filter(|i| pid_alive(i.pid) && port_open(i.port))
}

/// The default organization's key, if the data dir has one.
pub fn read_api_key(dir: &Path) -> Result<Option<String>, SandboxError> {
    let path = dir.join(API_KEY_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim().to_owned()).filter(|k| k.starts_with("ck_"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SandboxError::io("could not read", path, e)),
    }
}

pub fn write_api_key(dir: &Path, key: &str) -> Result<(), SandboxError> {
    write_file(&dir.join(API_KEY_FILE), &format!("{key}\n"), 0o600)
}

/// Erases the database (keeping `api-key`, so configs using it stay valid
/// after the next start). Refused while a server runs for `dir`.
pub fn reset(dir: &Path) -> Result<(), SandboxError> {
    if let Some(info) = running(dir) {
        return Err(SandboxError::AlreadyRunning {
            data_dir: dir.to_path_buf(),
            pid: info.pid,
            url: info.url,
        });
    }
    for name in [
        DB_FILE,
        "sandbox.db-wal",
        "sandbox.db-shm",
        "sandbox.db-journal",
    ] {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SandboxError::io("could not remove", path, e)),
        }
    }
    let _ = fs::remove_file(dir.join(SERVER_FILE));
    Ok(())
}

/// Row counts of the main tables (for `commet sandbox status`), read
/// without changing anything; `None` when there is no database yet.
pub fn counts(dir: &Path) -> Result<Option<Vec<(&'static str, i64)>>, SandboxError> {
    let path = dir.join(DB_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let db_err = |source| SandboxError::Database {
        path: path.clone(),
        source,
    };
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(db_err)?;
    let mut out = Vec::new();
    for (label, sql) in [
        ("organizations", "SELECT COUNT(*) FROM organizations"),
        ("customers", "SELECT COUNT(*) FROM customers"),
        ("features", "SELECT COUNT(*) FROM features"),
        (
            "plans",
            "SELECT COUNT(*) FROM plans WHERE deleted_at IS NULL",
        ),
        (
            "apiKeys",
            "SELECT COUNT(*) FROM api_keys WHERE deleted_at IS NULL",
        ),
        ("webhooks", "SELECT COUNT(*) FROM webhooks"),
    ] {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0);
        out.push((label, n));
    }
    Ok(Some(out))
}

/// Whether `GET /health` on this port answers 200.
pub fn health_ok(port: u16) -> bool {
    use std::io::Read;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    head[..read].starts_with(b"HTTP/1.1 200")
}
