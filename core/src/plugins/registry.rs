//! The plugins this run can use: which file provides which group, and what
//! is wrong with the files that cannot be used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use commet_sdk::abi::PluginModuleRef;
use commet_sdk::schema::{GroupSchema, PluginManifest};

use super::cache::{ManifestCache, Outcome};
use super::discover::{self, Candidate, Origin};
use super::load::{self, LoadError};

/// The state of one discovered file.
#[derive(Debug, Clone)]
pub enum Status {
    Active,
    /// A plugin of the same name found earlier in the search order.
    Shadowed {
        by: PathBuf,
    },
    Broken {
        reason: String,
        advice: String,
    },
}

#[derive(Debug, Clone)]
pub struct Record {
    pub path: PathBuf,
    pub origin: Origin,
    pub manifest: Option<PluginManifest>,
    pub status: Status,
    /// Groups this plugin declares but another plugin owns.
    pub lost_groups: Vec<String>,
}

impl Record {
    pub fn name(&self) -> String {
        match &self.manifest {
            Some(m) => m.name.clone(),
            None => file_stem_name(&self.path),
        }
    }
}

fn file_stem_name(path: &Path) -> String {
    let (prefix, suffix) = discover::file_affixes();
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.trim_start_matches(prefix.as_str())
                .trim_end_matches(suffix)
                .to_owned()
        })
        .unwrap_or_default()
}

pub struct Registry {
    pub records: Vec<Record>,
    /// Group name (and aliases) → index into `records`.
    owners: BTreeMap<String, usize>,
}

impl Registry {
    /// Finds plugin files and reads their manifests (from the cache when the
    /// file has not changed).
    pub fn discover() -> Registry {
        let candidates = discover::candidates();
        let mut cache = ManifestCache::open();
        let mut records = Vec::with_capacity(candidates.len());
        for candidate in &candidates {
            records.push(read_record(candidate, &mut cache));
        }
        let keep: Vec<&Path> = candidates.iter().map(|c| c.path.as_path()).collect();
        cache.retain_paths(&keep);
        cache.save();
        Registry::assemble(records)
    }

    fn assemble(mut records: Vec<Record>) -> Registry {
        let mut owners: BTreeMap<String, usize> = BTreeMap::new();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for i in 0..records.len() {
            let Some(manifest) = records[i].manifest.clone() else {
                continue;
            };
            if !matches!(records[i].status, Status::Active) {
                continue;
            }
            if let Some(&first) = names.get(&manifest.name) {
                records[i].status = Status::Shadowed {
                    by: records[first].path.clone(),
                };
                continue;
            }
            names.insert(manifest.name.clone(), i);
            for group in &manifest.groups {
                let keys = std::iter::once(&group.name).chain(group.aliases.iter());
                if owners.contains_key(&group.name) {
                    records[i].lost_groups.push(group.name.clone());
                    continue;
                }
                for key in keys {
                    owners.entry(key.clone()).or_insert(i);
                }
            }
        }
        Registry { records, owners }
    }

    /// The active plugin that owns `group` (by name or alias).
    pub fn owner(&self, group: &str) -> Option<(&Record, &GroupSchema)> {
        let record = &self.records[*self.owners.get(group)?];
        let schema = record
            .manifest
            .as_ref()?
            .groups
            .iter()
            .find(|g| g.name == group || g.aliases.iter().any(|a| a == group))?;
        Some((record, schema))
    }

