//! `commet push`: makes the organization's features and plans match
//! `commet.config.ts`.

use std::fmt::Write as _;
use std::path::Path;

use commet_sdk::prelude::*;

use crate::diff::{self, PushDiff, SectionWords};
use crate::files::{self, display_path};
use crate::model::{self, Config};
use crate::{load, prompt, remote};

const PUSH_WORDS: SectionWords = SectionWords {
    unchanged: "unchanged",
    missing: "on Commet but not in the file (push leaves them alone)",
    missing_mark: "·",
};

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The diff as people read it.
pub fn report(diff: &PushDiff, local: &Config, shown: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Changes {shown} makes on Commet:");
    out.push('\n');
    diff::write_section(
        &mut out,
        "Features",
        &diff.features,
        |code| {
            local.features.get(code).map_or_else(String::new, |f| {
                format!("new {} feature {:?}", f.kind, f.name)
            })
        },
        &PUSH_WORDS,
    );
    out.push('\n');
    diff::write_section(
        &mut out,
        "Plans",
        &diff.plans,
        |code| {
            local.plans.get(code).map_or_else(String::new, |p| {
                let prices: Vec<String> = model::canonical_prices(&p.prices)
                    .iter()
                    .map(|x| format!("{} {}", x.interval, x.amount))
                    .collect();
                if prices.is_empty() {
                    format!("new plan {:?}", p.name)
                } else {
                    format!("new plan {:?} ({})", p.name, prices.join(", "))
                }
            })
        },
        &PUSH_WORDS,
    );
    out
}

/// "create 1 feature and 2 plans, and update 1 plan".
pub fn plan_sentence(diff: &PushDiff) -> String {
    let both = |n_features: usize, n_plans: usize| -> Option<String> {
        match (n_features, n_plans) {
            (0, 0) => None,
            (f, 0) => Some(plural(f, "feature")),
            (0, p) => Some(plural(p, "plan")),
            (f, p) => Some(format!(
                "{} and {}",
                plural(f, "feature"),
                plural(p, "plan")
            )),
        }
    };
    let create =
        both(diff.features.added.len(), diff.plans.added.len()).map(|s| format!("create {s}"));
    let update =
        both(diff.features.changed.len(), diff.plans.changed.len()).map(|s| format!("update {s}"));
    match (create, update) {
        (Some(c), Some(u)) => format!("{c}, and {u}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "change nothing".into(),
    }
}

fn type_change_error(diff: &PushDiff, shown: &str) -> PluginError {
    let list: Vec<String> = diff
        .type_changes
        .iter()
        .map(|t| format!("`{}` ({} → {})", t.code, t.from, t.to))
        .collect();
    PluginError::failed_with_hint(
        format!(
            "{shown} changes the type of {} {}; push never changes a feature's type, so nothing was pushed",
            if list.len() == 1 { "feature" } else { "features" },
            list.join(", ")
        ),
        "change the type in the Commet dashboard (or give the new feature another code), \
         or put the old type back in the file; then run `commet push` again",
    )
}

/// The server's answer for one kind: `{created, updated, errors}`.
fn result_kind(v: Option<&Value>) -> (Vec<String>, Vec<String>, Vec<(String, String)>) {
    let strings = |key: &str| -> Vec<String> {
        v.and_then(|k| k.get(key))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| match s {
                Value::String(s) => Some(s.clone()),
                other => other.get("code").and_then(Value::as_str).map(str::to_owned),
            })
            .collect()
    };
    let errors = v
        .and_then(|k| k.get("errors"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| match e {
            Value::String(s) => (String::new(), s.clone()),
            e => (
                e.get("code")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                e.get("message")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.to_string()),
            ),
        })
        .collect();
    (strings("created"), strings("updated"), errors)
}

fn summary_line(kind: &str, created: &[String], updated: &[String]) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            format!(" ({})", v.join(", "))
        }
    };
    format!(
        "{kind}: {} created{}, {} updated{}",
        created.len(),
        list(created),
        updated.len(),
        list(updated)
    )
}

/// Options of one push.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushOptions {
    pub dry_run: bool,
    pub yes: bool,
}

