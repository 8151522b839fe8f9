//! Turns the parsed object literal into a [`Config`], reporting every
//! problem at once with its line, column and path (`plans.pro.prices[0]`).

use std::collections::BTreeMap;
use std::fmt;

use crate::literal::{Entry, Node, Pos, Value};
use crate::model::{
    Access, Config, Feature, Plan, Price, CONSUMPTION_MODELS, FEATURE_TYPES, INTERVALS,
};

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    /// Where in the configuration, e.g. `plans.pro.prices[0].interval`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.pos, self.path, self.message)
    }
}

/// Feature codes: lowercase letters, digits and `_`, starting with a letter.
pub fn valid_feature_code(code: &str) -> bool {
    code.len() <= 64
        && code.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Plan codes: lowercase letters, digits, `_` and `-`.
pub fn valid_plan_code(code: &str) -> bool {
    code.len() <= 64
        && code
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn one_of(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            pos,
            path: path.to_owned(),
            message: message.into(),
        });
    }

    fn object<'n>(&mut self, node: &'n Node, path: &str, what: &str) -> Option<&'n [Entry]> {
        match &node.value {
            Value::Object(entries) => Some(entries),
            _ => {
                self.problem(
                    node.pos,
                    path,
                    format!("expected {what} (an object), found {}", node.kind()),
                );
                None
            }
        }
    }

    /// Reports keys outside `allowed`.
    fn known_keys(&mut self, entries: &[Entry], path: &str, allowed: &[&str]) {
        for e in entries {
            if !allowed.contains(&e.key.as_str()) {
                self.problem(
                    e.key_pos,
                    &format!("{path}.{}", e.key),
                    format!("unknown field `{}`; expected {}", e.key, one_of(allowed)),
                );
            }
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.problem(
                    node.pos,
                    path,
                    format!("expected a string, found {}", node.kind()),
                );
                None
            }
        }
    }

    fn name(&mut self, node: &Node, path: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if s.trim().is_empty() {
            self.problem(node.pos, path, "the name must not be empty");
            return None;
        }
        Some(s)
    }

    fn enumeration(&mut self, node: &Node, path: &str, values: &[&str]) -> Option<String> {
        let s = self.string(node, path)?;
        if values.contains(&s.as_str()) {
            Some(s)
        } else {
            self.problem(
                node.pos,
                path,
                format!("\"{s}\" is not allowed here; use {}", one_of(values)),
            );
            None
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.problem(
                    node.pos,
                    path,
                    format!("expected true or false, found {}", node.kind()),
                );
                None
            }
        }
    }

    /// A whole number; `min` is the smallest accepted value.
    fn integer(&mut self, node: &Node, path: &str, min: i64, what: &str) -> Option<i64> {
        match node.value {
            Value::Int(i) if i >= min => Some(i),
            Value::Int(i) => {
                self.problem(
                    node.pos,
                    path,
                    format!("{what} must be at least {min}, found {i}"),
                );
                None
            }
            Value::Float(f) => {
                self.problem(
                    node.pos,
                    path,
                    format!("{what} must be a whole number, found {f}"),
                );
                None
            }
            _ => {
                self.problem(
                    node.pos,
                    path,
                    format!("expected {what} (a whole number), found {}", node.kind()),
                );
                None
            }
        }
    }

    /// `None` for absent and for `null`/`undefined`.
    fn optional<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Node> {
        entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
            .filter(|n| n.value != Value::Null)
    }

    fn feature(&mut self, entry: &Entry) -> Option<Feature> {
        let path = format!("features.{}", entry.key);
        if !valid_feature_code(&entry.key) {
            self.problem(
                entry.key_pos,
                &path,
                format!(
                    "`{}` is not a valid feature code; use lowercase letters, digits and underscores, starting with a letter (e.g. api_calls)",
                    entry.key
                ),
            );
        }
        let entries = self.object(&entry.value, &path, "a feature")?;
        self.known_keys(entries, &path, &["name", "type", "unitName", "description"]);
        let name = match Self::optional(entries, "name") {
            Some(n) => self.name(n, &format!("{path}.name")),
            None => {
                self.problem(entry.value.pos, &path, "the feature has no `name`");
                None
            }
        };
        let kind = match Self::optional(entries, "type") {
            Some(n) => self.enumeration(n, &format!("{path}.type"), FEATURE_TYPES),
            None => {
                self.problem(
                    entry.value.pos,
                    &path,
                    format!("the feature has no `type` ({})", one_of(FEATURE_TYPES)),
                );
                None
            }
        };
        let unit_name = Self::optional(entries, "unitName")
            .and_then(|n| self.string(n, &format!("{path}.unitName")));
        let description = Self::optional(entries, "description")
            .and_then(|n| self.string(n, &format!("{path}.description")));
        Some(Feature {
            name: name?,
            kind: kind?,
            unit_name,
            description,
        })
    }

    fn price(&mut self, node: &Node, path: &str) -> Option<Price> {
        let entries = self.object(node, path, "a price")?;
        self.known_keys(entries, path, &["interval", "amount", "trialDays"]);
        let interval = match Self::optional(entries, "interval") {
            Some(n) => self.enumeration(n, &format!("{path}.interval"), INTERVALS),
            None => {
                self.problem(
                    node.pos,
                    path,
                    format!("the price has no `interval` ({})", one_of(INTERVALS)),
                );
                None
            }
        };
        let amount = match Self::optional(entries, "amount") {
            Some(n) => self.integer(n, &format!("{path}.amount"), 0, "the amount (in cents)"),
            None => {
                self.problem(
                    node.pos,
                    path,
                    "the price has no `amount` (in cents, e.g. 2900 for 29.00)",
                );
                None
            }
        };
        let trial_days = Self::optional(entries, "trialDays")
            .and_then(|n| self.integer(n, &format!("{path}.trialDays"), 0, "trialDays"));
        Some(Price {
            interval: interval?,
            amount: amount?,
            trial_days,
        })
    }

    fn access(&mut self, node: &Node, path: &str, feature: Option<&Feature>) -> Option<Access> {
        match &node.value {
            Value::Bool(b) => Some(Access::Enabled(*b)),
            Value::Object(entries) => {
                if let Some(f) = feature.filter(|f| f.kind == "boolean") {
                    self.problem(
                        node.pos,
                        path,
                        format!(
                            "`{}` is a boolean feature; give it true or false, not limits",
                            f.name
                        ),
                    );
                    return None;
                }
                self.known_keys(entries, path, &["included", "unlimited", "overage"]);
                let included = Self::optional(entries, "included")
                    .and_then(|n| self.integer(n, &format!("{path}.included"), 0, "included"));
                let unlimited = Self::optional(entries, "unlimited")
                    .and_then(|n| self.boolean(n, &format!("{path}.unlimited")));
                let overage = match Self::optional(entries, "overage") {
                    None => None,
                    Some(o) => {
                        let opath = format!("{path}.overage");
                        let oentries = self.object(o, &opath, "the overage settings")?;
                        self.known_keys(oentries, &opath, &["unitPrice"]);
                        match Self::optional(oentries, "unitPrice") {
                            Some(n) => self.integer(
                                n,
                                &format!("{opath}.unitPrice"),
                                0,
                                "the unit price (rate scale: 10000 = 1.00)",
                            ),
                            None => {
                                self.problem(o.pos, &opath, "the overage has no `unitPrice`");
                                None
                            }
                        }
                    }
                };
                Some(Access::Limits {
                    included,
                    unlimited,
                    overage_unit_price: overage,
                })
            }
            _ => {
                self.problem(
                    node.pos,
                    path,
                    format!(
                        "expected true, false or {{ included?, unlimited?, overage?: {{ unitPrice }} }}, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    fn plan(
        &mut self,
        entry: &Entry,
        features: &BTreeMap<String, Feature>,
        feature_codes: &[&str],
    ) -> Option<Plan> {
        let path = format!("plans.{}", entry.key);
        if !valid_plan_code(&entry.key) {
            self.problem(
                entry.key_pos,
                &path,
                format!(
                    "`{}` is not a valid plan code; use lowercase letters, digits, `_` and `-` (e.g. pro or team-yearly)",
                    entry.key
                ),
            );
        }
        let entries = self.object(&entry.value, &path, "a plan")?;
        self.known_keys(
            entries,
            &path,
            &[
                "name",
                "description",
                "consumptionModel",
                "defaultInterval",
                "isFree",
                "isPublic",
                "sortOrder",
                "prices",
                "features",
            ],
        );
        let name = match Self::optional(entries, "name") {
            Some(n) => self.name(n, &format!("{path}.name")),
            None => {
                self.problem(entry.value.pos, &path, "the plan has no `name`");
                None
            }
        };
        let description = Self::optional(entries, "description")
            .and_then(|n| self.string(n, &format!("{path}.description")));
        let consumption_model = Self::optional(entries, "consumptionModel").and_then(|n| {
            self.enumeration(n, &format!("{path}.consumptionModel"), CONSUMPTION_MODELS)
        });
        let default_interval = Self::optional(entries, "defaultInterval")
            .and_then(|n| self.enumeration(n, &format!("{path}.defaultInterval"), INTERVALS));
        let is_free = Self::optional(entries, "isFree")
            .and_then(|n| self.boolean(n, &format!("{path}.isFree")));
        let is_public = Self::optional(entries, "isPublic")
            .and_then(|n| self.boolean(n, &format!("{path}.isPublic")));
        let sort_order = Self::optional(entries, "sortOrder")
            .and_then(|n| self.integer(n, &format!("{path}.sortOrder"), i64::MIN, "sortOrder"));

        let mut prices_ok = true;
        let mut prices = Vec::new();
        match Self::optional(entries, "prices") {
            None => {
                self.problem(
                    entry.value.pos,
                    &path,
                    "the plan has no `prices`; write `prices: []` for a plan without prices",
                );
                prices_ok = false;
            }
            Some(node) => match &node.value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let ppath = format!("{path}.prices[{i}]");
                        match self.price(item, &ppath) {
                            Some(p) => {
                                if prices.iter().any(|q: &Price| q.interval == p.interval) {
                                    self.problem(
                                        item.pos,
                                        &ppath,
                                        format!("a second `{}` price; a plan has at most one price per interval", p.interval),
                                    );
                                    prices_ok = false;
                                } else {
                                    prices.push(p);
                                }
                            }
                            None => prices_ok = false,
                        }
                    }
                }
                _ => {
                    self.problem(
                        node.pos,
                        &format!("{path}.prices"),
                        format!("expected an array of prices, found {}", node.kind()),
                    );
                    prices_ok = false;
                }
            },
        }

        let mut access_ok = true;
        let plan_features = match Self::optional(entries, "features") {
            None => None,
            Some(node) => {
                let fpath = format!("{path}.features");
                match self.object(node, &fpath, "the plan's features") {
                    None => {
                        access_ok = false;
                        None
                    }
                    Some(fentries) => {
                        let mut map = BTreeMap::new();
                        for fe in fentries {
                            let apath = format!("{fpath}.{}", fe.key);
                            let feature = features.get(&fe.key);
                            if feature.is_none() && !feature_codes.contains(&fe.key.as_str()) {
                                self.problem(
                                    fe.key_pos,
                                    &apath,
                                    format!(
                                        "the plan uses feature `{}`, which is not defined under `features`{}",
                                        fe.key,
                                        if feature_codes.is_empty() {
                                            String::new()
                                        } else {
                                            format!(" (defined: {})", feature_codes.join(", "))
                                        }
                                    ),
                                );
                                access_ok = false;
                                continue;
                            }
                            match self.access(&fe.value, &apath, feature) {
                                Some(Access::Limits {
                                    overage_unit_price: Some(_),
                                    ..
                                }) if is_free == Some(true) => {
                                    self.problem(
                                        fe.value.pos,
                                        &apath,
                                        "a free plan cannot charge overage (usage stops at the included amount); remove `overage` or drop `isFree: true`",
                                    );
                                    access_ok = false;
                                }
                                Some(a) => {
                                    map.insert(fe.key.clone(), a);
                                }
                                None => access_ok = false,
                            }
                        }
                        Some(map)
                    }
                }
            }
        };
        if !(prices_ok && access_ok) {
            return None;
        }
        Some(Plan {
            name: name?,
            description,
            consumption_model,
            default_interval,
            is_free,
            is_public,
            sort_order,
            prices,
            features: plan_features,
        })
    }
}

