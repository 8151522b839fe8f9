//! `commet completion <shell>`: a completion script for the current set of
//! plugins.

use clap::{Arg, ArgMatches, Command};
use clap_complete::Shell;
use commet_sdk::wire::{Output, View};
use serde_json::json;

use crate::cli::{self, Focus};
use crate::error::{CliError, CliResult};
use crate::plugins::Registry;

pub fn command() -> Command {
    Command::new("completion")
        .about("Print a shell completion script (covers the plugins installed now)")
        .arg(
            Arg::new("shell")
                .required(true)
                .value_name("SHELL")
                .value_parser(clap::value_parser!(Shell))
                .help("bash, zsh, fish, elvish or powershell"),
        )
        .after_help(
            "Examples:\n  # Load completions in the current bash session\n  $ source <(commet completion bash)\n  $ commet completion zsh > ~/.zfunc/_commet",
        )
}

pub fn run(registry: &Registry, matches: &ArgMatches) -> CliResult<Output> {
    let shell = *matches
        .get_one::<Shell>("shell")
        .ok_or_else(|| CliError::usage("<SHELL> is required"))?;
    let mut cmd = cli::root(registry, Focus::All);
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "commet", &mut buf);
    let script = String::from_utf8_lossy(&buf).into_owned();
    Ok(Output::new(
        View::Text {
            text: script.clone(),
        },
        json!({ "shell": shell.to_string(), "script": script }),
    ))
}
