//! The API plugin authors write: a plugin is a list of groups, a group a list
//! of actions, and a typical action is one declarative entry ("flag `--email`
//! → body field `email`; POST `/customers`"). Anything else is a plain
//! function.

use serde_json::Value;

use crate::context::Context;
use crate::schema::{ActionSchema, Example, FlagKind, FlagSchema, GroupSchema, PluginManifest};
use crate::wire::{Api, Column, Output, PluginError, View};

/// A custom command handler.
pub type HandlerFn = fn(&mut Context<'_>) -> Result<Output, PluginError>;

/// A whole plugin: its identity and its command groups.
#[derive(Clone)]
pub struct Plugin {
    name: String,
    version: String,
    host_requirement: String,
    description: String,
    groups: Vec<Group>,
}

impl Plugin {
    /// `name` is the plugin's short name; `version` its own semver version
    /// (pass `env!("CARGO_PKG_VERSION")`).
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Plugin {
            name: name.into(),
            version: version.into(),
            host_requirement: crate::DEFAULT_HOST_REQUIREMENT.to_owned(),
            description: String::new(),
            groups: Vec::new(),
        }
    }

    /// The host versions this plugin works with, as a semver requirement.
    pub fn host_requirement(mut self, req: impl Into<String>) -> Self {
        self.host_requirement = req.into();
        self
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    pub fn group(mut self, group: Group) -> Self {
        self.groups.push(group);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The manifest as the host sees it.
    pub fn manifest(&self) -> PluginManifest {
        PluginManifest {
            name: self.name.clone(),
            version: self.version.clone(),
            host_requirement: self.host_requirement.clone(),
            sdk_version: crate::abi::ABI_VERSION.to_owned(),
            description: self.description.clone(),
            groups: self.groups.iter().map(Group::schema).collect(),
        }
    }

    /// The request a declarative action would send for `args` (flag name →
    /// typed value), without sending it. Meant for plugin unit tests.
    pub fn dry_run(
        &self,
        group: &str,
        action: &str,
        args: Value,
    ) -> Result<crate::wire::ApiRequest, PluginError> {
        let found = self
            .find(group, action)
            .ok_or_else(|| PluginError::failed(format!("no command `{group} {action}`")))?;
        let Handler::Http(spec) = &found.handler else {
            return Err(PluginError::failed(format!(
                "`{group} {action}` is a custom command; it has no fixed request"
            )));
        };
        let args = match args {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        crate::execute::build_request(spec, &found.flags, &args)
    }

    pub(crate) fn find(&self, group: &str, action: &str) -> Option<&Action> {
        let g = self
            .groups
            .iter()
            .find(|g| g.name == group || g.aliases.iter().any(|a| a == group))?;
        g.actions
            .iter()
            .find(|a| a.schema.name == action || a.schema.aliases.iter().any(|x| x == action))
    }
}

/// A command group: `commet <group> <action>`.
#[derive(Clone)]
pub struct Group {
    name: String,
    about: String,
    aliases: Vec<String>,
    standalone: bool,
    actions: Vec<Action>,
}

impl Group {
    pub fn new(name: impl Into<String>, about: impl Into<String>) -> Self {
        Group {
            name: name.into(),
            about: about.into(),
            aliases: Vec::new(),
            standalone: false,
            actions: Vec::new(),
        }
    }

    /// A group that is itself one command (`commet listen 3000`): the action
    /// carries the flags and has the group's name.
    pub fn standalone(action: Action) -> Self {
        let mut group = Group::new(action.schema.name.clone(), action.schema.about.clone());
        group.standalone = true;
        group.actions.push(action);
        group
    }

    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }

    pub fn action(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    fn schema(&self) -> GroupSchema {
        GroupSchema {
            name: self.name.clone(),
            about: self.about.clone(),
            aliases: self.aliases.clone(),
            standalone: self.standalone,
            actions: self.actions.iter().map(|a| a.schema.clone()).collect(),
        }
    }
}

/// How an action does its work.
#[derive(Clone)]
pub(crate) enum Handler {
    Http(HttpSpec),
    Custom(HandlerFn),
}

/// The HTTP call of a declarative action.
#[derive(Clone, Debug)]
pub struct HttpSpec {
    pub method: String,
    /// Path template with `{key}` placeholders filled from flags.
    pub path: String,
    pub api: Api,
    /// Fixed parameters always sent (query for GET/DELETE, body otherwise).
    pub constants: Vec<(String, Value)>,
}

/// One command.
#[derive(Clone)]
pub struct Action {
    pub(crate) schema: ActionSchema,
    pub(crate) flags: Vec<Flag>,
    pub(crate) handler: Handler,
    pub(crate) view: Option<View>,
}

impl Action {
    fn with_handler(name: &str, about: &str, handler: Handler, writes: bool) -> Self {
        Action {
            schema: ActionSchema {
                name: name.to_owned(),
                about: about.to_owned(),
                long_about: None,
                aliases: Vec::new(),
                flags: Vec::new(),
                positionals: Vec::new(),
                one_of: Vec::new(),
                examples: Vec::new(),
                writes,
                needs_api: true,
            },
            flags: Vec::new(),
            handler,
            view: None,
        }
    }

    /// A declarative action that sends `method path` with its flags mapped
    /// to path parameters, query (GET/DELETE) or JSON body (other methods).
    pub fn http(name: &str, method: &str, path: &str, about: &str) -> Self {
        let method = method.to_ascii_uppercase();
        let writes = method != "GET";
        Action::with_handler(
            name,
            about,
            Handler::Http(HttpSpec {
                method,
                path: path.to_owned(),
                api: Api::V1,
                constants: Vec::new(),
            }),
            writes,
        )
    }

    pub fn get(name: &str, path: &str, about: &str) -> Self {
        Action::http(name, "GET", path, about)
    }

    pub fn post(name: &str, path: &str, about: &str) -> Self {
        Action::http(name, "POST", path, about)
    }

    pub fn put(name: &str, path: &str, about: &str) -> Self {
        Action::http(name, "PUT", path, about)
    }

    pub fn patch(name: &str, path: &str, about: &str) -> Self {
        Action::http(name, "PATCH", path, about)
    }

    pub fn delete(name: &str, path: &str, about: &str) -> Self {
        Action::http(name, "DELETE", path, about)
    }

    /// An action implemented by a plain function.
    pub fn custom(name: &str, about: &str, handler: HandlerFn) -> Self {
        Action::with_handler(name, about, Handler::Custom(handler), false)
    }

    /// Targets another endpoint family (`/api/cli`, ...).
    pub fn api(mut self, api: Api) -> Self {
        if let Handler::Http(spec) = &mut self.handler {
            spec.api = api;
        }
        self
    }

    /// Always sends `key = value` (query for GET/DELETE, body otherwise),
    /// e.g. `.constant("action", json!("canUse"))`.
    pub fn constant(mut self, key: &str, value: Value) -> Self {
        if let Handler::Http(spec) = &mut self.handler {
            spec.constants.push((key.to_owned(), value));
        }
        self
    }

    pub fn long_about(mut self, text: impl Into<String>) -> Self {
        self.schema.long_about = Some(text.into());
        self
    }

    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.schema.aliases.push(alias.into());
        self
    }

    pub fn flag(mut self, flag: Flag) -> Self {
        self.schema.flags.push(flag.schema.clone());
        self.flags.push(flag);
        self
    }

    pub fn flags(mut self, flags: impl IntoIterator<Item = Flag>) -> Self {
        for flag in flags {
            self = self.flag(flag);
        }
        self
    }

    /// A positional argument (`commet listen <TARGET>`).
    pub fn positional(mut self, flag: Flag) -> Self {
        self.schema.positionals.push(flag.schema.clone());
        self.flags.push(flag);
        self
    }

    /// Requires one whole set of these flag names to be present
    /// (call once per alternative).
    pub fn one_of(mut self, names: &[&str]) -> Self {
        self.schema
            .one_of
            .push(names.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    pub fn example(mut self, command: &str, description: &str) -> Self {
        self.schema.examples.push(Example {
            command: command.to_owned(),
            description: description.to_owned(),
        });
        self
    }

    /// Marks the action as changing state (custom actions default to not).
    pub fn writes(mut self, writes: bool) -> Self {
        self.schema.writes = writes;
        self
    }

    /// Marks the action as working without the Commet API (no credentials).
    pub fn offline(mut self) -> Self {
        self.schema.needs_api = false;
        self
    }

    /// Renders the result as a table with these `(path, header)` columns.
    pub fn table(mut self, columns: &[(&str, &str)]) -> Self {
        self.view = Some(View::Table {
            columns: columns.iter().map(|(k, h)| Column::new(*k, *h)).collect(),
        });
        self
    }

    /// Renders the result as one object.
    pub fn object(mut self) -> Self {
        self.view = Some(View::Object);
        self
    }

    /// Renders the result as this sentence (`{field}` placeholders are
    /// filled from the response).
    pub fn message(mut self, text: &str) -> Self {
        self.view = Some(View::Message {
            text: text.to_owned(),
        });
        self
    }

    pub fn schema(&self) -> &ActionSchema {
        &self.schema
    }
}

/// Where a flag's value goes in the HTTP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Path parameter if the template names the key, else query for
    /// GET/DELETE, else body.
    Auto,
    Body,
    Query,
    /// Sent as the `Idempotency-Key` header.
    IdempotencyKey,
    /// Only for the handler; never sent.
    Local,
}

/// One flag of an action.
#[derive(Clone, Debug)]
pub struct Flag {
    pub(crate) schema: FlagSchema,
    /// JSON field name; dots build nested objects (`overage.enabled`).
    pub(crate) key: String,
    pub(crate) target: Target,
}

impl Flag {
    pub fn new(name: &str, kind: FlagKind) -> Self {
        Flag {
            schema: FlagSchema {
                name: name.to_owned(),
                short: None,
                aliases: Vec::new(),
                kind,
                required: false,
                help: String::new(),
                value_name: None,
                default: None,
                values: Vec::new(),
                list: false,
                hidden: false,
            },
            key: camel_case(name),
            target: Target::Auto,
        }
    }

    pub fn string(name: &str) -> Self {
        Flag::new(name, FlagKind::String)
    }
    pub fn number(name: &str) -> Self {
        Flag::new(name, FlagKind::Number)
    }
    pub fn integer(name: &str) -> Self {
        Flag::new(name, FlagKind::Integer)
    }
    pub fn bool(name: &str) -> Self {
        Flag::new(name, FlagKind::Bool)
    }
    pub fn json(name: &str) -> Self {
        Flag::new(name, FlagKind::Json)
    }
    pub fn json_object(name: &str) -> Self {
        Flag::new(name, FlagKind::JsonObject)
    }
    pub fn json_array(name: &str) -> Self {
        Flag::new(name, FlagKind::JsonArray)
    }
    pub fn date(name: &str) -> Self {
        Flag::new(name, FlagKind::Date)
    }
    pub fn datetime(name: &str) -> Self {
        Flag::new(name, FlagKind::DateTime)
    }
    /// A bare switch (`--yes`); never sent to the API.
    pub fn switch(name: &str) -> Self {
        Flag::new(name, FlagKind::Switch).local()
    }
    pub fn enumeration(name: &str, values: &[&str]) -> Self {
        let mut flag = Flag::new(name, FlagKind::Enum);
        flag.schema.values = values.iter().map(|v| (*v).to_owned()).collect();
        flag
    }

    /// The standard `--idempotency-key` flag.
    pub fn idempotency_key() -> Self {
        Flag::string("idempotency-key")
            .target(Target::IdempotencyKey)
            .value_name("KEY")
            .help("Idempotency key for this write; retries with the same key are applied once (default: a fresh key per command)")
    }

    pub fn required(mut self) -> Self {
        self.schema.required = true;
        self
    }
    pub fn help(mut self, text: &str) -> Self {
        self.schema.help = text.to_owned();
        self
    }
    pub fn value_name(mut self, name: &str) -> Self {
        self.schema.value_name = Some(name.to_owned());
        self
    }
    pub fn short(mut self, c: char) -> Self {
        self.schema.short = Some(c);
        self
    }
    /// Another accepted long name for the same flag.
    pub fn alias(mut self, alias: &str) -> Self {
        self.schema.aliases.push(alias.to_owned());
        self
    }
    /// The JSON field (dotted for nested objects). Defaults to the camelCase
    /// flag name.
    pub fn key(mut self, key: &str) -> Self {
        self.key = key.to_owned();
        self
    }
    pub fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }
    pub fn in_query(self) -> Self {
        self.target(Target::Query)
    }
    pub fn in_body(self) -> Self {
        self.target(Target::Body)
    }
    pub fn local(self) -> Self {
        self.target(Target::Local)
    }
    pub fn default_value(mut self, value: Value) -> Self {
        self.schema.default = Some(value);
        self
    }
    /// Comma-separated values become a JSON array.
    pub fn list(mut self) -> Self {
        self.schema.list = true;
        self
    }
    pub fn hidden(mut self) -> Self {
        self.schema.hidden = true;
        self
    }

    pub fn name(&self) -> &str {
        &self.schema.name
    }
}

/// `--cursor` and `--limit`, the standard pagination flags.
pub fn pagination() -> [Flag; 2] {
    [
        Flag::string("cursor")
            .value_name("CURSOR")
            .help("Resume after this cursor (the `nextCursor` of the previous page)"),
        Flag::integer("limit")
            .value_name("N")
            .help("Results per page, 1 to 100 (server default 25)"),
    ]
}

/// `full-name` → `fullName`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_cases_flag_names() {
        assert_eq!(camel_case("full-name"), "fullName");
        assert_eq!(camel_case("id"), "id");
        assert_eq!(camel_case("cache-read-tokens"), "cacheReadTokens");
    }

    #[test]
    fn manifest_lists_groups_and_actions() {
        let p = Plugin::new("demo", "1.2.3").group(
            Group::new("things", "Things").action(
                Action::post("create", "/things", "Create a thing")
                    .flag(Flag::string("name").required())
                    .one_of(&["name"]),
            ),
        );
        let m = p.manifest();
        assert_eq!(m.version, "1.2.3");
        let (_, a) = m.find_action("things", "create").unwrap();
        assert!(a.writes);
        assert_eq!(a.flags[0].name, "name");
        assert!(p.find("things", "create").is_some());
        assert!(p.find("things", "nope").is_none());
    }
}
