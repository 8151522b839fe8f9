//! `commet plugins list|info|install|remove`.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command};
use commet_sdk::wire::{Column, Output, View};
use serde_json::{json, Value};

use crate::error::{CliError, CliResult};
use crate::paths;
use crate::plugins::{discover, load, Record, Registry, Status};

pub fn command() -> Command {
    Command::new("plugins")
        .about("List, inspect, install and remove plugins")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("list")
                .about("Show every plugin found, with its version, groups, status and file")
                .after_help("Examples:\n  $ commet plugins list\n  $ commet plugins list --output agent"),
        )
        .subcommand(
            Command::new("info")
                .about("Show one plugin's details and commands")
                .arg(Arg::new("name").required(true).value_name("NAME").help("Plugin name (or file path)"))
                .after_help("Examples:\n  $ commet plugins info customers"),
        )
        .subcommand(
            Command::new("install")
                .about("Check a plugin library and copy it into ~/.commet/plugins")
                .arg(Arg::new("file").required(true).value_name("FILE").help("Path to the plugin library (libcommet_plugin_<name>.so)"))
                .after_help("Examples:\n  $ commet plugins install ./target/release/libcommet_plugin_notes.so"),
        )
        .subcommand(
            Command::new("remove")
                .about("Delete a plugin installed in ~/.commet/plugins")
                .arg(Arg::new("name").required(true).value_name("NAME").help("Plugin name"))
                .after_help("Examples:\n  $ commet plugins remove notes"),
        )
        .after_help(format!(
            "Plugins are loaded from, in order: COMMET_PLUGIN_PATH, the project's .commet/plugins/, \
             ~/.commet/plugins/, and the directory of the commet executable (and its plugins/). \
             Only files named {} are considered.",
            discover::file_name_for("<name>")
        ))
}

pub fn run(registry: &Registry, matches: &ArgMatches) -> CliResult<Output> {
    match matches.subcommand() {
        Some(("list", _)) => Ok(list(registry)),
        Some(("info", m)) => info(registry, arg(m, "name")?),
        Some(("install", m)) => install(Path::new(arg(m, "file")?)),
        Some(("remove", m)) => remove(registry, arg(m, "name")?),
        _ => Err(CliError::usage(
            "unknown plugins command; see `commet plugins --help`",
        )),
    }
}

fn arg<'a>(m: &'a ArgMatches, name: &str) -> CliResult<&'a str> {
    m.get_one::<String>(name)
        .map(String::as_str)
        .ok_or_else(|| CliError::usage(format!("<{}> is required", name.to_uppercase())))
}

fn status_text(record: &Record) -> String {
    match &record.status {
        Status::Active if record.lost_groups.is_empty() => "ok".into(),
        Status::Active => format!("ok (clashes on {})", record.lost_groups.join(", ")),
        Status::Shadowed { by } => format!("shadowed by {}", by.display()),
        Status::Broken { reason, .. } => format!("error: {reason}"),
    }
}

fn record_json(record: &Record) -> Value {
    let manifest = record.manifest.as_ref();
    json!({
        "name": record.name(),
        "version": manifest.map(|m| m.version.clone()),
        "groups": manifest.map(|m| m.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>()).unwrap_or_default(),
        "status": status_text(record),
        "ok": matches!(record.status, Status::Active),
        "origin": record.origin.to_string(),
        "path": record.path.display().to_string(),
    })
}

fn list(registry: &Registry) -> Output {
    let rows: Vec<Value> = registry.records.iter().map(record_json).collect();
    Output::new(
        View::Table {
            columns: vec![
                Column::new("name", "NAME"),
                Column::new("version", "VERSION"),
                Column::new("groups", "GROUPS"),
                Column::new("status", "STATUS"),
                Column::new("path", "PATH"),
            ],
        },
        Value::Array(rows),
    )
}

fn info(registry: &Registry, name: &str) -> CliResult<Output> {
    let record = registry.find(name).ok_or_else(|| {
        CliError::failed(format!("no plugin named `{name}` was found"))
            .with_hint("run `commet plugins list` to see the plugins and where they were found")
    })?;
    let mut data = record_json(record);
    if let Some(m) = &record.manifest {
        data["description"] = json!(m.description);
        data["hostRequirement"] = json!(m.host_requirement);
        data["sdkVersion"] = json!(m.sdk_version);
        data["commands"] = Value::Array(
            m.groups
                .iter()
                .flat_map(|g| {
                    g.actions.iter().map(move |a| {
                        let command = if g.standalone {
                            g.name.clone()
                        } else {
                            format!("{} {}", g.name, a.name)
                        };
                        json!({ "command": command, "about": a.about })
                    })
                })
                .collect(),
        );
    }
    if let Status::Broken { advice, .. } = &record.status {
        data["advice"] = json!(advice);
    }
    Ok(Output::new(View::Object, data))
}

fn user_plugin_dir() -> CliResult<PathBuf> {
    paths::commet_home()
        .map(|h| h.join("plugins"))
        .ok_or_else(|| CliError::failed("no home directory: cannot find ~/.commet/plugins"))
}

fn install(file: &Path) -> CliResult<Output> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if !discover::is_plugin_file(name) {
        return Err(CliError::usage(format!(
            "{} is not named like a plugin library",
            file.display()
        ))
        .with_hint(format!(
            "plugin files are named {}",
            discover::file_name_for("<name>")
        )));
    }
    let (_, manifest) = load::inspect(file).map_err(|e| {
        CliError::failed(format!("{} cannot be installed: {e}", file.display()))
            .with_hint(e.advice())
    })?;
    let dir = user_plugin_dir()?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::failed(format!("could not create {}: {e}", dir.display())))?;
    let dest = dir.join(name);
    // Copy beside the target and rename, so a running commet never sees a
    // half-written library.
    let tmp = dir.join(format!(".{name}.partial"));
    std::fs::copy(file, &tmp)
        .and_then(|_| std::fs::rename(&tmp, &dest))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CliError::failed(format!("could not copy to {}: {e}", dest.display()))
        })?;
    Ok(Output::new(
        View::Message {
            text: format!(
                "Installed {} {} ({}) to {}",
                manifest.name,
                manifest.version,
                manifest
                    .groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                dest.display()
            ),
        },
        json!({"name": manifest.name, "version": manifest.version, "path": dest.display().to_string()}),
    ))
}

fn remove(registry: &Registry, name: &str) -> CliResult<Output> {
    let dir = user_plugin_dir()?;
    let path = dir.join(discover::file_name_for(name));
    let path = if path.exists() {
        path
    } else {
        match registry.find(name) {
            Some(r) if r.path.starts_with(&dir) => r.path.clone(),
            Some(r) => {
                return Err(CliError::failed(format!(
                    "plugin `{name}` is at {}, which `commet plugins remove` does not manage",
                    r.path.display()
                ))
                .with_hint(
                    "only plugins in ~/.commet/plugins are removed; delete other files yourself",
                ))
            }
            None => {
                return Err(
                    CliError::failed(format!("no plugin `{name}` in {}", dir.display()))
                        .with_hint("run `commet plugins list` to see installed plugins"),
                )
            }
        }
    };
    std::fs::remove_file(&path)
        .map_err(|e| CliError::failed(format!("could not delete {}: {e}", path.display())))?;
    Ok(Output::new(
        View::Message {
            text: format!("Removed {}", path.display()),
        },
        json!({"removed": path.display().to_string()}),
    ))
}
