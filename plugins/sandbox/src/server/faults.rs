//! Fault injection for resilience tests.
//!
//! A spec is a comma-separated list of rules:
//!
//! | rule | effect |
//! |---|---|
//! | `429=0.2` | answer 20 % of API requests with HTTP 429 (`Retry-After: 1`) |
//! | `500=0.1`, `503=5%` | same for any status from 400 to 599 (a rate in 0..1 or a percentage) |
//! | `503*2` | answer the next two API requests with 503, then stop |
//! | `latency=50ms` | wait before handling every API request (`ms`, `s`, or a bare number of ms) |
//! | `drop=0.05` | close the connection of 5 % of API requests without answering |
//! | `drop*1` | close the connection of the next request without answering |
//!
//! Counted rules (`*N`) fire first, in the order written; then rate rules
//! are rolled. Faults are off unless a spec is given (`--faults SPEC` on
//! `commet sandbox start`, or `COMMET_SANDBOX_FAULTS`), and only touch
//! requests under `/api/v1` and `/api/cli`: pages, `/health` and the device
//! login endpoints are never affected.

use std::sync::Mutex;
use std::time::Duration;

use rand::Rng;

use super::error::SandboxError;

/// The environment variable read by [`Faults::from_env`].
pub const FAULTS_ENV: &str = "COMMET_SANDBOX_FAULTS";

/// What a rule does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this HTTP status and the matching error body.
    Status(u16),
    /// Close the connection without answering.
    Drop,
}

/// A parsed fault spec. `Faults::default()` injects nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Rules that fire on a fraction of requests.
    pub rates: Vec<(FaultKind, f64)>,
    /// Rules that fire on the next N requests.
    pub counted: Vec<(FaultKind, u32)>,
    /// Delay added before every API request.
    pub latency: Option<Duration>,
}

impl Faults {
    /// Parses a spec (see the module docs). An empty spec, `off` or `none`
    /// gives no faults.
    pub fn parse(spec: &str) -> Result<Faults, SandboxError> {
        let mut faults = Faults::default();
        let trimmed = spec.trim();
        if trimmed.is_empty()
            || trimmed.eq_ignore_ascii_case("off")
            || trimmed.eq_ignore_ascii_case("none")
        {
            return Ok(faults);
        }
        for rule in trimmed.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let bad = |reason: String| SandboxError::InvalidFaults {
                spec: spec.to_owned(),
                reason: format!("rule `{rule}`: {reason}"),
            };
            if let Some((name, value)) = rule.split_once('=') {
                let (name, value) = (name.trim(), value.trim());
                if name.eq_ignore_ascii_case("latency") {
                    faults.latency = Some(parse_duration(value).map_err(bad)?);
                } else {
                    let kind = parse_kind(name).map_err(bad)?;
                    let rate = parse_rate(value).map_err(bad)?;
                    faults.rates.push((kind, rate));
                }
            } else if let Some((name, count)) = rule.split_once('*') {
                let kind = parse_kind(name.trim()).map_err(bad)?;
                let count: u32 = count.trim().parse().map_err(|_| {
                    bad(format!(
                        "`{}` is not a whole number of requests",
                        count.trim()
                    ))
                })?;
                if count == 0 {
                    return Err(bad("the count must be at least 1".into()));
                }
                faults.counted.push((kind, count));
            } else {
                return Err(bad(
                    "expected STATUS=RATE, STATUS*COUNT, drop=RATE, drop*COUNT or latency=DURATION"
                        .into(),
                ));
            }
        }
        Ok(faults)
    }

    /// Reads [`FAULTS_ENV`]; unset or empty means no faults.
    pub fn from_env() -> Result<Faults, SandboxError> {
        match std::env::var(FAULTS_ENV) {
            Ok(spec) => Faults::parse(&spec),
            Err(_) => Ok(Faults::default()),
        }
    }

    /// Whether this spec injects nothing at all.
    pub fn is_off(&self) -> bool {
        self.rates.is_empty() && self.counted.is_empty() && self.latency.is_none()
    }
}

fn parse_kind(name: &str) -> Result<FaultKind, String> {
    if name.eq_ignore_ascii_case("drop") {
        return Ok(FaultKind::Drop);
    }
    match name.parse::<u16>() {
        Ok(status) if (400..=599).contains(&status) => Ok(FaultKind::Status(status)),
        Ok(status) => Err(format!(
            "status {status} is not an error status (400 to 599)"
        )),
        Err(_) => Err(format!(
            "`{name}` is neither an HTTP status, `drop` nor `latency`"
        )),
    }
}

