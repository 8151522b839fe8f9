//! Building clap commands from plugin schemas, and reading typed arguments
//! back out of the parse.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, ArgMatches, Command};
use commet_sdk::schema::{ActionSchema, FlagKind, FlagSchema, GroupSchema};
use serde_json::{Map, Value};

use super::values::parse_value;
use crate::error::{CliError, CliResult};

/// A group with its actions (or, for a standalone group, its flags).
pub fn group_command(group: &GroupSchema) -> Command {
    let mut cmd = Command::new(group.name.clone())
        .about(group.about.clone())
        .visible_aliases(group.aliases.clone());
    if group.standalone {
        if let Some(action) = group.actions.first() {
            cmd = with_action(cmd, action, &[group.name.as_str()]);
        }
        return cmd;
    }
    cmd = cmd.subcommand_required(true).arg_required_else_help(true);
    for action in &group.actions {
        let sub = Command::new(action.name.clone())
            .about(action.about.clone())
            .visible_aliases(action.aliases.clone());
        cmd = cmd.subcommand(with_action(
            sub,
            action,
            &[group.name.as_str(), action.name.as_str()],
        ));
    }
    cmd
}

/// A group listed by name only (for top-level help when another group is
/// being run, so its actions need not be built).
pub fn group_stub(group: &GroupSchema) -> Command {
    Command::new(group.name.clone())
        .about(group.about.clone())
        .visible_aliases(group.aliases.clone())
}

fn with_action(mut cmd: Command, action: &ActionSchema, path: &[&str]) -> Command {
    if let Some(long) = &action.long_about {
        cmd = cmd.long_about(format!("{}\n\n{long}", action.about));
    }
    for (i, positional) in action.positionals.iter().enumerate() {
        cmd = cmd.arg(positional_arg(positional, i + 1));
    }
    for flag in &action.flags {
        cmd = cmd.arg(flag_arg(flag));
    }
    let mut help = String::new();
    if !action.one_of.is_empty() {
        help.push_str(&format!("Requires {}\n", describe_one_of(&action.one_of)));
    }
    if !action.examples.is_empty() {
        if !help.is_empty() {
            help.push('\n');
        }
        help.push_str("Examples:\n");
        for ex in &action.examples {
            if !ex.description.is_empty() {
                help.push_str(&format!("  # {}\n", ex.description));
            }
            help.push_str(&format!("  $ {}\n", ex.command));
        }
    } else {
        help.push_str(&format!("Example:\n  $ commet {}\n", path.join(" ")));
    }
    cmd.after_help(help)
}

fn value_name(flag: &FlagSchema) -> String {
    flag.value_name
        .clone()
        .unwrap_or_else(|| flag.kind.default_value_name().to_owned())
}

fn help_text(flag: &FlagSchema) -> String {
    let mut help = flag.help.clone();
    if let Some(default) = &flag.default {
        let shown = default
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| default.to_string());
        help.push_str(&format!(" [default: {shown}]"));
    }
    match flag.kind {
        FlagKind::Json | FlagKind::JsonObject | FlagKind::JsonArray => {
            help.push_str(" (JSON, or @file.json)")
        }
        FlagKind::Bool => help.push_str(" (true/false; bare flag = true)"),
        _ => {}
    }
    help
}

fn with_parser(arg: Arg, flag: &FlagSchema) -> Arg {
    let kind = flag.kind;
    match kind {
        FlagKind::Switch => arg.action(ArgAction::SetTrue),
        FlagKind::Enum => {
            arg.value_parser(PossibleValuesParser::new(flag.values.clone()).map(Value::String))
        }
        _ => arg.value_parser(move |raw: &str| parse_value(kind, raw)),
    }
}

