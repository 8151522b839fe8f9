//! POSTing one event to the local target.

use std::time::{Duration, Instant};

use crate::transport::Message;

/// What happened to one forwarded event.
#[derive(Debug)]
pub struct Outcome {
    pub status: Option<u16>,
    pub reason: String,
    pub error: Option<String>,
    pub latency: Duration,
}

pub struct Forwarder {
    agent: ureq::Agent,
    url: String,
}

impl Forwarder {
    pub fn new(url: &str) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        Forwarder {
            agent,
            url: url.to_owned(),
        }
    }

    /// Sends the event; never fails, the outcome says what happened.
    pub fn send(&self, message: &Message) -> Outcome {
        let started = Instant::now();
        let mut request = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .header("user-agent", "commet-listen");
        for (name, value) in &message.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send(message.body.as_bytes()) {
            Ok(response) => Outcome {
                status: Some(response.status().as_u16()),
                reason: response
                    .status()
                    .canonical_reason()
                    .unwrap_or_default()
                    .to_owned(),
                error: None,
                latency: started.elapsed(),
            },
            Err(e) => Outcome {
                status: None,
                reason: String::new(),
                error: Some(describe(&e)),
                latency: started.elapsed(),
            },
        }
    }
}

fn describe(e: &ureq::Error) -> String {
    let text = e.to_string();
    if text.to_lowercase().contains("refused") {
        "connection refused".to_owned()
    } else {
        text
    }
}
