//! Writes a [`Config`] as `commet.config.ts`.
//!
//! The output is deterministic (features by code; plans by sort order, then
//! code; prices by interval; plan features by code), two-space indented,
//! with defaults left out so the file shows only what matters.

use std::fmt::Write;

use crate::model::{canonical_prices, Access, Config, Feature, Plan};

pub const HEADER: &str = "\
// Billing configuration for Commet: the features you sell and the plans that
// bundle them. `commet pull` rewrites this file from your organization;
// edit it and run `commet push` to apply your changes. Price amounts are in
// cents; overage unit prices use the rate scale (10000 = 1.00).
";

/// Whether `key` can be written without quotes.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn key(k: &str) -> String {
    if is_identifier(k) {
        k.to_owned()
    } else {
        string(k)
    }
}

/// A double-quoted string literal (JSON escaping is valid TypeScript).
fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

fn feature_block(out: &mut String, code: &str, f: &Feature) {
    let _ = writeln!(out, "    {}: {{", key(code));
    let _ = writeln!(out, "      name: {},", string(&f.name));
    let _ = writeln!(out, "      type: {},", string(&f.kind));
    if let Some(u) = &f.unit_name {
        let _ = writeln!(out, "      unitName: {},", string(u));
    }
    if let Some(d) = &f.description {
        let _ = writeln!(out, "      description: {},", string(d));
    }
    out.push_str("    },\n");
}

