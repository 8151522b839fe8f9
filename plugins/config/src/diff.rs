//! Comparing configurations: what `push` would change on Commet, and what
//! `pull` would change in the file.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{json, Value};

use crate::model::{canonical_prices, Access, Config, Feature, Plan, Price};

/// How fields the new side leaves out are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `new` is the user's file pushed to Commet. The file is the desired
    /// state (an omitted description, unit name or consumption model is
    /// cleared; omitted `isFree`/`isPublic` mean false/true), except that a
    /// plan's `sortOrder`, `defaultInterval` and `features` are kept as they
    /// are on Commet when the file leaves them out.
    Push,
    /// `new` replaces `old` entirely: every field counts.
    Replace,
}

/// One entry that differs, with a line per changed field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub code: String,
    pub changes: Vec<String>,
}

/// How two maps of features (or plans) differ.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetDiff {
    /// Only in `new`.
    pub added: Vec<String>,
    pub changed: Vec<Changed>,
    pub unchanged: Vec<String>,
    /// Only in `old`.
    pub missing: Vec<String>,
}

impl SetDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty()
    }
}

fn compare<T>(
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    changes: impl Fn(&T, &T) -> Vec<String>,
) -> SetDiff {
    let mut d = SetDiff::default();
    for (code, n) in new {
        match old.get(code) {
            None => d.added.push(code.clone()),
            Some(o) => {
                let c = changes(o, n);
                if c.is_empty() {
                    d.unchanged.push(code.clone());
                } else {
                    d.changed.push(Changed {
                        code: code.clone(),
                        changes: c,
                    });
                }
            }
        }
    }
    d.missing = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    d
}

fn quoted(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "(none)".into(),
    }
}

fn plain(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".into())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|s| !s.is_empty()).cloned()
}

/// Field changes from `old` to `new` (the type included). Both modes treat
/// features alike: every field counts.
pub fn feature_changes(old: &Feature, new: &Feature) -> Vec<String> {
    let mut out = Vec::new();
    if old.name != new.name {
        out.push(format!("name: {:?} → {:?}", old.name, new.name));
    }
    if old.kind != new.kind {
        out.push(format!("type: {} → {}", old.kind, new.kind));
    }
    let optional = [
        ("unitName", &old.unit_name, &new.unit_name),
        ("description", &old.description, &new.description),
    ];
    for (label, o, n) in optional {
        let (o, n) = (non_empty(o), non_empty(n));
        if o != n {
            out.push(format!("{label}: {} → {}", quoted(&o), quoted(&n)));
        }
    }
    out
}

fn price_text(p: Option<&Price>) -> String {
    match p {
        None => "(none)".into(),
        Some(p) => match p.trial_days {
            Some(d) => format!("{} with a {d}-day trial", p.amount),
            None => p.amount.to_string(),
        },
    }
}

fn access_text(a: Option<&Access>) -> String {
    a.map_or_else(|| "(not on the plan)".into(), Access::describe)
}

/// Field changes from `old` to `new`.
pub fn plan_changes(old: &Plan, new: &Plan, mode: Mode) -> Vec<String> {
    let mut out = Vec::new();
    let skip = |set: bool| mode == Mode::Push && !set;
    if old.name != new.name {
        out.push(format!("name: {:?} → {:?}", old.name, new.name));
    }
    let (o, n) = (non_empty(&old.description), non_empty(&new.description));
    if o != n {
        out.push(format!("description: {} → {}", quoted(&o), quoted(&n)));
    }
    if old.consumption_model != new.consumption_model {
        out.push(format!(
            "consumptionModel: {} → {}",
            plain(&old.consumption_model),
            plain(&new.consumption_model)
        ));
    }
    if !skip(new.default_interval.is_some()) && old.default_interval != new.default_interval {
        out.push(format!(
            "defaultInterval: {} → {}",
            plain(&old.default_interval),
            plain(&new.default_interval)
        ));
    }
    let flags = [
        (
            "isFree",
            old.is_free.unwrap_or(false),
            new.is_free.unwrap_or(false),
        ),
        (
            "isPublic",
            old.is_public.unwrap_or(true),
            new.is_public.unwrap_or(true),
        ),
    ];
    for (label, o, n) in flags {
        if o != n {
            out.push(format!("{label}: {o} → {n}"));
        }
    }
    if !skip(new.sort_order.is_some()) {
        let (o, n) = (old.sort_order.unwrap_or(0), new.sort_order.unwrap_or(0));
        if o != n {
            out.push(format!("sortOrder: {o} → {n}"));
        }
    }
    // Prices, by interval.
    let (op, np) = (canonical_prices(&old.prices), canonical_prices(&new.prices));
    let mut intervals: Vec<&str> = np.iter().map(|p| p.interval.as_str()).collect();
    for p in &op {
        if !intervals.contains(&p.interval.as_str()) {
            intervals.push(&p.interval);
        }
    }
    for interval in intervals {
        let o = op.iter().find(|p| p.interval == interval);
        let n = np.iter().find(|p| p.interval == interval);
        if o != n {
            out.push(format!(
                "{interval} price: {} → {}",
                price_text(o),
                price_text(n)
            ));
        }
    }
    // Feature access, by feature code.
    if !skip(new.features.is_some()) {
        let canon = |f: &Option<BTreeMap<String, Access>>| -> BTreeMap<String, Access> {
            f.iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.canonical()))
                .collect()
        };
        let (of, nf) = (canon(&old.features), canon(&new.features));
        let mut codes: Vec<&String> = nf.keys().chain(of.keys()).collect();
        codes.sort();
        codes.dedup();
        for code in codes {
            let (o, n) = (of.get(code), nf.get(code));
            if o != n {
                out.push(format!(
                    "features.{code}: {} → {}",
                    access_text(o),
                    access_text(n)
                ));
            }
        }
    }
    out
}

