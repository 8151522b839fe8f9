//! The webhook deliverer: sends queued deliveries (see
//! `store::webhooks`) as signed POSTs and records each attempt.
//!
//! Only `http://` URLs are reachable from the sandbox (no TLS client);
//! an `https://` endpoint gets a failed attempt explaining that. For local
//! development `commet listen` is the intended path anyway.

use std::time::{Duration, Instant};

use axum::http::Uri;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::app::App;
use super::events;
use super::ids;
use super::store::webhooks::{self, AttemptResult, DueDelivery};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Runs until `stop` flips to true. Each pass sends every due delivery
/// (concurrently, each bounded by the 10 s timeout) and records the
/// attempts; when a pass sent something it looks again at once (retries
/// made due by a test-clock jump go out back to back), otherwise it waits
/// for a commit, an emitted event, or one second.
pub async fn run(app: App, mut stop: watch::Receiver<bool>) {
    let mut bell = events::subscribe();
    loop {
        let due = app.read(|c| webhooks::due(c, 20)).await.unwrap_or_default();
        let sent_any = !due.is_empty();
        let mut sending = tokio::task::JoinSet::new();
        for delivery in due {
            sending.spawn(async move {
                let started = Instant::now();
                let outcome = send(&delivery).await;
                let result = AttemptResult {
                    status: outcome.as_ref().ok().copied(),
                    error: outcome.err(),
                    duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                };
                (delivery.id, result)
            });
        }
        while let Some(done) = sending.join_next().await {
            let Ok((id, result)) = done else { continue };
            let recorded = app
                .write(move |c| webhooks::record_attempt(c, &id, &result))
                .await;
            if let Err(e) = recorded {
                tracing::warn!(error = %e, "could not record a webhook delivery attempt");
            }
        }
        if *stop.borrow() {
            return;
        }
        if sent_any {
            continue;
        }
        tokio::select! {
            _ = app.deliveries.notified() => {}
            _ = bell.changed() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// One POST; `Ok(status)` for any HTTP answer.
async fn send(d: &DueDelivery) -> Result<u16, String> {
    let uri: Uri = d
        .url
        .parse()
        .map_err(|e| format!("invalid URL {}: {e}", d.url))?;
    if uri.scheme_str() != Some("http") {
        return Err("the local sandbox only delivers to http:// URLs (use commet listen for local development)".into());
    }
    let host = uri.host().ok_or("URL without host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let signature = sign(&d.secret, d.payload.as_bytes());
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\
User-Agent: commet-sandbox\r\nX-Commet-Signature: {signature}\r\nX-Commet-Event: {event}\r\nX-Commet-Event-Id: {event_id}\r\n\
X-Commet-Timestamp: {ts}\r\nConnection: close\r\n\r\n",
        len = d.payload.len(),
        event = d.event_type,
        event_id = d.event_id,
        ts = ids::now(),
    );
    let exchange = async {
        let mut stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(d.payload.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
            let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&head);
        line.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| "the endpoint did not answer HTTP".to_owned())
    };
    match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn signs_with_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
