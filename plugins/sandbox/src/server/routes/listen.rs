//! `/api/cli/listen/*`: the sessions behind `commet listen`, and their
//! server-sent-events stream.
//!
//! - `POST /listen/start {organizationId?}` → `{sessionId, channelName,
//!   signingSecret, tokenRequest, organizationName}`;
//! - `POST /listen/refresh {sessionId}` → `{tokenRequest}`;
//! - `POST /listen/stop {sessionId}` → `{success, sessionId, status}`;
//! - `GET /listen/stream?sessionId=…` → `text/event-stream`: first
//!   `data: {"event":"listen.connected"}`, then one message per event of the
//!   session's organization emitted after the session started:
//!   `data: {"event":TYPE,"payload":ENVELOPE,"headers":{"x-commet-signature":
//!   HEX,"X-Commet-Event-Id":ID,"content-type":"application/json"}}`, where
//!   ENVELOPE is the stored envelope text embedded byte for byte and HEX is
//!   HMAC-SHA256(session secret, those bytes). `: ping` comments every 15 s.
//!   The stream ends when the session is stopped, the client goes away, or
//!   the server shuts down.
//! - `GET /listen/sessions` (sandbox extension) lists the caller's sessions.
//!
//! Unknown, foreign and stopped sessions answer 404 `not_found`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use hyper::body::Frame;
use rusqlite::Connection;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::cli::resolve_org;
use crate::server::app::App;
use crate::server::delivery::sign;
use crate::server::error::ApiError;
use crate::server::events;
use crate::server::http::extract::{ok, ApiResult, CliAuth, IdempotencyScope, Params, Write};
use crate::server::input::Input;
use crate::server::store::events as event_store;
use crate::server::store::listen::{self, Session};
use crate::server::store::orgs;

/// Keep-alive comments on an idle stream.
pub const PING_EVERY: Duration = Duration::from_secs(15);
/// How often an idle stream re-checks that its session is still open.
const RECHECK_EVERY: Duration = Duration::from_secs(1);
/// Events read per query.
const BATCH: usize = 100;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/listen/start", post(start))
        .route("/listen/refresh", post(refresh))
        .route("/listen/stop", post(stop))
        .route("/listen/stream", get(stream))
        .route("/listen/sessions", get(sessions))
}

// -- server shutdown ------------------------------------------------------------

/// One "stopping" flag per running server (keyed by its state's address),
/// so open streams end as soon as a shutdown starts instead of holding the
/// graceful shutdown until its timeout.
static STOPPING: LazyLock<Mutex<HashMap<usize, watch::Sender<bool>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn key(app: &App) -> usize {
    Arc::as_ptr(app) as usize
}

fn stopping_map() -> std::sync::MutexGuard<'static, HashMap<usize, watch::Sender<bool>>> {
    STOPPING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Called when a server starts serving (replaces any stale flag).
pub fn serving(app: &App) {
    stopping_map().insert(key(app), watch::channel(false).0);
}

/// Called when a server starts shutting down: every open stream ends.
pub fn shutting_down(app: &App) {
    if let Some(flag) = stopping_map().get(&key(app)) {
        flag.send_replace(true);
    }
}

fn stopping_signal(app: &App) -> watch::Receiver<bool> {
    stopping_map()
        .entry(key(app))
        .or_insert_with(|| watch::channel(false).0)
        .subscribe()
}

// -- sessions -------------------------------------------------------------------

/// Whether the caller may use this session: an API key for its
/// organization, or a logged-in member of that organization.
fn accessible(conn: &Connection, auth: &CliAuth, session: &Session) -> Result<bool, ApiError> {
    Ok(match auth {
        CliAuth::OrgKey(org) => org == &session.org_id,
        CliAuth::User(user) => orgs::is_member(conn, user, &session.org_id)?,
    })
}

/// The caller's active session `id`, or 404.
fn active_session(conn: &Connection, auth: &CliAuth, id: &str) -> Result<Session, ApiError> {
    match listen::get(conn, id)? {
        Some(s) if s.is_active() && accessible(conn, auth, &s)? => Ok(s),
        _ => Err(listen::not_found(id)),
    }
}

async fn start(State(app): State<App>, w: Write<CliAuth>) -> ApiResult {
    w.run(&app, |tx, auth, body| {
        let mut i = Input::new(body)?;
        let org_ref = i.opt_str("organizationId");
        i.finish()?;
        let org = resolve_org(tx, auth, org_ref.as_deref(), "organizationId")?;
        let session = listen::create(tx, &org.id, &auth.scope())?;
        let token = listen::token_request(tx, &session)?;
        Ok(json!({
            "sessionId": session.id,
            "channelName": session.channel_name,
            "signingSecret": session.signing_secret,
            "tokenRequest": token,
            "organizationName": org.name,
        }))
    })
    .await
}

fn session_id(body: &Value) -> Result<String, ApiError> {
    let mut i = Input::new(body)?;
    let id = i.req_str("sessionId");
    i.opt_str("organizationId");
    i.finish()?;
    Ok(id)
}

async fn refresh(State(app): State<App>, w: Write<CliAuth>) -> ApiResult {
    w.run(&app, |tx, auth, body| {
        let id = session_id(body)?;
        let session = active_session(tx, auth, &id)?;
        Ok(json!({ "tokenRequest": listen::token_request(tx, &session)? }))
    })
    .await
}

