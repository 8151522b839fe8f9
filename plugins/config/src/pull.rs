//! `commet pull`: writes `commet.config.ts` from the organization's catalog.

use std::fmt::Write as _;
use std::path::Path;

use commet_sdk::prelude::*;

use crate::diff::{self, SectionWords, SetDiff};
use crate::files::{self, display_path};
use crate::model::{self, Config};
use crate::{load, prompt, remote, render};

const PULL_WORDS: SectionWords = SectionWords {
    unchanged: "unchanged",
    missing: "removed (no longer on Commet)",
    missing_mark: "-",
};

fn set_json(d: &SetDiff) -> Value {
    json!({
        "added": d.added,
        "changed": d.changed.iter().map(|c| json!({"code": c.code, "changes": c.changes})).collect::<Vec<_>>(),
        "removed": d.missing,
        "unchanged": d.unchanged,
    })
}

fn counts(config: &Config) -> String {
    let f = config.features.len();
    let p = config.plans.len();
    format!(
        "{f} feature{}, {p} plan{}",
        if f == 1 { "" } else { "s" },
        if p == 1 { "" } else { "s" }
    )
}

fn all_added(config: &Config) -> (SetDiff, SetDiff) {
    (
        SetDiff {
            added: config.features.keys().cloned().collect(),
            ..SetDiff::default()
        },
        SetDiff {
            added: config.plans.keys().cloned().collect(),
            ..SetDiff::default()
        },
    )
}

fn data(
    path: &Path,
    remote: &Config,
    sets: &(SetDiff, SetDiff),
    dry_run: bool,
    written: bool,
) -> Value {
    json!({
        "file": path.display().to_string(),
        "dryRun": dry_run,
        "written": written,
        "features": set_json(&sets.0),
        "plans": set_json(&sets.1),
        "counts": {"features": remote.features.len(), "plans": remote.plans.len()},
    })
}

/// The report shown before overwriting an existing file.
fn change_report(
    shown: &str,
    previous: &Result<Config, String>,
    sets: &(SetDiff, SetDiff),
    remote: &Config,
) -> String {
    let mut out = String::new();
    match previous {
        Err(why) => {
            let _ = writeln!(
                out,
                "The current {shown} could not be read as a billing configuration ({why});\n\
                 pulling replaces it with the organization's {}.",
                counts(remote)
            );
        }
        Ok(_)
            if sets.0.is_empty()
                && sets.1.is_empty()
                && sets.0.missing.is_empty()
                && sets.1.missing.is_empty() =>
        {
            let _ = writeln!(
                out,
                "{shown} already describes the same features and plans; only its layout or comments differ\n\
                 from what pull writes, and they would be replaced."
            );
        }
        Ok(_) => {
            let _ = writeln!(out, "Changes to {shown} from your organization:");
            out.push('\n');
            diff::write_section(
                &mut out,
                "Features",
                &sets.0,
                |code| {
                    remote
                        .features
                        .get(code)
                        .map_or_else(String::new, |f| format!("{} ({})", f.name, f.kind))
                },
                &PULL_WORDS,
            );
            out.push('\n');
            diff::write_section(
                &mut out,
                "Plans",
                &sets.1,
                |code| {
                    remote
                        .plans
                        .get(code)
                        .map_or_else(String::new, |p| p.name.clone())
                },
                &PULL_WORDS,
            );
        }
    }
    out
}

/// Options of one pull.
#[derive(Debug, Clone, Copy, Default)]
pub struct PullOptions {
    pub dry_run: bool,
    pub yes: bool,
}

/// Pulls into `path`; `base` is the directory paths are shown relative to.
pub fn pull_into(
    host: &Host<'_>,
    path: &Path,
    base: &Path,
    opts: PullOptions,
) -> Result<Output, PluginError> {
    let shown = display_path(path, base);
    let (features, plans) = remote::fetch_catalog(host)?;
    let remote = model::config_from_api(&features, &plans);
    let text = render::config_file(&remote);

    let existing = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(PluginError::failed_with_hint(
                format!("cannot read {shown}: {e}"),
                "check the file's permissions, or move it away and pull again",
            ))
        }
    };

    let Some(existing) = existing else {
        let sets = all_added(&remote);
        if opts.dry_run {
            return Ok(Output::new(
                View::Text {
                    text: format!(
                        "Would create {shown} with {}:\n\n{text}\nDry run: nothing was written.",
                        counts(&remote)
                    ),
                },
                {
                    let mut d = data(path, &remote, &sets, true, false);
                    if let Some(m) = d.as_object_mut() {
                        m.insert("content".into(), Value::String(text.clone()));
                    }
                    d
                },
            ));
        }
        write(path, &shown, &text)?;
        return Ok(Output::new(
            View::Message {
                text: format!("Wrote {shown} with {}.", counts(&remote)),
            },
            data(path, &remote, &sets, false, true),
        ));
    };

    if existing == text {
        let sets = (
            SetDiff {
                unchanged: remote.features.keys().cloned().collect(),
                ..SetDiff::default()
            },
            SetDiff {
                unchanged: remote.plans.keys().cloned().collect(),
                ..SetDiff::default()
            },
        );
        return Ok(Output::new(
            View::Message {
                text: format!("{shown} is already up to date ({}).", counts(&remote)),
            },
            data(path, &remote, &sets, opts.dry_run, false),
        ));
    }

    let previous = load(&existing)
        .map(|c| c.canonical())
        .map_err(|e| e.summary(&shown));
    let sets = match &previous {
        Ok(file) => diff::pull_diff(file, &remote),
        Err(_) => all_added(&remote),
    };
    let report = change_report(&shown, &previous, &sets, &remote);

    if opts.dry_run {
        return Ok(Output::new(
            View::Text {
                text: format!("{}\n\nDry run: {shown} was not changed.", report.trim_end()),
            },
            data(path, &remote, &sets, true, false),
        ));
    }
    if !opts.yes {
        if !prompt::interactive() {
            return Err(PluginError::failed_with_hint(
                format!("{shown} exists and would change, and there is no terminal to confirm overwriting it"),
                "run `commet pull --dry-run` to see the changes, then `commet pull --yes` to overwrite the file",
            ));
        }
        if !prompt::confirm(host, &report, &format!("Overwrite {shown}?"))? {
            return Ok(Output::new(
                View::Message {
                    text: format!("{shown} was left unchanged."),
                },
                data(path, &remote, &sets, false, false),
            ));
        }
    }
    write(path, &shown, &text)?;
    Ok(Output::new(
        View::Text {
            text: format!("{}\n\nWrote {shown}.", report.trim_end()),
        },
        data(path, &remote, &sets, false, true),
    ))
}

fn write(path: &Path, shown: &str, text: &str) -> Result<(), PluginError> {
    files::write_atomic(path, text.as_bytes(), None).map_err(|e| {
        PluginError::failed_with_hint(
            format!("could not write {shown}: {e}"),
            "the previous file, if any, is unchanged; check the directory's permissions and free space",
        )
    })
}

/// The `commet pull` handler.
pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let cwd = std::env::current_dir()
        .map_err(|e| PluginError::failed(format!("cannot read the current directory: {e}")))?;
    let path = files::locate_config(&cwd);
    pull_into(
        &ctx.host,
        &path,
        &cwd,
        PullOptions {
            dry_run: ctx.flag("dry-run"),
            yes: ctx.flag("yes"),
        },
    )
}
