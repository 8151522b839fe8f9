//! `commet listen <target>`: forward webhook events from Commet to a local
//! server, signed with the session's secret.

mod forward;
pub mod target;
pub mod transport;

use std::io::Write;
use std::time::Duration;

use commet_sdk::prelude::*;

use forward::{Forwarder, Outcome};
use transport::{SseTransport, Transport};

/// Reconnect delays double from here up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

fn out(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn out_json(value: Value) {
    out(&value.to_string());
}

/// The organization the project is linked to, if any (only its ID is read
/// from `.commet/config.json`; the API key stays with the host).
fn linked_org_id() -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join(".commet/config.json")).ok()?;
        let value: Value = serde_json::from_str(&text).ok()?;
        value.get("orgId")?.as_str().map(str::to_owned)
    })
}

fn listen(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let raw_target = ctx.required_str("url")?.to_owned();
    let target = target::parse(&raw_target).map_err(|why| {
        PluginError::usage(format!("invalid value '{raw_target}' for <URL>: {why}"))
    })?;
    let filter = ctx.strings("events");
    let agent = ctx.agent_output();
    let forwarder = Forwarder::new(&target);
    let mut transport = SseTransport::new(&ctx.host, linked_org_id());

    let session = transport.open()?;
    if agent {
        out_json(
            json!({"listening": true, "organization": session.org_name, "target": target,
                        "signingSecret": session.signing_secret, "events": filter}),
        );
    } else {
        out(&format!(
            "  ✓ Authenticated (org: {})",
            session.org_name.as_deref().unwrap_or("unknown")
        ));
        out("  ✓ Connected to Commet webhook stream");
        out(&format!("  ⟶ Forwarding to {target}"));
        out(&format!("  ⟶ Signing secret: {}", session.signing_secret));
        if !filter.is_empty() {
            out(&format!("  ⟶ Only: {}", filter.join(", ")));
        }
        out("");
        out("  Ready! Listening for webhook events... (Ctrl+C to stop)");
        out("");
    }

    let mut forwarded = 0u64;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let mut on_message = |message: transport::Message| {
            if !filter.is_empty() && !filter.iter().any(|f| f == &message.event) {
                return true;
            }
            let outcome = forwarder.send(&message);
            forwarded += 1;
            report(&message.event, &outcome, agent);
            true
        };
        let result = transport.pump(&mut on_message);
        match result {
            Ok(end) if end.reason == "interrupted" => break,
            Ok(end) => {
                if end.events > 0 {
                    backoff = FIRST_BACKOFF;
                }
                note(
                    agent,
                    &format!(
                        "stream closed by the server; reconnecting in {}s",
                        backoff.as_secs()
                    ),
                );
            }
            Err(PluginError::Api(e)) if e.status == 404 => {
                note(agent, "the listen session expired; starting a new one");
                transport.open()?;
                continue;
            }
            Err(PluginError::Transport { message, .. }) => {
                note(
                    agent,
                    &format!("{message}; reconnecting in {}s", backoff.as_secs()),
                );
            }
            Err(e) => return Err(e),
        }
        if ctx.host.wait_interrupt(backoff.as_millis() as u64) {
            break;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }

    let closed = transport.close();
    let text = format!("Stopped listening ({forwarded} events forwarded).");
    if let Err(e) = closed {
        ctx.host
            .warn(&format!("could not end the session on the server: {e}"));
    }
    Ok(Output::new(
        View::Message { text },
        json!({"stopped": true, "forwarded": forwarded}),
    ))
}

fn note(agent: bool, text: &str) {
    if agent {
        out_json(json!({"notice": text}));
    } else {
        out(&format!("  ! {text}"));
    }
}

fn report(event: &str, outcome: &Outcome, agent: bool) {
    let now = chrono::Local::now();
    if agent {
        out_json(json!({
            "time": now.to_rfc3339(),
            "event": event,
            "status": outcome.status,
            "ok": outcome.status.is_some_and(|s| (200..300).contains(&s)),
            "latencyMs": outcome.latency.as_millis() as u64,
            "error": outcome.error,
        }));
        return;
    }
    let result = match (&outcome.status, &outcome.error) {
        (Some(status), _) => format!("{status} {}", outcome.reason),
        (None, Some(error)) => format!("error: {error}"),
        (None, None) => "error".to_owned(),
    };
    out(&format!(
        "  {}  {:<30}→  {:<10} ({}ms)",
        now.format("%H:%M:%S"),
        event,
        result,
        outcome.latency.as_millis()
    ));
}

fn plugin() -> Plugin {
    Plugin::new("listen", env!("CARGO_PKG_VERSION"))
        .description("Forward webhook events to a local server")
        .group(Group::standalone(
            Action::custom(
                "listen",
                "Forward webhook events from Commet to your local server",
                listen,
            )
            .long_about(
                "Opens a listen session and forwards every webhook event to TARGET as a POST, \
                     with the same body and signature headers a registered endpoint would get \
                     (signed with the secret shown at start). One line is printed per event. A \
                     target that refuses connections gets an error line and listening goes on; a \
                     dropped stream is reconnected with backoff. Ctrl+C ends the session.",
            )
            .positional(
                Flag::string("url")
                    .required()
                    .value_name("TARGET")
                    .help("Where to forward: a port (3000), host:port[/path], or a full URL"),
            )
            .flag(
                Flag::string("events")
                    .list()
                    .value_name("TYPES")
                    .help("Only forward these event types (comma-separated)"),
            )
            .example("commet listen 3000", "Forward to http://localhost:3000/")
            .example(
                "commet listen localhost:3000/webhooks",
                "A path on a local server",
            )
            .example(
                "commet listen http://local.commet.co:3010/api",
                "A full URL",
            )
            .example(
                "commet listen 3000 --events invoice.paid,subscription.activated",
                "Only some event types",
            ),
        ))
}

commet_sdk::export_plugin!(plugin);