/// Stopping is idempotent for the caller's own sessions; unknown or
/// foreign ones are 404.
async fn stop(State(app): State<App>, w: Write<CliAuth>) -> ApiResult {
    w.run(&app, |tx, auth, body| {
        let id = session_id(body)?;
        match listen::get(tx, &id)? {
            Some(s) if accessible(tx, auth, &s)? => {
                listen::stop(tx, &id)?;
                events::notify_listeners();
                Ok(json!({ "success": true, "sessionId": id, "status": "stopped" }))
            }
            _ => Err(listen::not_found(&id)),
        }
    })
    .await
}

async fn sessions(State(app): State<App>, auth: CliAuth) -> ApiResult {
    let list = app
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, org_id, status, created_at, stopped_at FROM listen_sessions ORDER BY seq DESC LIMIT 100",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = Vec::new();
            for (id, org_id, status, created, stopped) in rows {
                let visible = match &auth {
                    CliAuth::OrgKey(org) => org == &org_id,
                    CliAuth::User(user) => orgs::is_member(c, user, &org_id)?,
                };
                if visible {
                    out.push(json!({
                        "id": id,
                        "organizationId": org_id,
                        "status": status,
                        "createdAt": created,
                        "stoppedAt": stopped,
                        "object": "listen_session",
                        "livemode": false,
                    }));
                }
            }
            Ok(out)
        })
        .await?;
    Ok(ok(
        json!({ "object": "list", "data": list, "hasMore": false }),
    ))
}

// -- the stream -------------------------------------------------------------------

/// A response body fed by a channel; it ends when the sender is dropped.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// One stream message for an event: the envelope bytes embedded verbatim
/// and signed with the session secret.
pub fn message(secret: &str, event_type: &str, event_id: &str, payload: &str) -> String {
    let headers = json!({
        "x-commet-signature": sign(secret, payload.as_bytes()),
        "X-Commet-Event-Id": event_id,
        "content-type": "application/json",
    });
    format!(
        "data: {{\"event\":{},\"payload\":{payload},\"headers\":{headers}}}\n\n",
        Value::String(event_type.to_owned())
    )
}

const CONNECTED: &str = "data: {\"event\":\"listen.connected\"}\n\n";
const PING: &str = ": ping\n\n";

async fn stream(State(app): State<App>, auth: CliAuth, Params(mut q): Params) -> ApiResult {
    let id = q.req_str("sessionId");
    q.finish()?;
    let session = app.read(move |c| active_session(c, &auth, &id)).await?;
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let stopping = stopping_signal(&app);
    tokio::spawn(pump(app, session, tx, stopping));
    let mut resp = (StatusCode::OK, Body::new(ChannelBody(rx))).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

/// What the stream should do after a look at the database.
enum Next {
    Send(Vec<event_store::StoredEvent>),
    End,
}

async fn pump(
    app: App,
    session: Session,
    tx: mpsc::Sender<Bytes>,
    mut stopping: watch::Receiver<bool>,
) {
    if tx
        .send(Bytes::from_static(CONNECTED.as_bytes()))
        .await
        .is_err()
    {
        return;
    }
    let mut bell = events::subscribe();
    let mut cursor = session.cursor_seq;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if *stopping.borrow() {
            return;
        }
        bell.borrow_and_update();
        let (sid, org) = (session.id.clone(), session.org_id.clone());
        let next = app
            .read(move |c| {
                match listen::get(c, &sid)? {
                    Some(s) if s.is_active() => {}
                    _ => return Ok(Next::End),
                }
                Ok(Next::Send(event_store::after(c, &org, cursor, BATCH)?))
            })
            .await;
        let batch = match next {
            Ok(Next::Send(batch)) => batch,
            Ok(Next::End) => return,
            Err(e) => {
                tracing::warn!(error = %e, "listen stream could not read events");
                Vec::new()
            }
        };
        let full = batch.len() == BATCH;
        let before = cursor;
        for event in batch {
            cursor = event.seq;
            if events::PRIVATE_TYPES.contains(&event.event_type.as_str()) {
                continue;
            }
            let text = message(
                &session.signing_secret,
                &event.event_type,
                &event.id,
                &event.payload,
            );
            if tx.send(Bytes::from(text)).await.is_err() {
                return;
            }
        }
        if cursor != before {
            let (sid, seq) = (session.id.clone(), cursor);
            if let Err(e) = app
                .write(move |c| listen::advance_cursor(c, &sid, seq))
                .await
            {
                tracing::warn!(error = %e, "could not record a listen session's position");
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = bell.changed() => {}
            _ = ping.tick() => {
                if tx.send(Bytes::from_static(PING.as_bytes())).await.is_err() {
                    return;
                }
            }
            _ = tokio::time::sleep(RECHECK_EVERY) => {}
            _ = tx.closed() => return,
            _ = stopping.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_embed_the_payload_verbatim_and_sign_it() {
        let payload = r#"{"id":"whev_1","event":"customer.created","data":{"n":1.50}}"#;
        let text = message("whsec_x", "customer.created", "whev_1", payload);
        assert!(text.starts_with("data: {\"event\":\"customer.created\",\"payload\":"));
        assert!(text.contains(payload));
        assert!(text.ends_with("}\n\n"));
        assert!(!text.trim_end().contains('\n'));
        let line = text.strip_prefix("data: ").unwrap().trim_end();
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(
            v["headers"]["x-commet-signature"],
            sign("whsec_x", payload.as_bytes())
        );
        assert_eq!(v["headers"]["X-Commet-Event-Id"], "whev_1");
    }
}
