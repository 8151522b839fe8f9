//! The project directory `create` sets up, and the files it writes there.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use commet_sdk::prelude::*;

use crate::skill::SKILL_PATH;
use crate::Org;

/// Where the project goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub dir: PathBuf,
    /// No NAME was given: the project is the current directory.
    pub is_cwd: bool,
    name: String,
}

impl Target {
    /// `cwd/NAME`, which must not exist or be empty; or `cwd` itself, which
    /// must not be a Commet project already.
    pub fn resolve(cwd: &Path, name: Option<&str>) -> Result<Target, PluginError> {
        let Some(name) = name else {
            let linked = cwd.join(".commet").join("config.json");
            let config = cwd.join("commet.config.ts");
            if linked.exists() || config.exists() {
                return Err(PluginError::failed_with_hint(
                    format!(
                        "this directory is already a Commet project ({} exists)",
                        if linked.exists() {
                            ".commet/config.json"
                        } else {
                            "commet.config.ts"
                        }
                    ),
                    "run `commet pull` to refresh commet.config.ts, or `commet create NAME` to start a project in a new directory",
                ));
            }
            let label = cwd
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "project".into());
            return Ok(Target {
                dir: cwd.to_path_buf(),
                is_cwd: true,
                name: label,
            });
        };
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(PluginError::usage("NAME must not be empty"));
        }
        let dir = cwd.join(trimmed);
        if dir.exists() {
            if !dir.is_dir() {
                return Err(PluginError::failed_with_hint(
                    format!("{trimmed} already exists and is not a directory"),
                    "choose another NAME",
                ));
            }
            let mut entries = fs::read_dir(&dir)
                .map_err(|e| PluginError::failed(format!("cannot read {trimmed}: {e}")))?;
            if entries.next().is_some() {
                return Err(PluginError::failed_with_hint(
                    format!("the directory {trimmed} already exists and is not empty"),
                    format!("choose another NAME, or empty {trimmed} first; to set up an existing project, run `commet create` inside it without NAME"),
                ));
            }
        }
        Ok(Target {
            dir,
            is_cwd: false,
            name: trimmed.to_owned(),
        })
    }

    /// NAME as given, or the current directory's name.
    pub fn label(&self) -> &str {
        &self.name
    }

    /// Creates the directory; `true` when it did not exist.
    pub fn prepare(&self) -> Result<bool, PluginError> {
        if self.dir.is_dir() {
            return Ok(false);
        }
        fs::create_dir_all(&self.dir).map_err(|e| {
            PluginError::failed(format!("could not create {}: {e}", self.dir.display()))
        })?;
        Ok(true)
    }

    /// Removes the directory again when nothing was written to it.
    pub fn remove_if_empty(&self) {
        let _ = fs::remove_dir(&self.dir);
    }

    /// Writes `.commet/config.json` (mode 0600, through a temporary file that
    /// is 0600 from the start) and returns its path.
    pub fn write_project_config(&self, org: &Org, api_key: &str) -> Result<PathBuf, PluginError> {
        let dir = self.dir.join(".commet");
        create_private_dir(&dir)
            .map_err(|e| PluginError::failed(format!("could not create {}: {e}", dir.display())))?;
        let path = dir.join("config.json");
        let body = json!({
            "orgId": org.id,
            "orgName": org.name,
            "mode": org.mode,
            "apiKey": api_key,
        });
        let mut text = serde_json::to_string_pretty(&body).map_err(|e| {
            PluginError::failed(format!("could not encode the project config: {e}"))
        })?;
        text.push('\n');
        write_private(&path, text.as_bytes()).map_err(|e| {
            PluginError::failed_with_hint(
                format!("could not write {}: {e}", path.display()),
                "the API key was created but not saved; run `commet link` in the project to create another one",
            )
        })?;
        Ok(path)
    }

    /// Adds `.commet/` to the project's `.gitignore` unless it is listed.
    /// Returns whether it is ignored now.
    pub fn ensure_gitignored(&self) -> Result<bool, PluginError> {
        let path = self.dir.join(".gitignore");
        let current = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(PluginError::failed(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let listed = current
            .lines()
            .map(str::trim)
            .any(|l| matches!(l, ".commet" | ".commet/" | "/.commet" | "/.commet/"));
        if listed {
            return Ok(true);
        }
        let mut addition = String::new();
        if !current.is_empty() && !current.ends_with('\n') {
            addition.push('\n');
        }
        addition.push_str("# Commet project key (commet create / commet link)\n.commet/\n");
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(addition.as_bytes()))
            .map_err(|e| {
                PluginError::failed_with_hint(
                    format!("could not update {}: {e}", path.display()),
                    "add `.commet/` to .gitignore yourself: it holds the project's API key",
                )
            })?;
        Ok(true)
    }

    /// Writes the agent skill unless a file is already there.
    pub fn write_skill(&self, text: &str) -> Result<PathBuf, PluginError> {
        let path = self.dir.join(SKILL_PATH);
        if path.exists() {
            return Ok(path);
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| {
                PluginError::failed(format!("could not create {}: {e}", parent.display()))
            })?;
        }
        fs::write(&path, text)
            .map_err(|e| PluginError::failed(format!("could not write {}: {e}", path.display())))?;
        Ok(path)
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes a secret: a temporary file created 0600, then renamed over `path`.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".config.json.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// What `commet pull` wrote in the new project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub file: PathBuf,
    pub features: i64,
    pub plans: i64,
}