/// Checks the configuration object. Every problem is reported, not just the
/// first.
pub fn config(root: &Node) -> Result<Config, Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let Some(entries) = c.object(root, "config", "the configuration") else {
        return Err(c.problems);
    };
    c.known_keys(entries, "config", &["features", "plans"]);
    let mut config = Config::default();

    let feature_entries: &[Entry] = match Checker::optional(entries, "features") {
        Some(n) => c.object(n, "features", "the features").unwrap_or(&[]),
        None => &[],
    };
    let feature_codes: Vec<&str> = feature_entries.iter().map(|e| e.key.as_str()).collect();
    for entry in feature_entries {
        if let Some(f) = c.feature(entry) {
            config.features.insert(entry.key.clone(), f);
        }
    }
    if let Some(n) = Checker::optional(entries, "plans") {
        if let Some(plan_entries) = c.object(n, "plans", "the plans") {
            for entry in plan_entries {
                if let Some(p) = c.plan(entry, &config.features, &feature_codes) {
                    config.plans.insert(entry.key.clone(), p);
                }
            }
        }
    }
    if c.problems.is_empty() {
        Ok(config)
    } else {
        c.problems.sort_by_key(|p| (p.pos.line, p.pos.col));
        Err(c.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::parse_module;

    fn problems(src: &str) -> Vec<Problem> {
        config(&parse_module(src).expect("parses")).expect_err("should be invalid")
    }

    #[test]
    fn accepts_a_complete_config() {
        let src = r#"export default defineConfig({
          features: {
            api_calls: { name: "API calls", type: "usage", unitName: "call" },
            sso: { name: "SSO", type: "boolean", description: "Single sign-on" },
          },
          plans: {
            pro: {
              name: "Pro", consumptionModel: "metered", defaultInterval: "monthly",
              isPublic: false, sortOrder: 1,
              prices: [{ interval: "monthly", amount: 2900, trialDays: 14 }],
              features: { api_calls: { included: 1000, overage: { unitPrice: 2 } }, sso: true },
            },
          },
        })"#;
        let cfg = config(&parse_module(src).unwrap()).unwrap();
        assert_eq!(cfg.features["api_calls"].unit_name.as_deref(), Some("call"));
        let pro = &cfg.plans["pro"];
        assert_eq!(pro.is_public, Some(false));
        assert_eq!(pro.prices[0].trial_days, Some(14));
        assert_eq!(
            pro.features.as_ref().unwrap()["api_calls"],
            Access::Limits {
                included: Some(1000),
                unlimited: None,
                overage_unit_price: Some(2)
            }
        );
    }

    #[test]
    fn reports_every_problem_with_path_and_position() {
        let src = "export default defineConfig({
  features: {
    calls: { name: \"Calls\", type: \"metered\" },
    sso: { type: \"boolean\" },
    Bad: { name: \"Bad\", type: \"usage\" },
  },
  plans: {
    pro: {
      name: \"Pro\",
      prices: [{ interval: \"biweekly\", amount: 29.5 }],
      features: { sso: { included: 3 }, ghost: true },
      colour: \"red\",
    },
    free: { name: \"Free\" },
  },
});";
        let p = problems(src);
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        let find = |needle: &str| {
            text.iter()
                .find(|t| t.contains(needle))
                .unwrap_or_else(|| panic!("no problem mentioning {needle:?} in {text:#?}"))
                .clone()
        };
        assert!(find("features.calls.type").starts_with("3:35: "));
        assert!(find("features.calls.type").contains("use boolean, usage, seats or quota"));
        assert!(find("features.sso").contains("no `name`"));
        assert!(find("features.Bad").contains("not a valid feature code"));
        assert!(find("plans.pro.prices[0].interval").contains("\"biweekly\""));
        assert!(find("plans.pro.prices[0].amount").contains("whole number"));
        assert!(find("plans.pro.features.ghost").contains("not defined under `features`"));
        assert!(find("plans.pro.colour").contains("unknown field"));
        assert!(find("plans.free").contains("no `prices`"));
        // A boolean feature with limits is refused (sso is invalid itself but
        // still known by code; the type check needs the parsed feature).
        assert!(p
            .windows(2)
            .all(|w| (w[0].pos.line, w[0].pos.col) <= (w[1].pos.line, w[1].pos.col)));
    }

    #[test]
    fn boolean_features_take_true_or_false() {
        let p = problems(
            "defineConfig({ features: { sso: { name: 'SSO', type: 'boolean' } },
              plans: { pro: { name: 'Pro', prices: [], features: { sso: { included: 1 } } } } })",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].path, "plans.pro.features.sso");
        assert!(p[0].message.contains("boolean feature"));
    }

    #[test]
    fn free_plans_cannot_charge_overage() {
        let p = problems(
            "defineConfig({ features: { calls: { name: 'Calls', type: 'usage' } },
              plans: { free: { name: 'Free', isFree: true, prices: [],
                features: { calls: { included: 10, overage: { unitPrice: 5 } } } } } })",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].path, "plans.free.features.calls");
        assert!(p[0].message.contains("free plan"));
    }

    #[test]
    fn duplicate_intervals_and_negative_amounts() {
        let p = problems(
            "defineConfig({ features: {}, plans: { pro: { name: 'Pro', prices: [
               { interval: 'monthly', amount: 1 }, { interval: 'monthly', amount: -5 }, { interval: 'yearly', amount: 2 },
               { interval: 'yearly', amount: 3 } ] } } })",
        );
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("prices[1].amount") && t.contains("at least 0")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("prices[3]") && t.contains("second `yearly`")),
            "{text:?}"
        );
    }
}
