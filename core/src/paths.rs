//! Where commet keeps its files.

use std::path::{Path, PathBuf};

/// `~/.commet`, or `None` when there is no home directory.
pub fn commet_home() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".commet"))
}

/// `~/.commet/auth.json` (written by `commet login`).
pub fn auth_file() -> Option<PathBuf> {
    commet_home().map(|h| h.join("auth.json"))
}

/// The local sandbox's data directory: `COMMET_SANDBOX_DIR`, else
/// `~/.commet/sandbox`.
pub fn sandbox_dir() -> Option<PathBuf> {
    match std::env::var_os("COMMET_SANDBOX_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => commet_home().map(|h| h.join("sandbox")),
    }
}

/// The nearest `.commet/` project directory at or above `start` (like git
/// finds `.git`), ignoring the global `~/.commet`.
pub fn find_project_dir(start: &Path) -> Option<PathBuf> {
    let home = commet_home();
    start.ancestors().find_map(|dir| {
        let candidate = dir.join(".commet");
        let is_global = home.as_deref() == Some(candidate.as_path());
        (candidate.join("config.json").is_file() && !is_global).then_some(candidate)
    })
}

/// The project's `.commet/` directory: the nearest existing one, or a new one
/// in the current directory.
pub fn project_dir_for_write() -> std::io::Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    Ok(find_project_dir(&cwd).unwrap_or_else(|| cwd.join(".commet")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_project_config_in_ancestors() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("proj");
        std::fs::create_dir_all(root.join(".commet")).unwrap();
        std::fs::write(root.join(".commet/config.json"), "{}").unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        assert_eq!(
            find_project_dir(&root.join("a/b")),
            Some(root.join(".commet"))
        );
        assert_eq!(find_project_dir(tmp.path()), None);
    }
}
