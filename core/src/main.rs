//! `commet`: the host binary. It owns argument parsing, credentials, HTTP,
//! output and plugin management; every resource command comes from a plugin.

mod api;
mod auth;
mod cli;
mod commands;
mod error;
mod output;
mod paths;
mod plugins;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::ArgMatches;
use commet_sdk::wire::Output;
use serde_json::{Map, Value};

use cli::Focus;
use error::{CliError, CliResult, EXIT_OK};
use output::{progress::Spinner, Format, Renderer};
use plugins::{host_context::Services, Registry};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let scan = cli::prescan(&args);
    init_logging(scan.verbose);
    let early_format = if scan.format_agent {
        Format::Agent
    } else {
        Format::Human
    };

    let registry = Registry::discover();
    let early = Renderer::new(early_format);
    for warning in registry.warnings() {
        early.warning(&warning);
    }

    let focus = match scan.command.as_deref() {
        Some("completion") => Focus::All,
        Some(word) => Focus::Group(word),
        None => Focus::None,
    };
    let matches = match cli::root(&registry, focus).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => return clap_error(e, &early),
    };
    let format = matches
        .get_one::<Format>("output")
        .copied()
        .unwrap_or(early_format);
    let renderer = Renderer::new(format);

    match dispatch(&matches, &registry, &renderer) {
        Ok(output) => {
            renderer.success(&output);
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            renderer.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(matches: &ArgMatches, registry: &Registry, renderer: &Renderer) -> CliResult<Output> {
    let api_url = matches.get_one::<String>("api-url").cloned();
    let Some((name, sub)) = matches.subcommand() else {
        return Err(CliError::usage("no command given; run `commet --help`"));
    };
    let env = commands::Env {
        registry,
        api_url: api_url.clone(),
        spinner_allowed: renderer.spinner_allowed(),
    };
    if let Some(result) = commands::run_builtin(name, sub, &env) {
        return result;
    }

    let (record, group) = registry.owner(name).ok_or_else(|| {
        CliError::usage(format!("unknown command `{name}`"))
            .with_hint("run `commet --help` to see the available commands")
    })?;
    let (action, action_matches) = if group.standalone {
        (group.actions.first(), sub)
    } else {
        match sub.subcommand() {
            Some((action_name, action_matches)) => (
                group.actions.iter().find(|a| a.name == action_name),
                action_matches,
            ),
            None => (None, sub),
        }
    };
    let action = action.ok_or_else(|| {
        CliError::usage(format!("`{name}` needs a command"))
            .with_hint(format!("run `commet {name} --help` to see its commands"))
    })?;
    let mut args: Map<String, Value> = cli::tree::collect_args(action, action_matches)?;
    // Long-running commands print as they go and need to know the mode;
    // flag names cannot start with `$`, so this never collides.
    let mode = if renderer.format == Format::Agent {
        "agent"
    } else {
        "human"
    };
    args.insert(commet_sdk::context::OUTPUT_ARG.into(), Value::from(mode));
    let command = if group.standalone {
        vec![group.name.clone()]
    } else {
        vec![group.name.clone(), action.name.clone()]
    };

    let spinner = Spinner::new(renderer.spinner_allowed());
    let config = plugin_config(&record.name());
    let services = Services::new(api_url, spinner, config);
    if action.needs_api {
        // Fail before loading the plugin when no credentials exist at all.
        services.client()?;
    }
    plugins::run::run_command(record, &command, &args, &services)
}

/// The plugin's section of `~/.commet/config.json` (`{"plugins":{"<name>":{...}}}`).
fn plugin_config(name: &str) -> String {
    let section = paths::commet_home()
        .and_then(|h| std::fs::read(h.join("config.json")).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| v.get("plugins")?.get(name).cloned())
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::Object(Map::new()));
    section.to_string()
}

fn clap_error(e: clap::Error, renderer: &Renderer) -> ExitCode {
    use clap::error::ErrorKind;
    let is_display = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if is_display || renderer.format == Format::Human {
        let _ = e.print();
        return ExitCode::from(e.exit_code() as u8);
    }
    // Agents get the same message as JSON.
    let text = e.render().to_string();
    let message = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ")
        .to_owned();
    let err = CliError::usage(message).with_hint("run the command with --help to see its flags");
    renderer.error(&err);
    ExitCode::from(err.exit_code())
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match verbose {
        0 => "warn",
        1 => "commet=info,plugin=info,warn",
        2 => "commet=debug,plugin=debug,warn",
        _ => "trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}