    /// Every group this run can offer, in name order, with its owner.
    pub fn groups(&self) -> Vec<(&Record, &GroupSchema)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for &i in self.owners.values() {
            let record = &self.records[i];
            if let Some(manifest) = &record.manifest {
                for group in &manifest.groups {
                    if self.owners.get(&group.name) == Some(&i) && seen.insert(group.name.clone()) {
                        out.push((record, group));
                    }
                }
            }
        }
        out.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        out
    }

    /// One line per problem: what, where, why, and what to do.
    pub fn warnings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for record in &self.records {
            if let Status::Broken { reason, advice } = &record.status {
                lines.push(format!(
                    "skipped plugin {}: {reason}; {advice}",
                    record.path.display()
                ));
            }
            for group in &record.lost_groups {
                let owner = self
                    .owners
                    .get(group)
                    .map(|&i| &self.records[i])
                    .map(|r| format!("plugin `{}` at {}", r.name(), r.path.display()))
                    .unwrap_or_else(|| "another plugin".into());
                lines.push(format!(
                    "plugin `{}` at {} also provides the `{group}` command group, which {owner} already provides; \
                     the first one found is used — remove one of the two files to silence this",
                    record.name(),
                    record.path.display()
                ));
            }
        }
        lines
    }

    /// Finds a record by plugin name or file path.
    pub fn find(&self, name_or_path: &str) -> Option<&Record> {
        self.records
            .iter()
            .find(|r| r.name() == name_or_path && matches!(r.status, Status::Active))
            .or_else(|| self.records.iter().find(|r| r.name() == name_or_path))
            .or_else(|| {
                self.records
                    .iter()
                    .find(|r| r.path == Path::new(name_or_path))
            })
    }
}

fn read_record(candidate: &Candidate, cache: &mut ManifestCache) -> Record {
    let outcome = match cache.get(candidate) {
        Some(outcome) => outcome.clone(),
        None => {
            let outcome = match load::inspect(&candidate.path) {
                Ok((_, manifest)) => Outcome::Manifest(manifest),
                Err(e) => Outcome::from(&e),
            };
            cache.put(candidate, outcome.clone());
            outcome
        }
    };
    let (manifest, status) = match outcome {
        Outcome::Manifest(m) => (Some(m), Status::Active),
        Outcome::Broken { reason, advice } => (None, Status::Broken { reason, advice }),
    };
    Record {
        path: candidate.path.clone(),
        origin: candidate.origin,
        manifest,
        status,
        lost_groups: Vec::new(),
    }
}

/// Opens the library of an active record to run one of its commands.
pub fn open_module(record: &Record) -> Result<PluginModuleRef, LoadError> {
    load::open(&record.path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commet_sdk::schema::GroupSchema;

    fn record(name: &str, path: &str, groups: &[&str]) -> Record {
        Record {
            path: PathBuf::from(path),
            origin: Origin::User,
            manifest: Some(PluginManifest {
                name: name.into(),
                version: "1.0.0".into(),
                host_requirement: "*".into(),
                sdk_version: "0.1.0".into(),
                description: String::new(),
                groups: groups
                    .iter()
                    .map(|g| GroupSchema {
                        name: (*g).into(),
                        about: String::new(),
                        aliases: vec![],
                        standalone: false,
                        actions: vec![],
                    })
                    .collect(),
            }),
            status: Status::Active,
            lost_groups: vec![],
        }
    }

    #[test]
    fn first_plugin_wins_a_group_and_the_clash_is_reported() {
        let reg = Registry::assemble(vec![
            record("customers", "/a/one.so", &["customers"]),
            record("rogue", "/b/two.so", &["customers", "extra"]),
        ]);
        assert_eq!(
            reg.owner("customers").unwrap().0.path,
            PathBuf::from("/a/one.so")
        );
        assert_eq!(
            reg.owner("extra").unwrap().0.path,
            PathBuf::from("/b/two.so")
        );
        let warnings = reg.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("/b/two.so"));
        assert!(warnings[0].contains("/a/one.so"));
    }

    #[test]
    fn same_plugin_later_in_the_path_is_shadowed_quietly() {
        let reg = Registry::assemble(vec![
            record("customers", "/user/c.so", &["customers"]),
            record("customers", "/bundled/c.so", &["customers"]),
        ]);
        assert!(matches!(reg.records[1].status, Status::Shadowed { .. }));
        assert!(reg.warnings().is_empty());
    }
}
