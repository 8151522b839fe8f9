//! A cache of plugin manifests, so `--help`, completion and command lookup
//! do not open every library on every run.
//!
//! Entries are keyed by path and invalidated by size or modification time;
//! the whole file is discarded when the host or ABI version changes. Load
//! failures are cached too (a broken file stays broken until it changes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commet_sdk::schema::PluginManifest;
use serde::{Deserialize, Serialize};

use super::discover::Candidate;
use super::load::{LoadError, HOST_VERSION};
use crate::paths;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheFile {
    host: String,
    entries: BTreeMap<PathBuf, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    size: u64,
    mtime_ns: String,
    outcome: Outcome,
}

/// What loading a file produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Manifest(PluginManifest),
    Broken { reason: String, advice: String },
}

impl From<&LoadError> for Outcome {
    fn from(e: &LoadError) -> Self {
        Outcome::Broken {
            reason: e.to_string(),
            advice: e.advice().to_owned(),
        }
    }
}

pub struct ManifestCache {
    path: Option<PathBuf>,
    file: CacheFile,
    dirty: bool,
}

fn host_key() -> String {
    format!("{HOST_VERSION}+abi{}", commet_sdk::abi::ABI_VERSION)
}

impl ManifestCache {
    /// Loads `~/.commet/cache/plugins.json` (or starts empty).
    pub fn open() -> ManifestCache {
        let path = paths::commet_home().map(|h| h.join("cache").join("plugins.json"));
        let file = path
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|f| f.host == host_key())
            .unwrap_or_else(|| CacheFile {
                host: host_key(),
                entries: BTreeMap::new(),
            });
        ManifestCache {
            path,
            file,
            dirty: false,
        }
    }

    pub fn get(&self, candidate: &Candidate) -> Option<&Outcome> {
        let entry = self.file.entries.get(&candidate.path)?;
        (entry.size == candidate.size && entry.mtime_ns == candidate.mtime_ns.to_string())
            .then_some(&entry.outcome)
    }

    pub fn put(&mut self, candidate: &Candidate, outcome: Outcome) {
        self.file.entries.insert(
            candidate.path.clone(),
            Entry {
                size: candidate.size,
                mtime_ns: candidate.mtime_ns.to_string(),
                outcome,
            },
        );
        self.dirty = true;
    }

    /// Drops entries for files that are gone.
    pub fn retain_paths(&mut self, keep: &[&Path]) {
        let before = self.file.entries.len();
        self.file.entries.retain(|p, _| keep.contains(&p.as_path()));
        self.dirty |= self.file.entries.len() != before;
    }

    /// Writes the cache back if it changed. Failures are ignored: the cache
    /// only saves time.
    pub fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let Some(path) = &self.path else { return };
        let Ok(bytes) = serde_json::to_vec(&self.file) else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_ok() {
            self.dirty = false;
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