fn access(a: &Access) -> String {
    match a {
        Access::Enabled(b) => b.to_string(),
        Access::Limits {
            included,
            unlimited,
            overage_unit_price,
        } => {
            let mut parts = Vec::new();
            if let Some(n) = included {
                parts.push(format!("included: {n}"));
            }
            if let Some(u) = unlimited {
                parts.push(format!("unlimited: {u}"));
            }
            if let Some(p) = overage_unit_price {
                parts.push(format!("overage: {{ unitPrice: {p} }}"));
            }
            if parts.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }
}

fn plan_block(out: &mut String, code: &str, p: &Plan) {
    let _ = writeln!(out, "    {}: {{", key(code));
    let _ = writeln!(out, "      name: {},", string(&p.name));
    if let Some(d) = &p.description {
        let _ = writeln!(out, "      description: {},", string(d));
    }
    if let Some(c) = &p.consumption_model {
        let _ = writeln!(out, "      consumptionModel: {},", string(c));
    }
    if let Some(i) = &p.default_interval {
        let _ = writeln!(out, "      defaultInterval: {},", string(i));
    }
    if let Some(f) = p.is_free {
        let _ = writeln!(out, "      isFree: {f},");
    }
    if let Some(v) = p.is_public {
        let _ = writeln!(out, "      isPublic: {v},");
    }
    if let Some(s) = p.sort_order {
        let _ = writeln!(out, "      sortOrder: {s},");
    }
    let prices = canonical_prices(&p.prices);
    if prices.is_empty() {
        out.push_str("      prices: [],\n");
    } else {
        out.push_str("      prices: [\n");
        for price in &prices {
            let trial = price
                .trial_days
                .map(|d| format!(", trialDays: {d}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "        {{ interval: {}, amount: {}{trial} }},",
                string(&price.interval),
                price.amount
            );
        }
        out.push_str("      ],\n");
    }
    if let Some(features) = p.features.as_ref().filter(|f| !f.is_empty()) {
        out.push_str("      features: {\n");
        for (code, a) in features {
            let _ = writeln!(out, "        {}: {},", key(code), access(a));
        }
        out.push_str("      },\n");
    }
    out.push_str("    },\n");
}

/// The whole file.
pub fn config_file(config: &Config) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str("import { defineConfig } from \"@commet/node\";\n\n");
    out.push_str("export default defineConfig({\n");
    if config.features.is_empty() {
        out.push_str("  features: {},\n");
    } else {
        out.push_str("  features: {\n");
        for (code, f) in &config.features {
            feature_block(&mut out, code, f);
        }
        out.push_str("  },\n");
    }
    if config.plans.is_empty() {
        out.push_str("  plans: {},\n");
    } else {
        out.push_str("  plans: {\n");
        let mut plans: Vec<(&String, &Plan)> = config.plans.iter().collect();
        plans.sort_by(|a, b| {
            a.1.sort_order
                .unwrap_or(0)
                .cmp(&b.1.sort_order.unwrap_or(0))
                .then_with(|| a.0.cmp(b.0))
        });
        for (code, p) in plans {
            plan_block(&mut out, code, p);
        }
        out.push_str("  },\n");
    }
    out.push_str("});\n");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::literal::parse_module;
    use crate::model::Price;
    use crate::validate;

    fn sample() -> Config {
        let mut config = Config::default();
        config.features.insert(
            "api_calls".into(),
            Feature {
                name: "API calls".into(),
                kind: "usage".into(),
                unit_name: Some("call".into()),
                description: Some("Requests to \"our\" API\nper month".into()),
            },
        );
        config.features.insert(
            "sso".into(),
            Feature {
                name: "Single sign-on".into(),
                kind: "boolean".into(),
                unit_name: None,
                description: None,
            },
        );
        let mut pro_features = BTreeMap::new();
        pro_features.insert(
            "api_calls".into(),
            Access::Limits {
                included: Some(100_000),
                unlimited: None,
                overage_unit_price: Some(2),
            },
        );
        pro_features.insert("sso".into(), Access::Enabled(true));
        config.plans.insert(
            "team-pro".into(),
            Plan {
                name: "Pro".into(),
                description: Some("For teams".into()),
                consumption_model: Some("metered".into()),
                default_interval: Some("monthly".into()),
                is_free: None,
                is_public: Some(false),
                sort_order: Some(2),
                prices: vec![
                    Price {
                        interval: "yearly".into(),
                        amount: 29_000,
                        trial_days: None,
                    },
                    Price {
                        interval: "monthly".into(),
                        amount: 2_900,
                        trial_days: Some(14),
                    },
                ],
                features: Some(pro_features),
            },
        );
        let mut free_features = BTreeMap::new();
        free_features.insert("sso".into(), Access::Enabled(false));
        free_features.insert(
            "api_calls".into(),
            Access::Limits {
                included: None,
                unlimited: Some(true),
                overage_unit_price: None,
            },
        );
        config.plans.insert(
            "free".into(),
            Plan {
                name: "Free".into(),
                is_free: Some(true),
                sort_order: Some(1),
                prices: vec![],
                features: Some(free_features),
                ..Plan::default()
            },
        );
        config
    }

    #[test]
    fn generated_file_round_trips_through_the_parser() {
        let config = sample().canonical();
        let text = config_file(&config);
        let parsed = validate::config(&parse_module(&text).unwrap()).unwrap();
        assert_eq!(parsed.canonical(), config);
        // Rendering again gives the same bytes.
        assert_eq!(config_file(&parsed), text);
    }

    #[test]
    fn generated_file_reads_well() {
        let text = config_file(&sample().canonical());
        assert!(text.contains("import { defineConfig } from \"@commet/node\";"));
        assert!(text.contains("export default defineConfig({"));
        // Free (sort order 1) comes before the pro plan (2); quoted keys
        // only where needed.
        let free = text.find("    free: {").unwrap();
        let pro = text.find("    \"team-pro\": {").unwrap();
        assert!(free < pro);
        assert!(text.contains(
            "        { interval: \"monthly\", amount: 2900, trialDays: 14 },\n        { interval: \"yearly\", amount: 29000 },"
        ));
        assert!(
            text.contains("        api_calls: { included: 100000, overage: { unitPrice: 2 } },")
        );
        assert!(text.contains("        sso: false,"));
        assert!(text.contains("      isPublic: false,"));
        assert!(text.contains("description: \"Requests to \\\"our\\\" API\\nper month\""));
    }

    #[test]
    fn empty_config() {
        let text = config_file(&Config::default());
        assert!(text.contains("  features: {},\n  plans: {},\n"));
        assert_eq!(
            validate::config(&parse_module(&text).unwrap()).unwrap(),
            Config::default()
        );
    }
}
