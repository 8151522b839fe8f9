//! The command schema a plugin publishes, as it crosses the boundary (JSON).
//!
//! The host builds its argument parser from this and validates every value
//! before the plugin runs, so plugins only ever see well-typed arguments.
//! Fields are added with `#[serde(default)]` so older hosts and plugins keep
//! reading each other's documents.

use serde::{Deserialize, Serialize};

/// What a plugin library declares about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginManifest {
    /// Short name, e.g. `customers`.
    pub name: String,
    /// The plugin's own semver version.
    pub version: String,
    /// Semver requirement on the host version, e.g. `>=0.1.0, <0.2.0`.
    pub host_requirement: String,
    /// The SDK (ABI) version the plugin was built with.
    pub sdk_version: String,
    #[serde(default)]
    pub description: String,
    pub groups: Vec<GroupSchema>,
}

/// A top-level command group (`commet <group> ...`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSchema {
    pub name: String,
    pub about: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// When set, the group itself is the command (`commet listen 3000`) and
    /// `actions` holds exactly one action whose name is the group's.
    #[serde(default)]
    pub standalone: bool,
    pub actions: Vec<ActionSchema>,
}

/// One command (`commet <group> <action>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionSchema {
    pub name: String,
    pub about: String,
    #[serde(default)]
    pub long_about: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub flags: Vec<FlagSchema>,
    /// Positional arguments, in order.
    #[serde(default)]
    pub positionals: Vec<FlagSchema>,
    /// "One of these combinations": each entry is a set of flag names of
    /// which one whole set must be present.
    #[serde(default)]
    pub one_of: Vec<Vec<String>>,
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Whether the action changes state (used by the host for spinners and
    /// to decide on confirmation prompts).
    #[serde(default)]
    pub writes: bool,
    /// Whether the action talks to the Commet API (and so needs credentials).
    #[serde(default = "yes")]
    pub needs_api: bool,
}

fn yes() -> bool {
    true
}

/// A usage example shown in `--help`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub command: String,
    #[serde(default)]
    pub description: String,
}

/// One flag (`--name <value>`) or positional argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagSchema {
    /// Long name without dashes, e.g. `full-name`.
    pub name: String,
    #[serde(default)]
    pub short: Option<char>,
    /// Other long names accepted for the same flag.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub kind: FlagKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub value_name: Option<String>,
    /// Value used when the flag is absent (already typed).
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// Accepted values, for [`FlagKind::Enum`].
    #[serde(default)]
    pub values: Vec<String>,
    /// For comma-separated lists (`--events a,b`): split into a JSON array.
    #[serde(default)]
    pub list: bool,
    #[serde(default)]
    pub hidden: bool,
}

/// The type of a flag's value; the host parses and checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Any text.
    String,
    /// A decimal number (sent as a JSON number; integral values as integers).
    Number,
    /// A whole number.
    Integer,
    /// `true` or `false`; a bare `--flag` means `true`.
    Bool,
    /// A JSON document of any shape.
    Json,
    /// A JSON object.
    JsonObject,
    /// A JSON array.
    JsonArray,
    /// One of [`FlagSchema::values`].
    Enum,
    /// An ISO 8601 date (`2026-01-31`) or date-time (`2026-01-31T10:00:00Z`).
    Date,
    /// An ISO 8601 date-time with a UTC offset.
    DateTime,
    /// A bare switch with no value (`--yes`).
    Switch,
}

impl FlagKind {
    /// The placeholder shown in help when the flag has no explicit value name.
    pub fn default_value_name(self) -> &'static str {
        match self {
            FlagKind::String => "TEXT",
            FlagKind::Number => "NUMBER",
            FlagKind::Integer => "N",
            FlagKind::Bool => "BOOL",
            FlagKind::Json | FlagKind::JsonObject | FlagKind::JsonArray => "JSON",
            FlagKind::Enum => "VALUE",
            FlagKind::Date => "DATE",
            FlagKind::DateTime => "TIMESTAMP",
            FlagKind::Switch => "",
        }
    }
}

impl PluginManifest {
    /// Finds an action by group and action name (aliases included).
    pub fn find_action(&self, group: &str, action: &str) -> Option<(&GroupSchema, &ActionSchema)> {
        let group = self
            .groups
            .iter()
            .find(|g| g.name == group || g.aliases.iter().any(|a| a == group))?;
        let action = group
            .actions
            .iter()
            .find(|a| a.name == action || a.aliases.iter().any(|x| x == action))?;
        Some((group, action))
    }
}
