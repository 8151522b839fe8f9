//! The command line: global flags, built-in commands, and the plugin groups.

pub mod tree;
pub mod values;

use std::ffi::OsString;

use clap::{Arg, ArgAction, Command};

use crate::output::Format;
use crate::plugins::Registry;

/// Built-in commands the host owns (everything else comes from plugins).
pub const BUILTINS: &[&str] = &["plugins", "completion", "login", "logout", "link", "orgs"];

const ABOUT: &str = "Manage Commet billing from the terminal";

const AFTER_HELP: &str = "\
Environment:
  COMMET_API_KEY       API key to use (takes precedence over linked projects and logins)
  COMMET_API_URL       Server origin to talk to (same as --api-url)
  COMMET_ENVIRONMENT   production (default), sandbox, or local (the local sandbox)
  COMMET_PLUGIN_PATH   Extra plugin directories, separated by ':'
  NO_COLOR             Disable colour

Get started offline:
  $ commet sandbox start --detach
  $ COMMET_ENVIRONMENT=local commet customers create --email ada@example.com

Run `commet <command> --help` for the flags and examples of any command.";

const GLOBAL: &str = "Global options";

/// Global flags, available on every command.
fn global_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("output")
            .long("output")
            .short('o')
            .global(true)
            .help_heading(GLOBAL)
            .value_name("FORMAT")
            .value_parser(clap::value_parser!(Format))
            .default_value("human")
            .help("Output format: human (tables) or agent (one JSON document)"),
    )
    .arg(
        Arg::new("api-url")
            .long("api-url")
            .global(true)
            .help_heading(GLOBAL)
            .value_name("URL")
            .env("COMMET_API_URL")
            .help("Server origin, e.g. http://127.0.0.1:4242 (overrides COMMET_ENVIRONMENT)"),
    )
    .arg(
        Arg::new("verbose")
            .long("verbose")
            .short('v')
            .global(true)
            .help_heading(GLOBAL)
            .action(ArgAction::Count)
            .help("Log what happens to stderr (-vv for more); secrets are never shown"),
    )
}

/// Builds the command tree. Only the group named by `focus` is built in
/// full; the others are listed by name so top-level help stays complete
/// without building every action of every plugin.
pub fn root(registry: &Registry, focus: Focus<'_>) -> Command {
    let mut cmd = Command::new("commet")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .after_help(AFTER_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .propagate_version(true)
        .max_term_width(120);
    cmd = global_args(cmd);
    for sub in crate::commands::builtin_commands() {
        cmd = cmd.subcommand(sub);
    }
    for (_, group) in registry.groups() {
        if BUILTINS.contains(&group.name.as_str()) {
            continue;
        }
        let full = match focus {
            Focus::All => true,
            Focus::Group(name) => group.name == name || group.aliases.iter().any(|a| a == name),
            Focus::None => false,
        };
        cmd = cmd.subcommand(if full {
            tree::group_command(group)
        } else {
            tree::group_stub(group)
        });
    }
    cmd
}

/// Which part of the tree this run needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus<'a> {
    All,
    Group(&'a str),
    None,
}

/// What the raw arguments say before clap parses them: the output format
/// (so even parse errors can be JSON), verbosity, and the first command word.
#[derive(Debug, Default)]
pub struct PreScan {
    pub format_agent: bool,
    pub verbose: u8,
    pub command: Option<String>,
}

pub fn prescan(args: &[OsString]) -> PreScan {
    let mut scan = PreScan::default();
    let mut iter = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = iter.next() {
        match arg {
            "--output" | "-o" => {
                if let Some(v) = iter.next() {
                    scan.format_agent = v == "agent";
                }
            }
            "--api-url" => {
                iter.next();
            }
            "--verbose" => scan.verbose += 1,
            "--" => break,
            _ if arg.starts_with("--output=") => scan.format_agent = arg.ends_with("=agent"),
            _ if arg.starts_with("-o") && arg.len() > 2 && !arg.starts_with("--") => {
                scan.format_agent = &arg[2..] == "agent" || &arg[2..] == "=agent";
            }
            _ if arg.starts_with('-')
                && !arg.starts_with("--")
                && arg[1..].chars().all(|c| c == 'v') =>
            {
                scan.verbose += (arg.len() - 1) as u8;
            }
            _ if arg.starts_with('-') => {}
            word => {
                if scan.command.is_none() {
                    scan.command = Some(word.to_owned());
                }
            }
        }
    }
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn prescan_finds_format_verbosity_and_command() {
        let s = prescan(&os(&[
            "commet",
            "-vv",
            "--output",
            "agent",
            "customers",
            "list",
        ]));
        assert!(s.format_agent);
        assert_eq!(s.verbose, 2);
        assert_eq!(s.command.as_deref(), Some("customers"));
        let s = prescan(&os(&[
            "commet",
            "--api-url",
            "http://x",
            "plans",
            "--output=agent",
        ]));
        assert_eq!(s.command.as_deref(), Some("plans"));
        assert!(s.format_agent);
    }
}