/// The `--api-url` the host was started with, if any (the child `commet`
/// must talk to the same server).
pub fn api_url_from_args(args: impl IntoIterator<Item = String>) -> Option<String> {
    let mut args = args.into_iter().skip(1);
    let mut found = None;
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if arg == "--api-url" {
            found = args.next();
        } else if let Some(v) = arg.strip_prefix("--api-url=") {
            found = Some(v.to_owned());
        }
    }
    found
}

/// Runs `commet pull --yes` in `dir` with the host binary this plugin is
/// loaded in. The child finds the project key just written to
/// `dir/.commet/config.json` (unless COMMET_API_KEY overrides it).
pub fn pull_in(dir: &Path) -> Result<Pulled, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the commet binary: {e}"))?;
    let is_commet = exe
        .file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.starts_with("commet"));
    if !is_commet {
        return Err(format!(
            "{} is not the commet CLI, so `commet pull` could not be run",
            exe.display()
        ));
    }
    let mut cmd = Command::new(&exe);
    cmd.args(["pull", "--yes", "--output", "agent"])
        .current_dir(dir)
        .stdin(Stdio::null());
    if let Some(url) = api_url_from_args(std::env::args()) {
        cmd.env("COMMET_API_URL", url);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("could not run `commet pull`: {e}"))?;
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    if out.status.success() {
        let file = doc
            .get("file")
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("commet.config.ts"));
        let counts = doc.get("counts");
        let n = |k: &str| {
            counts
                .and_then(|c| c.get(k))
                .and_then(Value::as_i64)
                .unwrap_or(0)
        };
        return Ok(Pulled {
            file,
            features: n("features"),
            plans: n("plans"),
        });
    }
    let message = doc
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| format!("`commet pull` exited with {}", out.status));
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        Org {
            id: "org_1".into(),
            name: "Local".into(),
            slug: "local".into(),
            mode: "sandbox".into(),
        }
    }

    #[test]
    fn target_rules() {
        let tmp = tempfile::tempdir().unwrap();
        let cwd = tmp.path();
        let t = Target::resolve(cwd, Some("myapp")).unwrap();
        assert_eq!(t.dir, cwd.join("myapp"));
        assert!(!t.is_cwd);
        assert_eq!(t.label(), "myapp");
        assert!(t.prepare().unwrap());
        // Existing but empty is fine; non-empty is refused.
        assert!(Target::resolve(cwd, Some("myapp")).is_ok());
        fs::write(cwd.join("myapp/file"), "x").unwrap();
        let err = Target::resolve(cwd, Some("myapp")).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(matches!(
            Target::resolve(cwd, Some("  ")),
            Err(PluginError::Usage { .. })
        ));
        // The current directory, unless it is already a project.
        let here = Target::resolve(cwd, None).unwrap();
        assert!(here.is_cwd);
        fs::write(cwd.join("commet.config.ts"), "").unwrap();
        assert!(Target::resolve(cwd, None).is_err());
    }

    #[test]
    fn project_files() {
        let tmp = tempfile::tempdir().unwrap();
        let t = Target::resolve(tmp.path(), Some("app")).unwrap();
        t.prepare().unwrap();
        let path = t.write_project_config(&org(), "ck_secret").unwrap();
        let v: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"orgId": "org_1", "orgName": "Local", "mode": "sandbox", "apiKey": "ck_secret"})
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);

        fs::write(t.dir.join(".gitignore"), "node_modules").unwrap();
        assert!(t.ensure_gitignored().unwrap());
        assert!(t.ensure_gitignored().unwrap());
        let ignore = fs::read_to_string(t.dir.join(".gitignore")).unwrap();
        assert!(ignore.starts_with("node_modules\n"));
        assert_eq!(ignore.matches(".commet/").count(), 1, "{ignore}");

        let skill = t.write_skill("hello").unwrap();
        assert_eq!(fs::read_to_string(&skill).unwrap(), "hello");
        t.write_skill("other").unwrap();
        assert_eq!(fs::read_to_string(&skill).unwrap(), "hello", "kept");
    }

    #[test]
    fn api_url_is_forwarded() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            api_url_from_args(args(&["commet", "--api-url", "http://x:1", "create"])).as_deref(),
            Some("http://x:1")
        );
        assert_eq!(
            api_url_from_args(args(&["commet", "create", "--api-url=http://y"])).as_deref(),
            Some("http://y")
        );
        assert_eq!(
            api_url_from_args(args(&["commet", "create", "--", "--api-url=z"])),
            None
        );
    }
}