fn flag_arg(flag: &FlagSchema) -> Arg {
    let mut arg = Arg::new(flag.name.clone())
        .long(flag.name.clone())
        .help(help_text(flag))
        .required(flag.required)
        .hide(flag.hidden);
    if !flag.aliases.is_empty() {
        arg = arg.visible_aliases(flag.aliases.clone());
    }
    if let Some(c) = flag.short {
        arg = arg.short(c);
    }
    if flag.kind != FlagKind::Switch {
        arg = arg.value_name(value_name(flag));
    }
    if flag.kind == FlagKind::Bool {
        arg = arg.num_args(0..=1).default_missing_value("true");
    }
    if flag.list {
        arg = arg.value_delimiter(',').action(ArgAction::Append);
    }
    with_parser(arg, flag)
}

fn positional_arg(flag: &FlagSchema, index: usize) -> Arg {
    let arg = Arg::new(flag.name.clone())
        .index(index)
        .help(help_text(flag))
        .required(flag.required)
        .value_name(value_name(flag).to_uppercase());
    with_parser(arg, flag)
}

/// The validated arguments of an action, keyed by flag name, with defaults
/// filled in and "one of these combinations" rules checked.
pub fn collect_args(action: &ActionSchema, matches: &ArgMatches) -> CliResult<Map<String, Value>> {
    let mut args = Map::new();
    for flag in action.positionals.iter().chain(&action.flags) {
        let value = if flag.kind == FlagKind::Switch {
            Some(Value::Bool(matches.get_flag(&flag.name)))
        } else if flag.list {
            matches
                .get_many::<Value>(&flag.name)
                .map(|vals| Value::Array(vals.cloned().collect()))
        } else {
            matches.get_one::<Value>(&flag.name).cloned()
        };
        if let Some(v) = value.or_else(|| flag.default.clone()) {
            args.insert(flag.name.clone(), v);
        }
    }
    check_one_of(action, matches)?;
    Ok(args)
}

fn check_one_of(action: &ActionSchema, matches: &ArgMatches) -> CliResult<()> {
    if action.one_of.is_empty() {
        return Ok(());
    }
    let present = |name: &str| {
        matches
            .value_source(name)
            .is_some_and(|s| s == clap::parser::ValueSource::CommandLine)
    };
    if action
        .one_of
        .iter()
        .any(|set| set.iter().all(|n| present(n)))
    {
        return Ok(());
    }
    let mut err = CliError::usage(format!(
        "`{}` needs {}",
        action.name,
        describe_one_of(&action.one_of)
    ));
    if let Some(example) = action.examples.first() {
        err = err.with_hint(format!("for example: {}", example.command));
    }
    Err(err)
}

