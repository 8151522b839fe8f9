//! Test doubles for the event tests: a webhook receiver that records raw
//! bodies and answers with a settable status, an SSE reader for listen
//! streams, and an HMAC check written independently of the server's.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
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

/// One POST received.
#[derive(Debug, Clone)]
pub struct Hit {
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

/// A webhook receiver on 127.0.0.1 answering every request with `status`.
pub struct Receiver {
    pub url: String,
    status: Arc<AtomicU16>,
    hits: mpsc::Receiver<Hit>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    pub fn start(status: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let shared = Arc::new(AtomicU16::new(status));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let (answer, stopping) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let tx = tx.clone();
                        let status = answer.load(Ordering::Relaxed);
                        std::thread::spawn(move || {
                            if let Some(hit) = serve(stream, status) {
                                let _ = tx.send(hit);
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Receiver {
            url,
            status: shared,
            hits: rx,
            stop,
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
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut stream: TcpStream, status: u16) -> Option<Hit> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let (head, body_start, len) = loop {
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
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            break (head, pos + 4, len);
        }
    };
    while data.len() < body_start + len {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let body =
        String::from_utf8_lossy(&data[body_start..(body_start + len).min(data.len())]).into_owned();
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_owned();
    let headers = lines
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let reason = if (200..300).contains(&status) {
        "OK"
    } else {
        "Error"
    };
    let _ = stream.write_all(
        format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    Some(Hit {
        path,
        headers,
        body,
    })
}

/// An open listen stream: the `data:` payloads and comment lines as they
/// arrive. Read over a raw socket (HTTP/1.1, chunked) so that dropping it
/// really closes the connection, like a client going away.
pub struct Stream {
    pub status: u16,
    pub content_type: String,
    lines: mpsc::Receiver<Option<String>>,
    socket: TcpStream,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
    }
}

fn read_line(r: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

impl Stream {
    /// `GET /api/cli/listen/stream?sessionId=…` with `x-api-key`.
    pub fn open(base: &str, key: &str, session: &str) -> Stream {
        Stream::open_with(base, &format!("x-api-key: {key}"), session)
    }

    /// The same with a login token.
    pub fn open_bearer(base: &str, token: &str, session: &str) -> Stream {
        Stream::open_with(base, &format!("Authorization: Bearer {token}"), session)
    }

    fn open_with(base: &str, auth_header: &str, session: &str) -> Stream {
        let addr = base.trim_start_matches("http://");
        let mut socket = TcpStream::connect(addr).expect("connect");
        write!(
            socket,
            "GET /api/cli/listen/stream?sessionId={session} HTTP/1.1\r\nHost: {addr}\r\n{auth_header}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .expect("send request");
        let mut reader = BufReader::new(socket.try_clone().expect("clone socket"));
        let status_line = read_line(&mut reader).unwrap_or_default();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut content_type = String::new();
        let mut chunked = false;
        let mut length = None;
        while let Some(line) = read_line(&mut reader) {
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let v = v.trim();
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-type" => content_type = v.to_owned(),
                    "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                    "content-length" => length = v.parse::<usize>().ok(),
                    _ => {}
                }
            }
        }
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut body = Vec::new();
            let mut pending = String::new();
            let emit = |bytes: &[u8], pending: &mut String| -> bool {
                pending.push_str(&String::from_utf8_lossy(bytes));
                while let Some(pos) = pending.find('\n') {
                    let line: String = pending.drain(..=pos).collect();
                    let line = line.trim_end_matches(['\r', '\n']);
                    if !line.is_empty() && tx.send(Some(line.to_owned())).is_err() {
                        return false;
                    }
                }
                true
            };
            if chunked {
                while let Some(size) = read_line(&mut reader) {
                    let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
                        break;
                    };
                    if size == 0 {
                        break;
                    }
                    let mut chunk = vec![0u8; size];
                    if reader.read_exact(&mut chunk).is_err() {
                        break;
                    }
                    let _ = read_line(&mut reader);
                    if !emit(&chunk, &mut pending) {
                        return;
                    }
                }
            } else {
                let mut limited = reader.take(length.unwrap_or(1 << 20) as u64);
                let _ = limited.read_to_end(&mut body);
                let _ = emit(&body, &mut pending);
                if !pending.is_empty() {
                    let _ = tx.send(Some(std::mem::take(&mut pending)));
                }
            }
            let _ = tx.send(None);
        });
        Stream {
            status,
            content_type,
            lines: rx,
            socket,
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
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
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
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
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