pub fn push_from(
    host: &Host<'_>,
    path: &Path,
    base: &Path,
    opts: PushOptions,
) -> Result<Output, PluginError> {
    let shown = display_path(path, base);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PluginError::failed_with_hint(
                format!("there is no {} here or in the project root", files::CONFIG_FILE),
                "run `commet pull` to write it from your organization, or `commet create` to start a new project",
            ))
        }
        Err(e) => return Err(PluginError::failed(format!("cannot read {shown}: {e}"))),
    };
    let local = load(&text).map_err(|e| e.into_error(&shown))?;

    let (features, plans) = remote::fetch_catalog(host)?;
    let remote = model::config_from_api(&features, &plans);
    let diff = diff::push_diff(&local, &remote);
    if !diff.type_changes.is_empty() {
        return Err(type_change_error(&diff, &shown));
    }
    let report = report(&diff, &local, &shown);
    let mut data = diff.to_json();
    let set = |data: &mut Value, key: &str, value: Value| {
        if let Some(m) = data.as_object_mut() {
            m.insert(key.to_owned(), value);
        }
    };
    set(&mut data, "file", json!(path.display().to_string()));
    set(&mut data, "dryRun", json!(opts.dry_run));
    set(&mut data, "applied", json!(false));

    if diff.is_empty() {
        return Ok(Output::new(
            View::Message {
                text: format!(
                    "Commet already matches {shown} ({} and {} unchanged).",
                    plural(diff.features.unchanged.len(), "feature"),
                    plural(diff.plans.unchanged.len(), "plan")
                ),
            },
            data,
        ));
    }
    if opts.dry_run {
        return Ok(Output::new(
            View::Text {
                text: format!(
                    "{}\n\nPush would {}.\nDry run: nothing was pushed.",
                    report.trim_end(),
                    plan_sentence(&diff)
                ),
            },
            data,
        ));
    }
    let mut shown_report = false;
    if !opts.yes {
        if !prompt::interactive() {
            return Err(PluginError::failed_with_hint(
                format!("pushing {shown} would change your organization, and there is no terminal to confirm"),
                "run `commet push --dry-run` to see the changes, then `commet push --yes` to apply them",
            ));
        }
        let question = format!("Push will {}. Go ahead?", plan_sentence(&diff));
        if !prompt::confirm(host, &report, &question)? {
            return Ok(Output::new(
                View::Message {
                    text: "Nothing was pushed.".into(),
                },
                data,
            ));
        }
        shown_report = true;
    }

    let mut body = json!({ "config": local.to_json() });
    if let Some(org) = std::env::current_dir()
        .ok()
        .and_then(|cwd| files::linked_org_id(&cwd))
    {
        set(&mut body, "orgId", json!(org));
    }
    host.progress("Pushing");
    let answer = host.call(&ApiRequest::new("POST", "/push").api(Api::Cli).body(body));
    host.progress_done();
    let answer = answer?;

    let (fc, fu, fe) = result_kind(answer.get("features"));
    let (pc, pu, pe) = result_kind(answer.get("plans"));
    let mut result = String::new();
    let _ = writeln!(result, "{}", summary_line("Features", &fc, &fu));
    let _ = writeln!(result, "{}", summary_line("Plans", &pc, &pu));
    set(
        &mut data,
        "result",
        json!({
            "features": answer.get("features").cloned().unwrap_or(Value::Null),
            "plans": answer.get("plans").cloned().unwrap_or(Value::Null),
        }),
    );

    let errors: Vec<String> = fe
        .iter()
        .map(|(code, m)| format!("feature {code}: {m}"))
        .chain(pe.iter().map(|(code, m)| format!("plan {code}: {m}")))
        .collect();
    let failed = answer.get("success").and_then(Value::as_bool) == Some(false);
    if !errors.is_empty() || failed {
        let detail = if errors.is_empty() {
            "  the server did not say why".to_owned()
        } else {
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        return Err(PluginError::failed_with_hint(
            format!(
                "Commet rejected part of {shown}:\n{detail}\nWhat was applied:\n  {}",
                result.trim_end().replace('\n', "\n  ")
            ),
            "fix these entries in the file and run `commet push` again (entries already applied are left as they are)",
        ));
    }
    set(&mut data, "applied", json!(true));
    let text = if shown_report {
        format!("Pushed {shown}.\n{result}")
    } else {
        format!("{}\n\nPushed {shown}.\n{result}", report.trim_end())
    };
    Ok(Output::new(View::Text { text }, data))
}

/// The `commet push` handler.
pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let cwd = std::env::current_dir()
        .map_err(|e| PluginError::failed(format!("cannot read the current directory: {e}")))?;
    let path = files::locate_config(&cwd);
    push_from(
        &ctx.host,
        &path,
        &cwd,
        PushOptions {
            dry_run: ctx.flag("dry-run"),
            yes: ctx.flag("yes"),
        },
    )
}
