//! Credentials: which secret a command uses, and the files that hold them.
//!
//! Precedence (highest first): `COMMET_API_KEY`; the project's API key in
//! `.commet/config.json` (written by `commet link`); the saved login in
//! `~/.commet/auth.json`; and, when `COMMET_ENVIRONMENT=local`, the local
//! sandbox's own key.

pub mod files;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult};
use crate::paths;

/// `~/.commet/auth.json`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AuthFile {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// RFC 3339 instant after which the token is no longer valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The server the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

/// `.commet/config.json`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectConfig {
    pub org_id: String,
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub mode: String,
    pub api_key: String,
}

/// Where a credential came from (shown with `--verbose`, never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env,
    Project(PathBuf),
    Login(PathBuf),
    LocalSandbox(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env => write!(f, "COMMET_API_KEY"),
            Source::Project(p) | Source::Login(p) | Source::LocalSandbox(p) => {
                write!(f, "{}", p.display())
            }
        }
    }
}

/// How a secret is presented to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `x-api-key: ck_...`
    ApiKey,
    /// `Authorization: Bearer <login token>`
    Bearer,
}

/// A secret and where it came from. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Credential {
    secret: String,
    pub scheme: Scheme,
    pub source: Source,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret", &"<redacted>")
            .field("scheme", &self.scheme)
            .field("source", &self.source)
            .finish()
    }
}

impl Credential {
    pub fn new(secret: String, scheme: Scheme, source: Source) -> Self {
        Credential {
            secret,
            scheme,
            source,
        }
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// What the credential lookup found, before deciding what an endpoint needs.
#[derive(Debug, Default, Clone)]
pub struct Credentials {
    pub api_key: Option<Credential>,
    pub login: Option<Credential>,
}

impl Credentials {
    /// Looks everything up. `local` says whether the target is the local
    /// sandbox, whose key file is then a last resort.
    pub fn discover(local: bool) -> CliResult<Credentials> {
        let mut found = Credentials::default();
        if let Some(key) = std::env::var("COMMET_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
        {
            found.api_key = Some(Credential::new(
                key.trim().to_owned(),
                Scheme::ApiKey,
                Source::Env,
            ));
        }
        if found.api_key.is_none() {
            if let Some((path, config)) = load_project_config()? {
                if !config.api_key.is_empty() {
                    found.api_key = Some(Credential::new(
                        config.api_key,
                        Scheme::ApiKey,
                        Source::Project(path),
                    ));
                }
            }
        }
        if let Some(path) = paths::auth_file() {
            if let Some(auth) = files::read_json::<AuthFile>(&path)? {
                if !auth.token.is_empty() {
                    found.login = Some(Credential::new(
                        auth.token,
                        Scheme::Bearer,
                        Source::Login(path),
                    ));
                }
            }
        }
        if found.api_key.is_none() && local {
            if let Some(path) = paths::sandbox_dir().map(|d| d.join("api-key")) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    let key = text.trim();
                    if !key.is_empty() {
                        found.api_key = Some(Credential::new(
                            key.to_owned(),
                            Scheme::ApiKey,
                            Source::LocalSandbox(path),
                        ));
                    }
                }
            }
        }
        Ok(found)
    }

    /// The credential for `/api/v1`, which takes API keys only; a saved
    /// login is turned into a project key by `commet link`.
    pub fn for_api(&self) -> Option<&Credential> {
        self.api_key.as_ref()
    }

    /// The credential for the CLI's own endpoints: an explicit
    /// `COMMET_API_KEY` wins (for CI), else the login, else any API key.
    pub fn for_cli(&self) -> Option<&Credential> {
        match &self.api_key {
            Some(key) if key.source == Source::Env => Some(key),
            _ => self.login.as_ref().or(self.api_key.as_ref()),
        }
    }
}

/// The error for a command that needs a key when there is none.
pub fn missing_credentials(local: bool, logged_in: bool) -> CliError {
    if logged_in && !local {
        return CliError::failed("you are logged in, but this project has no API key yet")
            .with_hint("run `commet link` here to pick an organization and create a project key, or set COMMET_API_KEY");
    }
    let hint = if local {
        "start the local sandbox with `commet sandbox start --detach` (it writes its key to ~/.commet/sandbox/api-key), or set COMMET_API_KEY"
    } else {
        "set COMMET_API_KEY=ck_... (for CI), or run `commet login` and then `commet link` in your project; to try commet offline, run `commet sandbox start --detach` and set COMMET_ENVIRONMENT=local"
    };
    CliError::failed("no Commet API key found for this command").with_hint(hint)
}

/// The project's `.commet/config.json` and its path, if any.
pub fn load_project_config() -> CliResult<Option<(PathBuf, ProjectConfig)>> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok(None);
    };
    let Some(dir) = paths::find_project_dir(&cwd) else {
        return Ok(None);
    };
    let path = dir.join("config.json");
    if files::is_too_open(&path) {
        tracing::warn!(
            "{} holds an API key but other users can read it; run `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    Ok(files::read_json::<ProjectConfig>(&path)?.map(|c| (path, c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_secret() {
        let c = Credential::new("ck_super_secret".into(), Scheme::ApiKey, Source::Env);
        let text = format!("{c:?}");
        assert!(!text.contains("ck_super_secret"));
        assert!(text.contains("redacted"));
    }

    #[test]
    fn cli_endpoints_prefer_login_over_project_key() {
        let project = Credential::new("ck_p".into(), Scheme::ApiKey, Source::Project("p".into()));
        let login = Credential::new("tok".into(), Scheme::Bearer, Source::Login("a".into()));
        let creds = Credentials {
            api_key: Some(project.clone()),
            login: Some(login),
        };
        assert_eq!(creds.for_cli().unwrap().scheme, Scheme::Bearer);
        assert_eq!(creds.for_api().unwrap().secret(), "ck_p");
        let login_only = Credentials {
            api_key: None,
            login: creds.login.clone(),
        };
        assert!(login_only.for_api().is_none());
        let env = Credentials {
            api_key: Some(Credential::new("ck_e".into(), Scheme::ApiKey, Source::Env)),
            login: creds.login.clone(),
        };
        assert_eq!(env.for_cli().unwrap().secret(), "ck_e");
    }
}
