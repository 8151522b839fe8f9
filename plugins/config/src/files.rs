//! Where `commet.config.ts` lives, and writing it without ever losing the
//! previous version.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "commet.config.ts";

/// The user's `~/.commet`, which is not a project directory.
fn global_commet_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".commet"))
}

/// The nearest directory at or above `start` with a `.commet/config.json`
/// (a linked project), like the host finds it.
pub fn project_root(start: &Path) -> Option<PathBuf> {
    let global = global_commet_dir();
    start.ancestors().find_map(|dir| {
        let candidate = dir.join(".commet");
        let is_global = global.as_deref() == Some(candidate.as_path());
        (candidate.join("config.json").is_file() && !is_global).then(|| dir.to_path_buf())
    })
}

/// `commet.config.ts` in `cwd` if it is there, else in the project root,
/// else in `cwd`.
pub fn locate_config(cwd: &Path) -> PathBuf {
    let here = cwd.join(CONFIG_FILE);
    if here.is_file() {
        return here;
    }
    match project_root(cwd) {
        Some(root) => root.join(CONFIG_FILE),
        None => here,
    }
}

/// The linked organization's id from `.commet/config.json`. Only `orgId` is
/// read; the API key stays where it is.
pub fn linked_org_id(cwd: &Path) -> Option<String> {
    let root = project_root(cwd)?;
    let text = fs::read_to_string(root.join(".commet").join("config.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value
        .get("orgId")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A path for display: relative to `base` when inside it.
pub fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory and a rename, so `path` holds either the old or the new
/// contents, never half of either. A new file gets `mode` (Unix); an existing
/// one keeps its permissions.
pub fn write_atomic(path: &Path, contents: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode.unwrap_or(0o644));
        }
        let mut file = options.open(&tmp)?;
        file.write_all(contents)?;
        if let Ok(meta) = fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    #[cfg(not(unix))]
    let _ = mode;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write_atomic(&path, b"one", Some(0o600)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        write_atomic(&path, b"two", None).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "an existing file keeps its mode");
        }
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("a.txt");
        assert!(write_atomic(&path, b"x", None).is_err());
        let path = dir.path().join("b.txt");
        fs::write(&path, "old").unwrap();
        // A directory where the temp file would go makes the write fail.
        fs::create_dir(
            dir.path()
                .join(format!(".b.txt.{}.tmp", std::process::id())),
        )
        .unwrap();
        assert!(write_atomic(&path, b"new", None).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
    }

    #[test]
    fn finds_the_project_root_and_org() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        fs::create_dir_all(root.join(".commet")).unwrap();
        fs::create_dir_all(root.join("src/deep")).unwrap();
        fs::write(
            root.join(".commet/config.json"),
            r#"{"orgId":"org_1","apiKey":"ck_secret"}"#,
        )
        .unwrap();
        assert_eq!(project_root(&root.join("src/deep")), Some(root.clone()));
        assert_eq!(
            locate_config(&root.join("src/deep")),
            root.join(CONFIG_FILE)
        );
        assert_eq!(linked_org_id(&root.join("src")).as_deref(), Some("org_1"));
        fs::write(root.join("src/commet.config.ts"), "").unwrap();
        assert_eq!(
            locate_config(&root.join("src")),
            root.join("src").join(CONFIG_FILE)
        );
        assert_eq!(project_root(dir.path()), None);
    }
}
