//! How webhook events reach the CLI. The hosted service uses a third-party
//! realtime channel; this implementation reads a server-sent-events stream
//! through the host. Both fit [`Transport`], so another one can be added
//! without touching the forwarding loop.

use commet_sdk::prelude::*;
use commet_sdk::StreamEnd;
use serde_json::value::RawValue;

/// A listen session as the server created it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub signing_secret: String,
    pub org_name: Option<String>,
}

/// One event to forward: its type, the exact body to POST, and the headers
/// that go with it (signature, event id).
#[derive(Debug, Clone)]
pub struct Message {
    pub event: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

/// A source of webhook events.
pub trait Transport {
    /// Starts a session on the server.
    fn open(&mut self) -> Result<Session, PluginError>;
    /// Delivers messages to `on_message` until the stream ends (returns how)
    /// or `on_message` returns `false`.
    fn pump(
        &mut self,
        on_message: &mut dyn FnMut(Message) -> bool,
    ) -> Result<StreamEnd, PluginError>;
    /// Ends the session on the server.
    fn close(&mut self) -> Result<(), PluginError>;
}

/// Server-sent events from `GET /api/cli/listen/stream?sessionId=…`.
pub struct SseTransport<'h, 'a> {
    host: &'h Host<'a>,
    org_id: Option<String>,
    session: Option<String>,
}

impl<'h, 'a> SseTransport<'h, 'a> {
    pub fn new(host: &'h Host<'a>, org_id: Option<String>) -> Self {
        SseTransport {
            host,
            org_id,
            session: None,
        }
    }

    fn session_body(&self) -> Value {
        let mut body = json!({ "sessionId": self.session });
        if let Some(org) = &self.org_id {
            body["organizationId"] = json!(org);
        }
        body
    }
}

#[derive(serde::Deserialize)]
struct Wire<'a> {
    event: String,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
}

/// Decodes one stream message; control messages (no payload) give `None`.
pub fn decode(data: &str) -> Option<Message> {
    let wire: Wire<'_> = serde_json::from_str(data).ok()?;
    let payload = wire.payload?;
    Some(Message {
        event: wire.event,
        body: payload.get().to_owned(),
        headers: wire
            .headers
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
            .collect(),
    })
}

impl Transport for SseTransport<'_, '_> {
    fn open(&mut self) -> Result<Session, PluginError> {
        let mut body = json!({});
        if let Some(org) = &self.org_id {
            body["organizationId"] = json!(org);
        }
        let started = self.host.call(
            &ApiRequest::new("POST", "/listen/start")
                .api(Api::Cli)
                .body(body),
        )?;
        let text = |key: &str| started.get(key).and_then(Value::as_str).map(str::to_owned);
        let (Some(id), Some(secret)) = (text("sessionId"), text("signingSecret")) else {
            return Err(PluginError::failed(
                "the server did not return a listen session (sessionId, signingSecret)",
            ));
        };
        self.session = Some(id.clone());
        Ok(Session {
            id,
            signing_secret: secret,
            org_name: text("organizationName"),
        })
    }

    fn pump(
        &mut self,
        on_message: &mut dyn FnMut(Message) -> bool,
    ) -> Result<StreamEnd, PluginError> {
        let Some(session) = self.session.clone() else {
            return Err(PluginError::failed("no listen session is open"));
        };
        let request = ApiRequest::new("GET", "/listen/stream")
            .api(Api::Cli)
            .query("sessionId", session);
        self.host.stream(&request, |data| match decode(data) {
            Some(message) => on_message(message),
            None => true,
        })
    }

    fn close(&mut self) -> Result<(), PluginError> {
        if self.session.is_none() {
            return Ok(());
        }
        let body = self.session_body();
        self.host.call(
            &ApiRequest::new("POST", "/listen/stop")
                .api(Api::Cli)
                .body(body),
        )?;
        self.session = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_events_keeping_the_exact_payload_bytes() {
        let data = r#"{"event":"customer.created","payload":{"b":1.50,"a":"x"},"headers":{"x-commet-signature":"abc","X-Commet-Event-Id":"whev_1"}}"#;
        let m = decode(data).unwrap();
        assert_eq!(m.event, "customer.created");
        assert_eq!(m.body, r#"{"b":1.50,"a":"x"}"#);
        assert!(m
            .headers
            .contains(&("x-commet-signature".into(), "abc".into())));
        assert!(decode(r#"{"event":"listen.connected"}"#).is_none());
        assert!(decode("garbage").is_none());
    }
}
