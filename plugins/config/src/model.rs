//! The billing configuration: what `commet.config.ts` describes and what the
//! API's features and plans are turned into for `pull` and for diffs.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

/// Feature types. The file format documents boolean, usage and seats; the API
/// also has quota features, which pull may write, so push accepts them too.
pub const FEATURE_TYPES: &[&str] = &["boolean", "usage", "seats", "quota"];
/// Billing intervals, in the order prices are written.
pub const INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly", "one_time"];
pub const CONSUMPTION_MODELS: &[&str] = &["metered", "credits", "balance"];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub features: BTreeMap<String, Feature>,
    pub plans: BTreeMap<String, Plan>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub name: String,
    /// `boolean`, `usage`, `seats` or `quota`.
    pub kind: String,
    pub unit_name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub name: String,
    pub description: Option<String>,
    pub consumption_model: Option<String>,
    pub default_interval: Option<String>,
    pub is_free: Option<bool>,
    pub is_public: Option<bool>,
    pub sort_order: Option<i64>,
    pub prices: Vec<Price>,
    /// `None` when the file leaves the plan's features out.
    pub features: Option<BTreeMap<String, Access>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub interval: String,
    /// In the smallest currency unit (cents).
    pub amount: i64,
    pub trial_days: Option<i64>,
}

/// What a plan gives of one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// `true` (included, no limits) or `false` (not included).
    Enabled(bool),
    Limits {
        included: Option<i64>,
        unlimited: Option<bool>,
        /// Overage unit price in the smallest currency unit.
        overage_unit_price: Option<i64>,
    },
}

fn interval_rank(interval: &str) -> usize {
    INTERVALS
        .iter()
        .position(|i| *i == interval)
        .unwrap_or(INTERVALS.len())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|s| !s.is_empty()).cloned()
}

impl Access {
    /// One spelling per meaning: zero and `false` limits are dropped, and
    /// limits that limit nothing are `true`.
    pub fn canonical(&self) -> Access {
        match self {
            Access::Enabled(b) => Access::Enabled(*b),
            Access::Limits {
                included,
                unlimited,
                overage_unit_price,
            } => {
                let included = included.filter(|n| *n != 0);
                let unlimited = unlimited.filter(|u| *u);
                if included.is_none() && unlimited.is_none() && overage_unit_price.is_none() {
                    Access::Enabled(true)
                } else {
                    Access::Limits {
                        included,
                        unlimited,
                        overage_unit_price: *overage_unit_price,
                    }
                }
            }
        }
    }

    /// A short description for diffs: `off`, `on`, `1000 included, overage 2`.
    pub fn describe(&self) -> String {
        match self.canonical() {
            Access::Enabled(true) => "on".into(),
            Access::Enabled(false) => "off".into(),
            Access::Limits {
                included,
                unlimited,
                overage_unit_price,
            } => {
                let mut parts = Vec::new();
                if unlimited == Some(true) {
                    parts.push("unlimited".to_owned());
                }
                if let Some(n) = included {
                    parts.push(format!("{n} included"));
                }
                if let Some(p) = overage_unit_price {
                    parts.push(format!("overage {p}/unit"));
                }
                parts.join(", ")
            }
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Access::Enabled(b) => Value::Bool(*b),
            Access::Limits {
                included,
                unlimited,
                overage_unit_price,
            } => {
                let mut m = Map::new();
                if let Some(n) = included {
                    m.insert("included".into(), json!(n));
                }
                if let Some(u) = unlimited {
                    m.insert("unlimited".into(), json!(u));
                }
                if let Some(p) = overage_unit_price {
                    m.insert("overage".into(), json!({ "unitPrice": p }));
                }
                Value::Object(m)
            }
        }
    }
}

impl Price {
    pub fn canonical(&self) -> Price {
        Price {
            interval: self.interval.clone(),
            amount: self.amount,
            trial_days: self.trial_days.filter(|d| *d != 0),
        }
    }

