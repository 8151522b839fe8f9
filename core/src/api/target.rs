//! Which server to talk to: `--api-url` / `COMMET_API_URL`, else
//! `COMMET_ENVIRONMENT`, else production.

use crate::error::{CliError, CliResult};
use crate::paths;

pub const PRODUCTION: &str = "https://commet.co";
pub const SANDBOX: &str = "https://sandbox.commet.co";
pub const LOCAL: &str = "http://127.0.0.1:4242";

/// A resolved server origin (scheme, host and port; no path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub origin: String,
    /// Whether this is the local sandbox (credentials may come from its key
    /// file, and connection errors suggest starting it).
    pub local: bool,
}

impl Target {
    /// `api_url` is the `--api-url` flag (clap already folded in
    /// `COMMET_API_URL`).
    pub fn resolve(api_url: Option<&str>) -> CliResult<Target> {
        if let Some(url) = api_url.filter(|u| !u.trim().is_empty()) {
            let origin = normalize_origin(url).map_err(|why| {
                CliError::usage(format!("invalid value '{url}' for --api-url: {why}")).with_hint(
                    "pass a server origin such as http://127.0.0.1:4242 (the CLI adds /api/v1 itself)",
                )
            })?;
            let local = is_loopback(&origin);
            return Ok(Target { origin, local });
        }
        match std::env::var("COMMET_ENVIRONMENT")
            .ok()
            .as_deref()
            .map(str::trim)
        {
            None | Some("") | Some("production") => Ok(Target {
                origin: PRODUCTION.into(),
                local: false,
            }),
            Some("sandbox") => Ok(Target {
                origin: SANDBOX.into(),
                local: false,
            }),
            Some("local") => Ok(Target {
                origin: running_sandbox_origin().unwrap_or_else(|| LOCAL.into()),
                local: true,
            }),
            Some(other) => Err(CliError::usage(format!(
                "invalid COMMET_ENVIRONMENT '{other}': expected production, sandbox or local"
            ))),
        }
    }
}

/// The origin recorded by a running local sandbox (it may use another port).
fn running_sandbox_origin() -> Option<String> {
    let path = paths::sandbox_dir()?.join("server.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let url = value.get("url")?.as_str()?;
    normalize_origin(url).ok()
}

/// Checks an origin and drops a trailing slash and a trailing `/api/v1`
/// someone may have copied from the docs.
pub fn normalize_origin(url: &str) -> Result<String, &'static str> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix("/api/v1").unwrap_or(url);
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("it must start with http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("it has no host");
    }
    if rest.contains(char::is_whitespace) {
        return Err("it contains spaces");
    }
    Ok(url.to_owned())
}

fn is_loopback(origin: &str) -> bool {
    let host = origin
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_origins() {
        assert_eq!(
            normalize_origin("http://127.0.0.1:4242/").unwrap(),
            "http://127.0.0.1:4242"
        );
        assert_eq!(
            normalize_origin("https://commet.co/api/v1").unwrap(),
            "https://commet.co"
        );
        assert!(normalize_origin("commet.co").is_err());
        assert!(normalize_origin("http://").is_err());
    }

    #[test]
    fn explicit_url_wins_and_detects_loopback() {
        let t = Target::resolve(Some("http://localhost:9999")).unwrap();
        assert_eq!(t.origin, "http://localhost:9999");
        assert!(t.local);
        let err = Target::resolve(Some("ftp://x")).unwrap_err();
        assert!(err.to_string().contains("--api-url"));
    }
}