/// A feature whose type the file changes (refused by push).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeChange {
    pub code: String,
    pub from: String,
    pub to: String,
}

/// What pushing `local` would do to `remote`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushDiff {
    pub features: SetDiff,
    pub plans: SetDiff,
    pub type_changes: Vec<TypeChange>,
}

impl PushDiff {
    pub fn is_empty(&self) -> bool {
        self.features.is_empty() && self.plans.is_empty()
    }

    pub fn to_json(&self) -> Value {
        let kind = |d: &SetDiff| {
            json!({
                "created": d.added,
                "updated": d.changed.iter().map(|c| json!({"code": c.code, "changes": c.changes})).collect::<Vec<_>>(),
                "unchanged": d.unchanged,
                "notInConfig": d.missing,
            })
        };
        json!({ "features": kind(&self.features), "plans": kind(&self.plans) })
    }
}

pub fn push_diff(local: &Config, remote: &Config) -> PushDiff {
    let type_changes = local
        .features
        .iter()
        .filter_map(|(code, f)| {
            let r = remote.features.get(code)?;
            (r.kind != f.kind).then(|| TypeChange {
                code: code.clone(),
                from: r.kind.clone(),
                to: f.kind.clone(),
            })
        })
        .collect();
    PushDiff {
        features: compare(&remote.features, &local.features, feature_changes),
        plans: compare(&remote.plans, &local.plans, |o, n| {
            plan_changes(o, n, Mode::Push)
        }),
        type_changes,
    }
}

/// What replacing the file's configuration with `remote` changes.
pub fn pull_diff(file: &Config, remote: &Config) -> (SetDiff, SetDiff) {
    (
        compare(&file.features, &remote.features, feature_changes),
        compare(&file.plans, &remote.plans, |o, n| {
            plan_changes(o, n, Mode::Replace)
        }),
    )
}

/// A section of a diff report: `+ code  detail`, `~ code  change`, and one
/// line for the rest.
pub fn write_section(
    out: &mut String,
    title: &str,
    d: &SetDiff,
    describe_added: impl Fn(&str) -> String,
    words: &SectionWords,
) {
    let width = d
        .added
        .iter()
        .chain(d.changed.iter().map(|c| &c.code))
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "{title}");
    if d.added.is_empty() && d.changed.is_empty() && d.unchanged.is_empty() && d.missing.is_empty()
    {
        let _ = writeln!(out, "  (none)");
        return;
    }
    for code in &d.added {
        let _ = writeln!(out, "  + {code:<width$}  {}", describe_added(code));
    }
    for c in &d.changed {
        for (i, change) in c.changes.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(out, "  ~ {:<width$}  {change}", c.code);
            } else {
                let _ = writeln!(out, "    {:<width$}  {change}", "");
            }
        }
    }
    if !d.unchanged.is_empty() {
        let _ = writeln!(out, "  = {}: {}", words.unchanged, d.unchanged.join(", "));
    }
    if !d.missing.is_empty() {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            words.missing_mark,
            words.missing,
            d.missing.join(", ")
        );
    }
}

/// How a report names the entries that only one side has.
pub struct SectionWords {
    pub unchanged: &'static str,
    pub missing: &'static str,
    pub missing_mark: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal::parse_module;
    use crate::validate;

    fn cfg(src: &str) -> Config {
        validate::config(&parse_module(src).unwrap()).unwrap()
    }