    pub fn describe(&self) -> String {
        match self.trial_days.filter(|d| *d != 0) {
            Some(days) => format!("{} {} ({days}-day trial)", self.interval, self.amount),
            None => format!("{} {}", self.interval, self.amount),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("interval".into(), json!(self.interval));
        m.insert("amount".into(), json!(self.amount));
        if let Some(d) = self.trial_days {
            m.insert("trialDays".into(), json!(d));
        }
        Value::Object(m)
    }
}

/// Prices in canonical form and interval order.
pub fn canonical_prices(prices: &[Price]) -> Vec<Price> {
    let mut out: Vec<Price> = prices.iter().map(Price::canonical).collect();
    out.sort_by(|a, b| {
        interval_rank(&a.interval)
            .cmp(&interval_rank(&b.interval))
            .then_with(|| a.interval.cmp(&b.interval))
    });
    out
}

impl Feature {
    pub fn canonical(&self) -> Feature {
        Feature {
            name: self.name.clone(),
            kind: self.kind.clone(),
            unit_name: non_empty(&self.unit_name),
            description: non_empty(&self.description),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("type".into(), json!(self.kind));
        if let Some(u) = &self.unit_name {
            m.insert("unitName".into(), json!(u));
        }
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        Value::Object(m)
    }
}

impl Plan {
    /// Defaults dropped (public, not free, sort order 0, no features), prices
    /// in interval order, feature access in canonical form.
    pub fn canonical(&self) -> Plan {
        Plan {
            name: self.name.clone(),
            description: non_empty(&self.description),
            consumption_model: self.consumption_model.clone(),
            default_interval: self.default_interval.clone(),
            is_free: self.is_free.filter(|f| *f),
            is_public: self.is_public.filter(|p| !*p),
            sort_order: self.sort_order.filter(|s| *s != 0),
            prices: canonical_prices(&self.prices),
            features: self
                .features
                .as_ref()
                .map(|f| {
                    f.iter()
                        .map(|(k, v)| (k.clone(), v.canonical()))
                        .collect::<BTreeMap<_, _>>()
                })
                .filter(|f| !f.is_empty()),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        if let Some(d) = &self.description {
            m.insert("description".into(), json!(d));
        }
        if let Some(c) = &self.consumption_model {
            m.insert("consumptionModel".into(), json!(c));
        }
        if let Some(i) = &self.default_interval {
            m.insert("defaultInterval".into(), json!(i));
        }
        if let Some(f) = self.is_free {
            m.insert("isFree".into(), json!(f));
        }
        if let Some(p) = self.is_public {
            m.insert("isPublic".into(), json!(p));
        }
        if let Some(s) = self.sort_order {
            m.insert("sortOrder".into(), json!(s));
        }
        m.insert(
            "prices".into(),
            Value::Array(self.prices.iter().map(Price::to_json).collect()),
        );
        if let Some(features) = &self.features {
            m.insert(
                "features".into(),
                Value::Object(
                    features
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_json()))
                        .collect(),
                ),
            );
        }
        Value::Object(m)
    }
}

impl Config {
    pub fn canonical(&self) -> Config {
        Config {
            features: self
                .features
                .iter()
                .map(|(k, f)| (k.clone(), f.canonical()))
                .collect(),
            plans: self
                .plans
                .iter()
                .map(|(k, p)| (k.clone(), p.canonical()))
                .collect(),
        }
    }

    /// The body of `POST /api/cli/push`'s `config`.
    pub fn to_json(&self) -> Value {
        json!({
            "features": self.features.iter().map(|(k, f)| (k.clone(), f.to_json())).collect::<Map<_, _>>(),
            "plans": self.plans.iter().map(|(k, p)| (k.clone(), p.to_json())).collect::<Map<_, _>>(),
        })
    }
}

// -- from the API --------------------------------------------------------------

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn int_field(v: &Value, key: &str) -> Option<i64> {
    let n = v.get(key)?;
    n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64))
}

/// A `Feature` object of the API as the file writes it. Objects without a
/// code are skipped.
pub fn feature_from_api(v: &Value) -> Option<(String, Feature)> {
    let code = str_field(v, "code")?;
    Some((
        code.clone(),
        Feature {
            name: str_field(v, "name").unwrap_or(code),
            kind: str_field(v, "type").unwrap_or_else(|| "boolean".into()),
            unit_name: str_field(v, "unitName"),
            description: str_field(v, "description"),
        },
    ))
}

/// One entry of a plan's `features` array as the file writes it.
fn access_from_api(v: &Value) -> Access {
    let enabled = v.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("boolean");
    if !enabled || kind == "boolean" {
        return Access::Enabled(enabled);
    }
    let overage = v
        .get("overage")
        .filter(|o| o.get("enabled").and_then(Value::as_bool).unwrap_or(false))
        .map(|o| int_field(o, "unitPrice").unwrap_or(0));
    Access::Limits {
        included: int_field(v, "includedAmount"),
        unlimited: v.get("unlimited").and_then(Value::as_bool),
        overage_unit_price: overage,
    }
    .canonical()
}

