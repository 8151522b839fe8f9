//! The host's built-in commands, one file each.

pub mod completion;
pub mod plugins;

use clap::{ArgMatches, Command};
use commet_sdk::wire::Output;

use crate::error::CliResult;
use crate::plugins::Registry;

/// Global settings every built-in command may need.
pub struct Env<'a> {
    pub registry: &'a Registry,
    pub api_url: Option<String>,
}

pub fn builtin_commands() -> Vec<Command> {
    vec![plugins::command(), completion::command()]
}

/// Runs a built-in command, or returns `None` when `name` is not one.
pub fn run_builtin(name: &str, matches: &ArgMatches, env: &Env<'_>) -> Option<CliResult<Output>> {
    Some(match name {
        "plugins" => plugins::run(env.registry, matches),
        "completion" => completion::run(env.registry, matches),
        _ => return None,
    })
}
