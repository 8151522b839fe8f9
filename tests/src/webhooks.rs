//! A webhook receiver for end-to-end tests: the recording server on
//! 127.0.0.1, keeping every request's raw body (signatures are checked over
//! exact bytes) and answering with a status the test can change, plus an
//! HMAC-SHA256 written independently of the sandbox's.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use serde_json::json;

use crate::recorder::{Recorded, Recorder, Reply};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Lowercase hex HMAC-SHA256(secret, body).
pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub method: String,
    pub path: String,
    /// Lowercase names.
    pub headers: BTreeMap<String, String>,
    /// The body exactly as sent.
    pub body: String,
}

impl Delivery {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// `x-commet-signature` is the HMAC of the raw body with `secret`.
    pub fn signed_with(&self, secret: &str) -> bool {
        self.header("x-commet-signature") == hmac_hex(secret, self.body.as_bytes())
    }
}

/// A [`Recorder`] that answers every request with a status the test can
/// change and hands requests over one by one as they arrive.
pub struct WebhookReceiver {
    recorder: Recorder,
    status: Arc<AtomicU16>,
    received: mpsc::Receiver<Recorded>,
}

impl WebhookReceiver {
    /// Listens on 127.0.0.1:0 and answers `status` to everything.
    pub fn start(status: u16) -> WebhookReceiver {
        let answer = Arc::new(AtomicU16::new(status));
        let shared = answer.clone();
        let recorder =
            Recorder::start(move |_| Reply::json(shared.load(Ordering::Relaxed), json!({})));
        let received = recorder.subscribe();
        WebhookReceiver {
            recorder,
            status: answer,
            received,
        }
    }

    pub fn port(&self) -> u16 {
        self.recorder
            .url()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the recorder URL ends with its port")
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.recorder.url())
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    /// The next request within `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Delivery> {
        self.received.recv_timeout(timeout).ok().map(|r| Delivery {
            method: r.method,
            path: r.path,
            headers: r.headers,
            body: r.raw,
        })
    }

    /// Everything that arrives until nothing more comes for `quiet`
    /// (bounded by `max`).
    pub fn drain(&self, quiet: Duration, max: usize) -> Vec<Delivery> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.next(quiet) {
                Some(d) => out.push(d),
                None => break,
            }
        }
        out
    }
}
