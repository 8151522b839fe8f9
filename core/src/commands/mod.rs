//! The host's built-in commands, one file each.

pub mod completion;
pub mod link;
pub mod login;
pub mod plugins;

use clap::{ArgMatches, Command};
use commet_sdk::wire::Output;

use crate::error::CliResult;
use crate::output::progress::Spinner;
use crate::plugins::host_context::Services;
use crate::plugins::Registry;

/// Global settings every built-in command may need.
pub struct Env<'a> {
    pub registry: &'a Registry,
    pub api_url: Option<String>,
    pub spinner_allowed: bool,
}

impl Env<'_> {
    /// API access for built-in commands (created on first use).
    fn services(&self) -> Services {
        Services::new(
            self.api_url.clone(),
            Spinner::new(self.spinner_allowed),
            "{}".into(),
        )
    }
}

pub fn builtin_commands() -> Vec<Command> {
    vec![
        login::login_command(),
        login::logout_command(),
        link::link_command(),
        link::orgs_command(),
        plugins::command(),
        completion::command(),
    ]
}

/// Runs a built-in command, or returns `None` when `name` is not one.
pub fn run_builtin(name: &str, matches: &ArgMatches, env: &Env<'_>) -> Option<CliResult<Output>> {
    Some(match name {
        "plugins" => plugins::run(env.registry, matches),
        "completion" => completion::run(env.registry, matches),
        "login" => login::login(env, matches, &env.services()),
        "logout" => login::logout(),
        "link" => link::link(matches, &env.services()),
        "orgs" => link::orgs(&env.services()),
        _ => return None,
    })
}
