//! Reading and writing the JSON files that hold secrets, always 0600.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{CliError, CliResult};

/// Reads a JSON file; `Ok(None)` when it does not exist.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> CliResult<Option<T>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::failed(format!(
                "could not read {}: {e}",
                path.display()
            )))
        }
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        CliError::failed(format!("{} is not valid: {e}", path.display()))
            .with_hint("fix or delete the file, then run the command again")
    })
}

/// Writes a JSON file readable only by its owner. The content goes to a
/// temporary file first and is renamed over the target, so an interrupted
/// write never leaves a half-written secret file.
pub fn write_secret_json<T: Serialize>(path: &Path, value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("could not encode {}: {e}", path.display())))?;
    write_secret(path, text.as_bytes())
}

/// Writes bytes to a 0600 file atomically (see [`write_secret_json`]).
pub fn write_secret(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let fail =
        |e: std::io::Error| CliError::failed(format!("could not write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir).map_err(fail)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("secret"),
        std::process::id()
    ));
    {
        let mut file = open_private(&tmp).map_err(fail)?;
        file.write_all(bytes).map_err(fail)?;
        file.write_all(b"\n").map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })
}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

/// Whether a secret file can be read by others (group/world bits set).
#[cfg(unix)]
pub fn is_too_open(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
pub fn is_too_open(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn secret_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nested/auth.json");
        write_secret_json(&path, &serde_json::json!({"token": "t"})).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!is_too_open(&path));
        let back: serde_json::Value = read_json(&path).unwrap().unwrap();
        assert_eq!(back["token"], "t");
    }

    #[test]
    fn unreadable_json_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.json");
        fs::write(&path, "{not json").unwrap();
        let err = read_json::<serde_json::Value>(&path).unwrap_err();
        assert!(err.to_string().contains("config.json"));
        assert!(read_json::<serde_json::Value>(&tmp.path().join("none"))
            .unwrap()
            .is_none());
    }
}
