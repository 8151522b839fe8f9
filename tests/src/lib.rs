//! Shared pieces of the end-to-end tests: where the built `commet` binary
//! and plugins are, an isolated environment (temporary HOME and working
//! directory), and a recording HTTP server that answers like Commet.

pub mod recorder;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use recorder::{Recorded, Recorder, Reply};

/// Every `commet` run in a test is killed after this long.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// `target/<profile>`, where `cargo build --workspace` put `commet` and the
/// plugin libraries.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test-binary>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    dir.to_path_buf()
}

/// The `commet` binary under test.
pub fn commet_bin() -> PathBuf {
    let bin = target_dir().join(format!("commet{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (`cargo xtask test` does both)",
        bin.display()
    );
    bin
}

/// The path of a built library (`plugin` or fixture) by crate lib name.
pub fn built_library(lib_name: &str) -> PathBuf {
    let path = target_dir().join(format!(
        "{}{lib_name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo xtask test`)",
        path.display()
    );
    path
}

/// The file name the host expects for a plugin called `name`.
pub fn plugin_file_name(name: &str) -> String {
    format!(
        "{}commet_plugin_{name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// An isolated user: its own HOME and working directory, no inherited
/// Commet settings.
pub struct TestEnv {
    pub home: tempfile::TempDir,
    pub cwd: tempfile::TempDir,
    vars: Vec<(String, String)>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            home: tempfile::tempdir().expect("temp HOME"),
            cwd: tempfile::tempdir().expect("temp cwd"),
            vars: Vec::new(),
        }
    }

    /// Adds an environment variable to every command.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.vars.push((key.to_owned(), value.into()));
        self
    }

    /// Talks to `origin` with `key`.
    pub fn against(self, origin: &str, key: &str) -> Self {
        self.env("COMMET_API_URL", origin)
            .env("COMMET_API_KEY", key)
    }

    /// A `commet` command with `args`, ready to run.
    pub fn cmd<I, S>(&self, args: I) -> assert_cmd::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = assert_cmd::Command::new(commet_bin());
        cmd.current_dir(self.cwd.path())
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .timeout(COMMAND_TIMEOUT)
            .args(args);
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn home_path(&self, rel: &str) -> PathBuf {
        self.home.path().join(rel)
    }
}

/// Runs a command and returns (exit code, stdout, stderr).
pub fn run(mut cmd: impl std::borrow::BorrowMut<assert_cmd::Command>) -> (i32, String, String) {
    let out = cmd.borrow_mut().output().expect("run commet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses stdout as the one JSON document `--output agent` promises.
pub fn json_stdout(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"))
}
