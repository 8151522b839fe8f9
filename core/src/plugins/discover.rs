//! Where plugins are looked for, in order (the first plugin to claim a group
//! wins):
//! 1. each directory in `COMMET_PLUGIN_PATH` (colon-separated);
//! 2. the project's `.commet/plugins/`;
//! 3. `~/.commet/plugins/`;
//! 4. the directory of the `commet` executable, then its `plugins/`.
//!
//! Only files named like `libcommet_plugin_<name>.so` (the platform's
//! library prefix and suffix) are considered, so other libraries that happen
//! to sit next to the executable are never opened.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::paths;

/// Which kind of directory a plugin came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    EnvPath,
    Project,
    User,
    Bundled,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::EnvPath => "COMMET_PLUGIN_PATH",
            Origin::Project => "project",
            Origin::User => "user",
            Origin::Bundled => "bundled",
        })
    }
}

/// A plugin library file found on disk.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    pub origin: Origin,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch (cache key).
    pub mtime_ns: u128,
}

/// The plugin file prefix and suffix on this platform.
pub fn file_affixes() -> (String, &'static str) {
    (
        format!("{}commet_plugin_", std::env::consts::DLL_PREFIX),
        std::env::consts::DLL_SUFFIX,
    )
}

/// The plugin file name for a plugin crate's library name.
pub fn file_name_for(name: &str) -> String {
    let (prefix, suffix) = file_affixes();
    format!("{prefix}{}{suffix}", name.replace('-', "_"))
}

pub fn is_plugin_file(name: &str) -> bool {
    let (prefix, suffix) = file_affixes();
    name.starts_with(&prefix) && name.ends_with(suffix) && name.len() > prefix.len() + suffix.len()
}

/// The directories searched, in order, with duplicates removed.
pub fn search_dirs() -> Vec<(PathBuf, Origin)> {
    let mut dirs = Vec::new();
    if let Some(list) = std::env::var_os("COMMET_PLUGIN_PATH") {
        for dir in std::env::split_paths(&list).filter(|d| !d.as_os_str().is_empty()) {
            dirs.push((dir, Origin::EnvPath));
        }
    }
    if let Ok(cwd) = std::env::current_dir() {
        let project = paths::find_project_dir(&cwd).unwrap_or_else(|| cwd.join(".commet"));
        dirs.push((project.join("plugins"), Origin::Project));
    }
    if let Some(home) = paths::commet_home() {
        dirs.push((home.join("plugins"), Origin::User));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push((exe_dir.join("plugins"), Origin::Bundled));
        dirs.insert(dirs.len() - 1, (exe_dir, Origin::Bundled));
    }
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|(d, _)| seen.insert(d.canonicalize().unwrap_or_else(|_| d.clone())));
    dirs
}

/// Every plugin file in the search directories, in discovery order.
pub fn candidates() -> Vec<Candidate> {
    let mut found = Vec::new();
    for (dir, origin) in search_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<Candidate> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_str().is_some_and(is_plugin_file))
            .filter_map(|e| {
                let meta = std::fs::metadata(e.path()).ok()?;
                if !meta.is_file() {
                    return None;
                }
                let mtime_ns = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                Some(Candidate {
                    path: e.path(),
                    origin,
                    size: meta.len(),
                    mtime_ns,
                })
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        found.extend(files);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_commet_plugin_files_match() {
        let good = file_name_for("customers");
        assert!(is_plugin_file(&good));
        assert!(!is_plugin_file(&format!(
            "{}serde{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        )));
        assert!(!is_plugin_file("commet_plugin_customers.txt"));
        let (prefix, suffix) = file_affixes();
        assert!(!is_plugin_file(&format!("{prefix}{suffix}")));
    }
}
