//! A webhook receiver for end-to-end tests: a plain HTTP server on
//! 127.0.0.1 that keeps every request's raw body (signatures are checked
//! over exact bytes) and answers with a status the test can change, plus
//! an HMAC-SHA256 written independently of the sandbox's.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

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

pub struct WebhookReceiver {
    port: u16,
    status: Arc<AtomicU16>,
    received: mpsc::Receiver<Delivery>,
    stop: Arc<AtomicBool>,
}

impl WebhookReceiver {
    /// Listens on 127.0.0.1:0 and answers `status` to everything.
    pub fn start(status: u16) -> WebhookReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("address").port();
        let answer = Arc::new(AtomicU16::new(status));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let (shared, stopping) = (answer.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let tx = tx.clone();
                        let status = shared.load(Ordering::Relaxed);
                        std::thread::spawn(move || {
                            if let Some(d) = handle(stream, status) {
                                let _ = tx.send(d);
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        WebhookReceiver {
            port,
            status: answer,
            received: rx,
            stop,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn set_status(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    /// The next request within `timeout`.
    pub fn next(&self, timeout: Duration) -> Option<Delivery> {
        self.received.recv_timeout(timeout).ok()
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

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn handle(mut stream: TcpStream, status: u16) -> Option<Delivery> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let (head, start, len) = loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..pos]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    if k.trim().eq_ignore_ascii_case("content-length") {
                        v.trim().parse::<usize>().ok()
                    } else {
                        None
                    }
                })
                .unwrap_or(0);
            break (head, pos + 4, len);
        }
    };
    while data.len() < start + len {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let end = (start + len).min(data.len());
    let body = String::from_utf8_lossy(&data[start..end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_owned();
    let path = first.next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let _ = stream.write_all(
        format!("HTTP/1.1 {status} Status\r\ncontent-length: 2\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{{}}")
            .as_bytes(),
    );
    Some(Delivery {
        method,
        path,
        headers,
        body,
    })
}
