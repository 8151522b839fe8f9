//! Test doubles for the event tests: a webhook receiver that records raw
//! bodies and answers with a settable status, an SSE reader for listen
//! streams, and an HMAC check written independently of the server's.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::oneshot;

/// Lowercase hex HMAC-SHA256(secret, body).
pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    /// The path and query, as requested.
    pub path: String,
    /// Lowercase names.
    pub headers: HashMap<String, String>,
    /// The raw body, byte for byte.
    pub body: String,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }

    /// Whether the signature header matches an HMAC of the raw body.
    pub fn signed_with(&self, secret: &str) -> bool {
        self.header("x-commet-signature") == hmac_hex(secret, self.body.as_bytes())
    }
}

/// What the receiver's handler shares: the status to answer with and where
/// to report each request.
#[derive(Clone)]
struct Shared {
    status: Arc<AtomicU16>,
    hits: mpsc::Sender<Hit>,
}

async fn record(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let hit = Hit {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        // `http` header names are lowercase already.
        headers: headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes());
                (k.as_str().to_owned(), v.trim().to_owned())
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let _ = shared.hits.send(hit);
    StatusCode::from_u16(shared.status.load(Ordering::Relaxed))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A webhook receiver on 127.0.0.1 answering every request with `status`:
/// an axum server on its own thread, shut down gracefully on drop.
pub struct Receiver {
    pub url: String,
    status: Arc<AtomicU16>,
    hits: mpsc::Receiver<Hit>,
    stop: Option<oneshot::Sender<()>>,
}

impl Receiver {
    pub fn start(status: u16) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let status = Arc::new(AtomicU16::new(status));
        let (tx, hits) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let app = axum::Router::new().fallback(record).with_state(Shared {
            status: status.clone(),
            hits: tx,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("webhook receiver");
            });
        });
        Receiver {
            url,
            status,
            hits,
            stop: Some(stop),
        }
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    /// The next request, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Hit> {
        self.hits.recv_timeout(timeout).ok()
    }

    /// Exactly `n` requests (fails the test otherwise), then checks that no
    /// further request arrives within `quiet`.
    pub fn take(&self, n: usize, timeout: Duration, quiet: Duration) -> Vec<Hit> {
        let mut out = Vec::new();
        for i in 0..n {
            match self.next(timeout) {
                Some(hit) => out.push(hit),
                None => panic!("expected {n} webhook requests, got {i}: {out:#?}"),
            }
        }
        if let Some(extra) = self.next(quiet) {
            panic!("unexpected extra webhook request: {extra:#?}");
        }
        out
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An open listen stream: the `data:` payloads and comment lines as they
/// arrive, read with `ureq` on a thread of its own. Dropping it shuts its
/// agent down, which closes the connection, like a client going away.
pub struct Stream {
    pub status: u16,
    pub content_type: String,
    lines: mpsc::Receiver<Option<String>>,
    agent: ureq::Agent,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.agent.clone().shutdown();
    }
}

impl Stream {
    /// `GET /api/cli/listen/stream?sessionId=…` with `x-api-key`.
    pub fn open(base: &str, key: &str, session: &str) -> Stream {
        Stream::open_with(base, ("x-api-key", key.to_owned()), session)
    }

    /// The same with a login token.
    pub fn open_bearer(base: &str, token: &str, session: &str) -> Stream {
        Stream::open_with(base, ("authorization", format!("Bearer {token}")), session)
    }

    fn open_with(base: &str, (name, value): (&str, String), session: &str) -> Stream {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let response = agent
            .get(format!("{base}/api/cli/listen/stream?sessionId={session}"))
            .header(name, value)
            .header("accept", "text/event-stream")
            .call()
            .expect("open the stream");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let (tx, lines) = mpsc::channel();
        let reader = std::io::BufReader::new(response.into_body().into_reader());
        std::thread::spawn(move || {
            read_events(reader, &tx);
            let _ = tx.send(None);
        });
        Stream {
            status,
            content_type,
            lines,
            agent,
        }
    }

    /// The next non-empty line (`data: …` or `: ping`); `Err(())` when the
    /// stream ended, `Ok(None)` on timeout.
    pub fn next_line(&self, timeout: Duration) -> Result<Option<String>, ()> {
        match self.lines.recv_timeout(timeout) {
            Ok(Some(line)) => Ok(Some(line)),
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
        }
    }

    /// The next `data:` message, skipping comments.
    pub fn next_data(&self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.next_line(left) {
                Ok(Some(line)) => {
                    if let Some(data) = line.strip_prefix("data: ") {
                        return Some(data.to_owned());
                    }
                }
                Ok(None) | Err(()) => return None,
            }
        }
    }

    /// Waits for the server to close the stream.
    pub fn ended_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match self.next_line(left) {
                Err(()) => return true,
                Ok(None) => return false,
                Ok(Some(_)) => {}
            }
        }
    }
}

/// Reads server-sent events until the body ends (or fails, or nobody
/// listens any more): each comment line is passed on as it is, each event
/// as one `data: …` line, its `data:` lines joined with newlines.
fn read_events(reader: impl BufRead, tx: &mpsc::Sender<Option<String>>) {
    let mut data: Option<String> = None;
    for line in reader.lines() {
        let Ok(line) = line else { return };
        let line = line.trim_end_matches('\r');
        let out = if line.is_empty() {
            data.take().map(|d| format!("data: {d}"))
        } else if line.starts_with(':') {
            Some(line.to_owned())
        } else {
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            if field == "data" {
                let value = value.strip_prefix(' ').unwrap_or(value);
                match &mut data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                }
            }
            None
        };
        if let Some(out) = out {
            if tx.send(Some(out)).is_err() {
                return;
            }
        }
    }
}

/// Splits a stream message into `(event, raw payload text, headers)`,
/// keeping the payload bytes exactly as they appear in the message.
pub fn split_message(data: &str) -> (String, Option<String>, serde_json::Value) {
    #[derive(serde::Deserialize)]
    struct Wire<'a> {
        event: String,
        #[serde(borrow)]
        payload: Option<&'a serde_json::value::RawValue>,
        #[serde(default)]
        headers: serde_json::Value,
    }
    let wire: Wire<'_> = serde_json::from_str(data).expect("a JSON message");
    (
        wire.event,
        wire.payload.map(|p| p.get().to_owned()),
        wire.headers,
    )
}
