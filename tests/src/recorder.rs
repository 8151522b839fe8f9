//! A real HTTP server on 127.0.0.1:0 that records every request and answers
//! from a script (then from a default responder), so tests can check exactly
//! what went over the wire.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use serde_json::Value;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header names are lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    /// The body exactly as received (signatures are computed over bytes).
    pub raw: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A Commet error envelope.
    pub fn error(status: u16, kind: &str, code: &str, message: &str) -> Self {
        Reply::json(
            status,
            serde_json::json!({"error": {"type": kind, "code": code, "message": message}}),
        )
    }
}

type Responder = dyn Fn(&Recorded) -> Reply + Send + Sync;

struct Shared {
    log: Mutex<Vec<Recorded>>,
    /// Told about every request as it arrives (see [`Recorder::subscribe`]).
    watchers: Mutex<Vec<std::sync::mpsc::Sender<Recorded>>>,
    script: Mutex<VecDeque<Reply>>,
    default: Box<Responder>,
    counter: Mutex<u64>,
}

pub struct Recorder {
    url: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Recorder {
    /// Starts a server answering every request with `default` (unless a
    /// scripted reply is queued).
    pub fn start(default: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Recorder {
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            watchers: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            default: Box::new(default),
            counter: Mutex::new(0),
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                let addr = listener.local_addr().expect("addr");
                let _ = ready_tx.send(addr);
                let app = axum::Router::new().fallback(handle).with_state(state);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let addr = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("recorder did not start");
        Recorder {
            url: format!("http://{addr}"),
            shared,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// A server that answers `200 {}` unless scripted.
    pub fn ok() -> Recorder {
        Recorder::start(|_| Reply::json(200, serde_json::json!({})))
    }

    /// The origin to pass as `--api-url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues replies used, in order, before the default responder.
    pub fn push(&self, reply: Reply) {
        self.shared.script.lock().expect("script").push_back(reply);
    }

    /// A channel that receives every request from now on, as it arrives.
    pub fn subscribe(&self) -> std::sync::mpsc::Receiver<Recorded> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.shared.watchers.lock().expect("watchers").push(tx);
        rx
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().expect("log").clone()
    }

    /// The only request received (fails the test otherwise).
    pub fn single(&self) -> Recorded {
        let all = self.requests();
        assert_eq!(all.len(), 1, "expected exactly one request, got {all:#?}");
        all.into_iter().next().expect("one request")
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 10 * 1024 * 1024).await.unwrap_or_default();
    let raw = String::from_utf8_lossy(&bytes).into_owned();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(parse_query).unwrap_or_default(),
        headers: headers_of(&parts.headers),
        body,
        raw,
    };
    let reply = {
        let scripted = shared.script.lock().expect("script").pop_front();
        scripted.unwrap_or_else(|| (shared.default)(&recorded))
    };
    shared
        .watchers
        .lock()
        .expect("watchers")
        .retain(|w| w.send(recorded.clone()).is_ok());
    shared.log.lock().expect("log").push(recorded);
    let id = {
        let mut c = shared.counter.lock().expect("counter");
        *c += 1;
        *c
    };
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("x-request-id", format!("req_test_{id}"));
    for (k, v) in &reply.headers {
        response = response.header(k.as_str(), v.as_str());
    }
    response
        .body(Body::from(reply.body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn headers_of(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