/// A `Plan` object of the API as the file writes it (canonical form).
/// Offer prices are left out; when an interval has several prices, the
/// default one (or else the first) is kept.
pub fn plan_from_api(v: &Value) -> Option<(String, Plan)> {
    let code = str_field(v, "code")?;
    let mut prices: Vec<Price> = Vec::new();
    let mut chosen_default: Vec<String> = Vec::new();
    for p in v
        .get("prices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if p.get("offerId").is_some_and(|o| !o.is_null()) {
            continue;
        }
        let Some(interval) = str_field(p, "billingInterval").or_else(|| str_field(p, "interval"))
        else {
            continue;
        };
        let price = Price {
            interval: interval.clone(),
            amount: int_field(p, "price")
                .or_else(|| int_field(p, "amount"))
                .unwrap_or(0),
            trial_days: int_field(p, "trialDays"),
        };
        let is_default = p.get("isDefault").and_then(Value::as_bool).unwrap_or(false);
        match prices.iter().position(|x| x.interval == interval) {
            None => {
                if is_default {
                    chosen_default.push(interval);
                }
                prices.push(price);
            }
            Some(i) if is_default && !chosen_default.contains(&interval) => {
                prices[i] = price;
                chosen_default.push(interval);
            }
            Some(_) => {}
        }
    }
    let features: BTreeMap<String, Access> = v
        .get("features")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| Some((str_field(f, "code")?, access_from_api(f))))
        .collect();
    let plan = Plan {
        name: str_field(v, "name").unwrap_or_else(|| code.clone()),
        description: str_field(v, "description"),
        consumption_model: str_field(v, "consumptionModel"),
        default_interval: str_field(v, "defaultInterval"),
        is_free: v.get("isFree").and_then(Value::as_bool),
        is_public: v.get("isPublic").and_then(Value::as_bool),
        sort_order: int_field(v, "sortOrder"),
        prices,
        features: Some(features),
    };
    Some((code, plan.canonical()))
}

/// The remote catalog as a configuration (canonical form).
pub fn config_from_api(features: &[Value], plans: &[Value]) -> Config {
    Config {
        features: features.iter().filter_map(feature_from_api).collect(),
        plans: plans.iter().filter_map(plan_from_api).collect(),
    }
    .canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_canonical_forms() {
        let none = Access::Limits {
            included: Some(0),
            unlimited: Some(false),
            overage_unit_price: None,
        };
        assert_eq!(none.canonical(), Access::Enabled(true));
        let some = Access::Limits {
            included: Some(10),
            unlimited: Some(false),
            overage_unit_price: Some(2),
        };
        assert_eq!(
            some.canonical(),
            Access::Limits {
                included: Some(10),
                unlimited: None,
                overage_unit_price: Some(2)
            }
        );
        assert_eq!(some.describe(), "10 included, overage 2/unit");
    }

    #[test]
    fn plans_from_the_api_keep_what_the_file_holds() {
        let api = json!({
            "code": "pro", "name": "Pro", "description": null, "consumptionModel": "metered",
            "isPublic": true, "isFree": false, "sortOrder": 2, "defaultInterval": "monthly",
            "prices": [
                {"billingInterval": "yearly", "price": 29000, "trialDays": 0, "isDefault": false, "offerId": null},
                {"billingInterval": "monthly", "price": 2900, "trialDays": 14, "isDefault": true, "offerId": null},
                {"billingInterval": "monthly", "price": 100, "trialDays": 0, "isDefault": false, "offerId": "off_1"},
            ],
            "features": [
                {"code": "sso", "type": "boolean", "enabled": true, "includedAmount": null, "unlimited": false, "overage": null},
                {"code": "calls", "type": "usage", "enabled": true, "includedAmount": 1000, "unlimited": false,
                 "overage": {"enabled": true, "model": "per_unit", "unitPrice": 2}},
                {"code": "seats", "type": "seats", "enabled": false, "includedAmount": 3, "unlimited": false, "overage": null},
                {"code": "storage", "type": "usage", "enabled": true, "includedAmount": 0, "unlimited": true,
                 "overage": {"enabled": false, "unitPrice": 5}},
            ],
        });
        let (code, plan) = plan_from_api(&api).unwrap();
        assert_eq!(code, "pro");
        assert_eq!(plan.description, None);
        assert_eq!(plan.is_public, None);
        assert_eq!(plan.is_free, None);
        assert_eq!(plan.sort_order, Some(2));
        assert_eq!(
            plan.prices,
            vec![
                Price {
                    interval: "monthly".into(),
                    amount: 2900,
                    trial_days: Some(14)
                },
                Price {
                    interval: "yearly".into(),
                    amount: 29000,
                    trial_days: None
                },
            ]
        );
        let features = plan.features.unwrap();
        assert_eq!(features["sso"], Access::Enabled(true));
        assert_eq!(features["seats"], Access::Enabled(false));
        assert_eq!(
            features["calls"],
            Access::Limits {
                included: Some(1000),
                unlimited: None,
                overage_unit_price: Some(2)
            }
        );
        assert_eq!(
            features["storage"],
            Access::Limits {
                included: None,
                unlimited: Some(true),
                overage_unit_price: None
            }
        );
    }
}