fn parse_rate(value: &str) -> Result<f64, String> {
    let (number, scale) = match value.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (value, 1.0),
    };
    let rate: f64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a rate (use 0.2 or 20%)"))?;
    let rate = rate / scale;
    if !(0.0..=1.0).contains(&rate) || rate.is_nan() {
        return Err(format!(
            "rate `{value}` must be between 0 and 1 (or 0% and 100%)"
        ));
    }
    Ok(rate)
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let (number, millis_per_unit) = if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a duration (use 50ms or 1s)"))?;
    if !(0.0..=60_000.0).contains(&(n * millis_per_unit)) {
        return Err(format!("latency `{value}` must be between 0 and 60s"));
    }
    Ok(Duration::from_micros((n * millis_per_unit * 1000.0) as u64))
}

/// The running state of a spec: the counted rules' remaining budgets.
#[derive(Debug)]
pub struct FaultInjector {
    faults: Faults,
    remaining: Mutex<Vec<(FaultKind, u32)>>,
}

impl FaultInjector {
    pub fn new(faults: Faults) -> Self {
        let remaining = Mutex::new(faults.counted.clone());
        FaultInjector { faults, remaining }
    }

    pub fn is_off(&self) -> bool {
        self.faults.is_off()
    }

    pub fn latency(&self) -> Option<Duration> {
        self.faults.latency
    }

    /// Decides the fate of one request: `None` lets it through.
    pub fn decide(&self) -> Option<FaultKind> {
        {
            let mut remaining = self.remaining.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(slot) = remaining.iter_mut().find(|(_, n)| *n > 0) {
                slot.1 -= 1;
                return Some(slot.0);
            }
        }
        let mut rng = rand::rng();
        self.faults
            .rates
            .iter()
            .find(|(_, rate)| *rate > 0.0 && rng.random::<f64>() < *rate)
            .map(|(kind, _)| *kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_rule_kind() {
        let f = Faults::parse("429=0.2, 503*2,500=5%,latency=50ms,drop=0.05,drop*1").unwrap();
        assert_eq!(
            f.rates,
            vec![
                (FaultKind::Status(429), 0.2),
                (FaultKind::Status(500), 0.05),
                (FaultKind::Drop, 0.05)
            ]
        );
        assert_eq!(
            f.counted,
            vec![(FaultKind::Status(503), 2), (FaultKind::Drop, 1)]
        );
        assert_eq!(f.latency, Some(Duration::from_millis(50)));
        assert_eq!(
            Faults::parse("latency=1s").unwrap().latency,
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            Faults::parse("latency=20").unwrap().latency,
            Some(Duration::from_millis(20))
        );
    }

    #[test]
    fn empty_and_off_mean_no_faults() {
        assert!(Faults::parse("").unwrap().is_off());
        assert!(Faults::parse(" off ").unwrap().is_off());
        assert!(Faults::default().is_off());
    }

    #[test]
    fn rejects_bad_rules_with_a_reason() {
        for spec in [
            "200=0.5",
            "429=2",
            "abc=0.1",
            "503*0",
            "503*x",
            "429",
            "latency=fast",
            "drop=-1",
        ] {
            let err = Faults::parse(spec).unwrap_err().to_string();
            assert!(err.contains("invalid fault spec"), "{spec}: {err}");
        }
    }

    #[test]
    fn counted_rules_fire_exactly_n_times() {
        let inj = FaultInjector::new(Faults::parse("503*2").unwrap());
        assert_eq!(inj.decide(), Some(FaultKind::Status(503)));
        assert_eq!(inj.decide(), Some(FaultKind::Status(503)));
        assert_eq!(inj.decide(), None);
    }

    #[test]
    fn full_rate_always_fires() {
        let inj = FaultInjector::new(Faults::parse("429=1").unwrap());
        assert!((0..20).all(|_| inj.decide() == Some(FaultKind::Status(429))));
        let inj = FaultInjector::new(Faults::parse("429=0").unwrap());
        assert!((0..20).all(|_| inj.decide().is_none()));
    }
}
