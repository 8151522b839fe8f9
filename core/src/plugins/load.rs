//! Opening a plugin library and checking that this host can use it.

use std::path::Path;

use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::RResult;
use commet_sdk::abi::{PluginModuleRef, ABI_VERSION};
use commet_sdk::schema::PluginManifest;
use commet_sdk::wire::PluginError;

/// The host version plugins declare requirements against.
pub const HOST_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why a plugin file cannot be used. Each message says why; [`LoadError::advice`]
/// says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("not a loadable library ({0})")]
    NotALibrary(String),
    #[error("not a commet plugin (it exports no commet plugin module)")]
    NotAPlugin,
    #[error("built for plugin ABI {plugin} but this commet speaks ABI {host}")]
    IncompatibleAbi { plugin: String, host: String },
    #[error("its plugin interface does not match this commet's ({0})")]
    LayoutMismatch(String),
    #[error("requires commet {requirement} but this is commet {host}")]
    HostVersion { requirement: String, host: String },
    #[error("its manifest is invalid: {0}")]
    BadManifest(String),
    #[error("{0}")]
    Failed(String),
}

impl LoadError {
    pub fn advice(&self) -> &'static str {
        match self {
            LoadError::NotALibrary(_) | LoadError::NotAPlugin => {
                "remove the file from the plugin directory, or rename it so it does not start with `commet_plugin_`"
            }
            LoadError::IncompatibleAbi { .. } | LoadError::LayoutMismatch(_) => {
                "rebuild the plugin against the commet-sdk version this commet ships, or install a matching release"
            }
            LoadError::HostVersion { .. } => {
                "install a plugin release made for this commet version, or upgrade commet"
            }
            LoadError::BadManifest(_) | LoadError::Failed(_) => {
                "report this to the plugin's author, or remove the file"
            }
        }
    }
}

fn describe_library_error(err: LibraryError) -> LoadError {
    match err {
        LibraryError::OpenError { err, .. } => {
            let text = err.to_string();
            // dlopen's message repeats the path; keep the reason only.
            let reason = text.rsplit(": ").next().unwrap_or(&text).to_owned();
            LoadError::NotALibrary(reason)
        }
        LibraryError::GetSymbolError { .. } => LoadError::NotAPlugin,
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => LoadError::IncompatibleAbi {
            plugin: actual_version.to_string(),
            host: expected_version.to_string(),
        },
        LibraryError::ParseVersionError(e) => LoadError::IncompatibleAbi {
            plugin: format!("unreadable ({e})"),
            host: ABI_VERSION.to_owned(),
        },
        LibraryError::AbiInstability(e) => {
            let text = e.to_string();
            tracing::trace!("abi_stable layout report:\n{text}");
            LoadError::LayoutMismatch(summarize_layout_report(&text))
        }
        LibraryError::InvalidAbiHeader(_) | LibraryError::InvalidCAbi { .. } => {
            LoadError::LayoutMismatch("built with an incompatible abi_stable or compiler".into())
        }
        LibraryError::RootModule { err, .. } => {
            LoadError::Failed(format!("its initialisation failed: {err}"))
        }
        other => LoadError::Failed(other.to_string()),
    }
}

/// The first concrete difference in abi_stable's (very long) layout report,
/// e.g. "too many fields: expected 8, found 7".
fn summarize_layout_report(text: &str) -> String {
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if let Some(what) = line.strip_prefix("Error:") {
            let mut expected = None;
            let mut found = None;
            for next in lines.by_ref().take(6) {
                match next {
                    "Expected:" | "Found:" | "" => {}
                    value if expected.is_none() => expected = Some(value.to_owned()),
                    value => {
                        found = Some(value.to_owned());
                        break;
                    }
                }
            }
            return match (expected, found) {
                (Some(e), Some(f)) => format!("{}: expected {e}, found {f}", what.trim()),
                _ => what.trim().to_owned(),
            };
        }
    }
    "type layouts differ; run with -vvv for abi_stable's report".to_owned()
}

/// Opens the library and checks its ABI version and type layouts. The
/// library stays loaded for the life of the process.
pub fn open(path: &Path) -> Result<PluginModuleRef, LoadError> {
    let header = lib_header_from_path(path).map_err(describe_library_error)?;
    header
        .init_root_module::<PluginModuleRef>()
        .map_err(describe_library_error)
}

/// Reads the manifest of an opened module and checks the host requirement.
pub fn manifest(module: PluginModuleRef) -> Result<PluginManifest, LoadError> {
    let text = match (module.manifest())() {
        RResult::ROk(text) => text.into_string(),
        RResult::RErr(err) => {
            return Err(LoadError::Failed(
                PluginError::from_json(err.as_str()).to_string(),
            ))
        }
    };
    let manifest: PluginManifest =
        serde_json::from_str(&text).map_err(|e| LoadError::BadManifest(e.to_string()))?;
    check_host_requirement(&manifest)?;
    Ok(manifest)
}

fn check_host_requirement(manifest: &PluginManifest) -> Result<(), LoadError> {
    let requirement = semver::VersionReq::parse(&manifest.host_requirement).map_err(|e| {
        LoadError::BadManifest(format!(
            "host requirement '{}' is not a semver requirement: {e}",
            manifest.host_requirement
        ))
    })?;
    let host = semver::Version::parse(HOST_VERSION)
        .map_err(|e| LoadError::Failed(format!("host version unreadable: {e}")))?;
    if requirement.matches(&host) {
        Ok(())
    } else {
        Err(LoadError::HostVersion {
            requirement: manifest.host_requirement.clone(),
            host: HOST_VERSION.to_owned(),
        })
    }
}

/// Opens a library and reads its manifest in one go.
pub fn inspect(path: &Path) -> Result<(PluginModuleRef, PluginManifest), LoadError> {
    let module = open(path)?;
    let manifest = manifest(module)?;
    Ok((module, manifest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_with(req: &str) -> PluginManifest {
        PluginManifest {
            name: "x".into(),
            version: "1.0.0".into(),
            host_requirement: req.into(),
            sdk_version: ABI_VERSION.into(),
            description: String::new(),
            groups: vec![],
        }
    }

    #[test]
    fn host_requirement_is_checked() {
        assert!(check_host_requirement(&manifest_with(">=0.1.0, <0.2.0")).is_ok());
        assert!(matches!(
            check_host_requirement(&manifest_with(">=99")),
            Err(LoadError::HostVersion { .. })
        ));
        assert!(matches!(
            check_host_requirement(&manifest_with("banana")),
            Err(LoadError::BadManifest(_))
        ));
    }

    #[test]
    fn layout_reports_are_summarized() {
        let report =
            "Compared <this>:\n  lots\n\nError:too many fields\nExpected:\n    8\nFound:\n    7\n";
        assert_eq!(
            summarize_layout_report(report),
            "too many fields: expected 8, found 7"
        );
        assert!(summarize_layout_report("nothing useful").contains("-vvv"));
    }

    #[test]
    fn garbage_file_is_not_a_library() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("libcommet_plugin_garbage.so");
        std::fs::write(&path, b"this is not an ELF file").unwrap();
        assert!(matches!(open(&path), Err(LoadError::NotALibrary(_))));
    }
}