/// Says which flags a "one of these combinations" rule needs, as briefly as
/// possible: combinations that contain a smaller one are left out (the
/// smaller one already suffices) and flags every combination shares are said
/// once, e.g. "--plan-id or --plan-code (with --customer-id)".
pub fn describe_one_of(sets: &[Vec<String>]) -> String {
    let minimal: Vec<&Vec<String>> = sets
        .iter()
        .filter(|set| {
            !sets
                .iter()
                .any(|other| other.len() < set.len() && other.iter().all(|f| set.contains(f)))
        })
        .collect();
    let common: Vec<&String> = minimal
        .first()
        .map(|first| {
            first
                .iter()
                .filter(|f| minimal.iter().all(|set| set.contains(f)))
                .collect()
        })
        .unwrap_or_default();
    let flags = |names: Vec<&String>| {
        names
            .iter()
            .map(|n| format!("--{n}"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let alternatives: Vec<String> = minimal
        .iter()
        .map(|set| flags(set.iter().filter(|f| !common.contains(f)).collect()))
        .filter(|text| !text.is_empty())
        .collect();
    match (alternatives.is_empty(), common.is_empty()) {
        (true, _) => flags(common),
        (false, true) => alternatives.join(" or "),
        (false, false) => format!("{} (with {})", alternatives.join(" or "), flags(common)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commet_sdk::schema::Example;

    fn sets(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|s| s.iter().map(|x| (*x).to_owned()).collect())
            .collect()
    }

    #[test]
    fn one_of_descriptions_are_short() {
        assert_eq!(
            describe_one_of(&sets(&[
                &["customer-id", "plan-id"],
                &["customer-id", "plan-code"],
                &["customer-id", "offer-id", "plan-id"],
            ])),
            "--plan-id or --plan-code (with --customer-id)"
        );
        assert_eq!(
            describe_one_of(&sets(&[&["value"], &["model"]])),
            "--value or --model"
        );
        assert_eq!(
            describe_one_of(&sets(&[
                &["billing-interval", "price"],
                &[
                    "billing-interval",
                    "inherits-from-price-id",
                    "market-prices"
                ]
            ])),
            "--price or --inherits-from-price-id + --market-prices (with --billing-interval)"
        );
        assert_eq!(describe_one_of(&sets(&[&["a", "b"]])), "--a + --b");
    }

    fn flag(name: &str, kind: FlagKind) -> FlagSchema {
        FlagSchema {
            name: name.into(),
            short: None,
            aliases: vec![],
            kind,
            required: false,
            help: String::new(),
            value_name: None,
            default: None,
            values: vec![],
            list: false,
            hidden: false,
        }
    }

    fn action() -> ActionSchema {
        let mut req = flag("customer-id", FlagKind::String);
        req.required = true;
        let mut events = flag("events", FlagKind::String);
        events.list = true;
        let mut count = flag("count", FlagKind::Integer);
        count.default = Some(Value::from(1));
        ActionSchema {
            name: "track".into(),
            about: "Track".into(),
            long_about: None,
            aliases: vec![],
            flags: vec![
                req,
                flag("value", FlagKind::Number),
                flag("model", FlagKind::String),
                flag("skip", FlagKind::Bool),
                events,
                count,
            ],
            positionals: vec![],
            one_of: vec![vec!["value".into()], vec!["model".into()]],
            examples: vec![Example {
                command: "commet usage track --value 1".into(),
                description: String::new(),
            }],
            writes: true,
            needs_api: true,
        }
    }

    fn parse(argv: &[&str]) -> Result<ArgMatches, clap::Error> {
        let group = GroupSchema {
            name: "usage".into(),
            about: String::new(),
            aliases: vec![],
            standalone: false,
            actions: vec![action()],
        };
        let mut full = vec!["track"];
        full.extend_from_slice(argv);
        group_command(&group)
            .no_binary_name(true)
            .try_get_matches_from(full)
            .map(|m| m.subcommand().unwrap().1.clone())
    }

    #[test]
    fn typed_values_defaults_and_lists() {
        let m = parse(&[
            "--customer-id",
            "c1",
            "--value",
            "3",
            "--skip",
            "--events",
            "a,b",
        ])
        .unwrap();
        let args = collect_args(&action(), &m).unwrap();
        assert_eq!(args["value"], Value::from(3));
        assert_eq!(args["skip"], Value::Bool(true));
        assert_eq!(args["events"], serde_json::json!(["a", "b"]));
        assert_eq!(args["count"], Value::from(1));
        assert!(!args.contains_key("model"));
    }

    #[test]
    fn type_errors_name_the_flag() {
        let err = parse(&["--customer-id", "c1", "--value", "lots"]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--value"), "{text}");
        assert!(text.contains("expected a number"), "{text}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn missing_required_flag_is_reported() {
        let err = parse(&["--value", "1"]).unwrap_err();
        assert!(err.to_string().contains("--customer-id"));
    }

    #[test]
    fn one_of_rule_is_enforced() {
        let m = parse(&["--customer-id", "c1"]).unwrap();
        let err = collect_args(&action(), &m).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--value"));
        assert!(err.to_string().contains("--model"));
        let m = parse(&["--customer-id", "c1", "--model", "gpt"]).unwrap();
        assert!(collect_args(&action(), &m).is_ok());
    }
}
