//! `commet pull` and `commet push`: keep `commet.config.ts`, the project's
//! billing configuration in code, in sync with the organization on Commet.
//!
//! - [`literal`] reads the object given to `defineConfig(...)`;
//! - [`validate`] checks it and builds a [`model::Config`];
//! - [`render`] writes a configuration back as TypeScript;
//! - [`diff`] compares the file with the organization;
//! - [`pull`] and [`push`] are the two commands.

pub mod diff;
pub mod files;
pub mod literal;
pub mod model;
pub mod prompt;
pub mod pull;
pub mod push;
pub mod remote;
pub mod render;
pub mod validate;

use commet_sdk::prelude::*;

use crate::model::Config;

/// Why a configuration file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    Syntax(literal::ParseError),
    Invalid(Vec<validate::Problem>),
}

impl LoadError {
    /// One line: the first problem and how many more there are.
    pub fn summary(&self, file: &str) -> String {
        match self {
            LoadError::Syntax(e) => format!("{file}:{e}"),
            LoadError::Invalid(problems) => match problems.as_slice() {
                [] => format!("{file} is not a valid configuration"),
                [one] => format!("{file}:{one}"),
                [first, rest @ ..] => format!("{file}:{first} (and {} more)", rest.len()),
            },
        }
    }

    /// The error `push` reports: every problem on its own line, each with the
    /// file, line and column, and the path in the configuration.
    pub fn into_error(self, file: &str) -> PluginError {
        match self {
            LoadError::Syntax(e) => PluginError::failed_with_hint(
                format!("{file}:{e}"),
                format!("fix the syntax of {file}; it must hold `export default defineConfig({{ features: {{...}}, plans: {{...}} }})` with plain values"),
            ),
            LoadError::Invalid(problems) => {
                let lines: Vec<String> = problems.iter().map(|p| format!("  {file}:{p}")).collect();
                PluginError::failed_with_hint(
                    format!(
                        "{file} has {} problem{}:\n{}",
                        problems.len(),
                        if problems.len() == 1 { "" } else { "s" },
                        lines.join("\n")
                    ),
                    format!("fix them in {file} and run the command again; nothing was sent"),
                )
            }
        }
    }
}

/// Parses and checks the text of a `commet.config.ts`.
pub fn load(text: &str) -> Result<Config, LoadError> {
    let node = literal::parse_module(text).map_err(LoadError::Syntax)?;
    validate::config(&node).map_err(LoadError::Invalid)
}

fn pull_command() -> Action {
    Action::custom(
        "pull",
        "Write commet.config.ts from your organization's features and plans",
        pull::run,
    )
    .long_about(
        "Reads every feature and plan (private plans too) of the organization and writes them to \
         commet.config.ts in the current directory, or in the project root when the current \
         directory has none. The file is generated the same way every time, so it diffs cleanly \
         in code review. When the file already exists, pull lists what would change and asks \
         before overwriting it; without a terminal it needs --yes.",
    )
    .flag(Flag::switch("dry-run").help("Show what would change without writing any file"))
    .flag(
        Flag::switch("yes")
            .short('y')
            .help("Overwrite an existing commet.config.ts without asking"),
    )
    .example("commet pull", "Write or refresh commet.config.ts")
    .example(
        "commet pull --dry-run",
        "Only list what would change in the file",
    )
    .example(
        "commet pull --yes",
        "Overwrite without a confirmation (CI, scripts)",
    )
    .example(
        "commet pull --dry-run --output agent",
        "The changes as JSON: added, changed and removed features and plans",
    )
}

fn push_command() -> Action {
    Action::custom(
        "push",
        "Create or update features and plans on Commet to match commet.config.ts",
        push::run,
    )
    .long_about(
        "Checks commet.config.ts (every problem is reported with its line), compares it with the \
         organization and lists the features and plans that would be created, updated or stay \
         unchanged; then asks before applying them. Push never deletes anything, and never changes \
         a feature's type: do that in the dashboard. The file is the desired state: a description, \
         unit name or consumption model left out is cleared, and a plan's prices and (when listed) \
         features are made to match exactly; a plan's sortOrder, defaultInterval and features are \
         kept as they are when the file leaves them out.",
    )
    .flag(Flag::switch("dry-run").help("Show what would change on Commet without pushing"))
    .flag(
        Flag::switch("yes")
            .short('y')
            .help("Push without asking for confirmation"),
    )
    .example("commet push", "Review the changes, confirm, and apply them")
    .example(
        "commet push --dry-run",
        "Only show what would change on Commet",
    )
    .example(
        "commet push --yes",
        "Apply without a confirmation (CI, scripts)",
    )
    .writes(true)
}

fn plugin() -> Plugin {
    Plugin::new("config", env!("CARGO_PKG_VERSION"))
        .description("pull and push: commet.config.ts, your billing catalog in code")
        .group(Group::standalone(pull_command()))
        .group(Group::standalone(push_command()))
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_declares_two_standalone_commands() {
        let manifest = plugin().manifest();
        let names: Vec<&str> = manifest.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["pull", "push"]);
        for g in &manifest.groups {
            assert!(g.standalone);
            let action = &g.actions[0];
            assert!(action.examples.len() >= 3);
            let flags: Vec<&str> = action.flags.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(flags, ["dry-run", "yes"]);
            assert_eq!(action.flags[1].short, Some('y'));
        }
    }

    #[test]
    fn load_errors_name_the_file_line_and_path() {
        let err = load(
            "export default defineConfig({\n  plans: { pro: { name: 'Pro', prices: 3 } },\n})",
        )
        .unwrap_err();
        assert_eq!(
            err.summary("commet.config.ts"),
            "commet.config.ts:2:40: plans.pro.prices: expected an array of prices, found a number"
        );
        let PluginError::Failed { message, hint } = err.into_error("commet.config.ts") else {
            panic!("expected a Failed error");
        };
        assert!(message.contains("1 problem:"), "{message}");
        assert!(hint.unwrap_or_default().contains("nothing was sent"));

        let err = load("export default defineConfig({\n  features: {\n    a: { name: 'A' }\n    b: {},\n  },\n})")
            .unwrap_err();
        assert_eq!(
            err.summary("commet.config.ts"),
            "commet.config.ts:4:5: expected `,` or `}` after the value of `a`, found `b`"
        );
    }
}
