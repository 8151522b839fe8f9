//! `commet login` (device-code flow) and `commet logout`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, ArgMatches, Command};
use commet_sdk::wire::{Api, ApiRequest, Output, View};
use serde_json::{json, Value};

use super::Env;
use crate::auth::{files, AuthFile};
use crate::error::{CliError, CliResult};
use crate::paths;
use crate::plugins::host_context::{wait_for_interrupt, Services};

const CLIENT_ID: &str = "commet-cli";
/// Give up waiting for approval after this long.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(180);
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

pub fn login_command() -> Command {
    Command::new("login")
        .about("Log in through your browser (device code) and save the token")
        .arg(
            Arg::new("no-browser")
                .long("no-browser")
                .action(ArgAction::SetTrue)
                .help("Print the login URL instead of opening a browser"),
        )
        .after_help(
            "The token is saved to ~/.commet/auth.json (readable only by you). In CI, set \
             COMMET_API_KEY instead of logging in.\n\nExamples:\n  $ commet login\n  $ commet login --no-browser",
        )
}

pub fn logout_command() -> Command {
    Command::new("logout")
        .about("Forget the saved login (~/.commet/auth.json)")
        .after_help("Examples:\n  $ commet logout")
}

fn auth_path() -> CliResult<std::path::PathBuf> {
    paths::auth_file().ok_or_else(|| CliError::failed("no home directory: cannot find ~/.commet"))
}

pub fn login(env: &Env<'_>, matches: &ArgMatches, services: &Services) -> CliResult<Output> {
    let no_browser = matches.get_flag("no-browser");
    let start = services
        .send(
            &ApiRequest::new("POST", "/device/code")
                .api(Api::Auth)
                .body(json!({"client_id": CLIENT_ID, "scope": "openid profile email"})),
        )?
        .into_result()
        .map_err(CliError::from)?;
    let text = |key: &str| start.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(device_code), Some(user_code), Some(url)) = (
        text("device_code"),
        text("user_code"),
        text("verification_uri_complete").or_else(|| text("verification_uri")),
    ) else {
        return Err(CliError::failed(
            "the server's login response lacks device_code, user_code or verification URL",
        ));
    };
    let interval = Duration::from_secs(
        start
            .get("interval")
            .and_then(Value::as_u64)
            .unwrap_or(5)
            .max(1),
    );

    eprintln!("To log in, open this page and confirm the code {user_code}:");
    eprintln!("  {url}");
    if !no_browser && std::io::stdout().is_terminal() && open::that_detached(&url).is_ok() {
        eprintln!("(opened in your browser)");
    }
    services.spinner().start("Waiting for approval…");
    // The spinner stops on every way out of the wait, errors included.
    let polled = poll_for_token(services, &device_code, interval);
    services.spinner().stop();
    let token = polled?;

    let (access_token, body) = token;
    let expires_at = body
        .get("expires_in")
        .and_then(Value::as_i64)
        .map(|secs| (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339());
    let auth = AuthFile {
        token: access_token,
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(str::to_owned),
        expires_at,
        api_url: env.api_url.clone(),
    };
    let path = auth_path()?;
    files::write_secret_json(&path, &auth)?;
    Ok(Output::new(
        View::Message {
            text: format!(
                "Logged in. Token saved to {}.\nNext: run `commet link` in your project to pick an organization.",
                path.display()
            ),
        },
        json!({"loggedIn": true, "authFile": path.display().to_string()}),
    ))
}

/// Polls the token endpoint until the code is approved (returning the
/// access token and the whole answer), denied, expired, or given up on.
fn poll_for_token(
    services: &Services,
    device_code: &str,
    mut interval: Duration,
) -> CliResult<(String, Value)> {
    let deadline = Instant::now() + LOGIN_TIMEOUT;
    loop {
        if wait_for_interrupt(interval) {
            return Err(CliError::Interrupted);
        }
        if Instant::now() > deadline {
            return Err(
                CliError::failed("gave up waiting for the login to be approved")
                    .with_hint("run `commet login` again and approve the code within 3 minutes"),
            );
        }
        let response = services.send(
            &ApiRequest::new("POST", "/device/token")
                .api(Api::Auth)
                .body(json!({
                    "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                    "device_code": device_code,
                    "client_id": CLIENT_ID,
                })),
        )?;
        if let Some(token) = response.body.get("access_token").and_then(Value::as_str) {
            return Ok((token.to_owned(), response.body.clone()));
        }
        match response.body.get("error").and_then(Value::as_str) {
            Some("authorization_pending") => {}
            Some("slow_down") => interval += SLOW_DOWN_STEP,
            Some("access_denied") => {
                return Err(CliError::failed("the login was denied in the browser")
                    .with_hint("run `commet login` again and choose Approve"));
            }
            Some("expired_token") => {
                return Err(
                    CliError::failed("the login code expired before it was approved")
                        .with_hint("run `commet login` again"),
                );
            }
            _ if response.status >= 400 => {
                return Err(commet_sdk::wire::ApiError::from_response(
                    response.status,
                    &response.body,
                    response.request_id,
                )
                .into());
            }
            _ => {}
        }
    }
}

pub fn logout() -> CliResult<Output> {
    let path = auth_path()?;
    let existed = match std::fs::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(CliError::failed(format!(
                "could not delete {}: {e}",
                path.display()
            )))
        }
    };
    let text = if existed {
        format!("Logged out ({} deleted).", path.display())
    } else {
        "You were not logged in.".to_owned()
    };
    Ok(Output::new(
        View::Message { text },
        json!({"loggedOut": existed}),
    ))
}