    fn remote() -> Config {
        cfg(r#"defineConfig({
          features: {
            calls: { name: "Calls", type: "usage", unitName: "call", description: "API calls" },
            sso: { name: "SSO", type: "boolean" },
            legacy: { name: "Legacy", type: "boolean" },
          },
          plans: {
            pro: { name: "Pro", description: "Teams", prices: [{ interval: "monthly", amount: 2900 }],
                   features: { calls: { included: 1000 }, sso: true } },
            old: { name: "Old", prices: [] },
          },
        })"#)
        .canonical()
    }

    #[test]
    fn push_diff_sorts_entries_into_created_updated_unchanged() {
        let local = cfg(r#"defineConfig({
          features: {
            calls: { name: "API calls", type: "usage" },
            sso: { name: "SSO", type: "boolean" },
            seats: { name: "Seats", type: "seats" },
          },
          plans: {
            pro: { name: "Pro", prices: [{ interval: "monthly", amount: 3900, trialDays: 7 }, { interval: "yearly", amount: 39000 }],
                   features: { calls: { included: 5000, overage: { unitPrice: 2 } }, sso: true, seats: { included: 3 } } },
            free: { name: "Free", isFree: true, prices: [] },
          },
        })"#);
        let d = push_diff(&local, &remote());
        assert!(d.type_changes.is_empty());
        assert_eq!(d.features.added, vec!["seats"]);
        assert_eq!(d.features.unchanged, vec!["sso"]);
        assert_eq!(d.features.missing, vec!["legacy"]);
        // The file is the desired state: leaving the unit name and
        // description out clears them.
        assert_eq!(
            d.features.changed,
            vec![Changed {
                code: "calls".into(),
                changes: vec![
                    "name: \"Calls\" → \"API calls\"".into(),
                    "unitName: \"call\" → (none)".into(),
                    "description: \"API calls\" → (none)".into(),
                ]
            }]
        );
        assert_eq!(d.plans.added, vec!["free"]);
        assert_eq!(d.plans.missing, vec!["old"]);
        let pro = &d.plans.changed[0];
        assert_eq!(pro.code, "pro");
        assert_eq!(
            pro.changes,
            vec![
                "description: \"Teams\" → (none)",
                "monthly price: 2900 → 3900 with a 7-day trial",
                "yearly price: (none) → 39000",
                "features.calls: 1000 included → 5000 included, overage 2/unit",
                "features.seats: (not on the plan) → 3 included",
            ]
        );
        assert!(!d.is_empty());
    }

    #[test]
    fn identical_config_is_unchanged() {
        let r = remote();
        let d = push_diff(&r, &r);
        assert!(d.is_empty());
        assert_eq!(d.features.unchanged.len(), 3);
        assert_eq!(d.plans.unchanged.len(), 2);
        // Spelling defaults out is not a change either, and plan features,
        // sort order and default interval left out are kept.
        let local = cfg(r#"defineConfig({
            features: { calls: { name: "Calls", type: "usage" }, sso: { name: "SSO", type: "boolean" } },
            plans: {
            pro: { name: "Pro", description: "Teams", isPublic: true, isFree: false,
                   prices: [{ interval: "monthly", amount: 2900, trialDays: 0 }],
                   features: { calls: { included: 1000, unlimited: false }, sso: true } } } })"#);
        let d = push_diff(&local, &r);
        assert_eq!(d.plans.unchanged, vec!["pro"], "{:?}", d.plans.changed);
        let local = cfg(r#"defineConfig({ features: {}, plans: {
            pro: { name: "Pro", description: "Teams", prices: [{ interval: "monthly", amount: 2900 }] } } })"#);
        assert!(push_diff(&local, &r).plans.changed.is_empty());
    }

    #[test]
    fn type_changes_are_detected() {
        let local = cfg(
            r#"defineConfig({ features: { sso: { name: "SSO", type: "usage" } }, plans: {} })"#,
        );
        let d = push_diff(&local, &remote());
        assert_eq!(
            d.type_changes,
            vec![TypeChange {
                code: "sso".into(),
                from: "boolean".into(),
                to: "usage".into()
            }]
        );
    }

    #[test]
    fn pull_diff_counts_every_field() {
        let file = cfg(r#"defineConfig({
          features: { calls: { name: "Calls", type: "usage" }, gone: { name: "Gone", type: "boolean" } },
          plans: { pro: { name: "Pro", prices: [{ interval: "monthly", amount: 2900 }],
                          features: { calls: { included: 1000 } } } },
        })"#);
        let (features, plans) = pull_diff(&file.canonical(), &remote());
        assert_eq!(features.added, vec!["legacy", "sso"]);
        assert_eq!(features.missing, vec!["gone"]);
        assert_eq!(features.changed[0].code, "calls");
        assert_eq!(
            features.changed[0].changes,
            vec![
                "unitName: (none) → \"call\"",
                "description: (none) → \"API calls\""
            ]
        );
        assert_eq!(plans.added, vec!["old"]);
        assert_eq!(
            plans.changed[0].changes,
            vec![
                "description: (none) → \"Teams\"",
                "features.sso: (not on the plan) → on"
            ]
        );
    }
}
