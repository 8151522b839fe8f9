//! `commet create [NAME]`: scaffolds a project from a pricing template.
//!
//! It seeds the template's features and plans into a sandbox organization,
//! creates a project API key, links the project directory to the
//! organization (`.commet/config.json`, readable only by the user), installs
//! an agent skill on request, and finally runs `commet pull` inside the new
//! project to write `commet.config.ts`.
//!
//! The pull runs as `commet pull` in the new directory rather than in this
//! process: the host picked its credentials when this command started
//! (usually a login token, which `/api/v1` does not accept), while the child
//! process finds the project key that was just written — exactly what the
//! user gets when running `commet pull` there later.

pub mod project;
pub mod skill;

use std::io::IsTerminal;
use std::path::Path;

use commet_sdk::prelude::*;

/// Template ids and what each one sets up.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "fixed",
        "Flat monthly or yearly subscriptions; each plan switches features on or off",
    ),
    (
        "seats",
        "Per-seat pricing: plans include some seats and charge for each extra one",
    ),
    (
        "metered",
        "Usage-based: an allowance per period, then a price per unit of overage",
    ),
    (
        "credits",
        "Plans grant credits that features consume, with credit packs to top up",
    ),
    (
        "balance-ai",
        "A prepaid balance spent on AI model tokens at cost plus a margin",
    ),
    (
        "balance-fixed",
        "A prepaid balance spent at fixed prices per unit (messages, emails...)",
    ),
];

fn template_ids() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(id, _)| *id).collect()
}

/// Whether a person is at the terminal to answer prompts.
fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn prompt_error(e: dialoguer::Error) -> PluginError {
    PluginError::failed(format!("could not read the answer: {e}"))
}

/// An organization from `GET /api/cli/organizations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub mode: String,
}

impl Org {
    fn from_json(v: &Value) -> Option<Org> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let id = text("id");
        if id.is_empty() {
            return None;
        }
        Some(Org {
            name: text("name"),
            slug: text("slug"),
            mode: text("mode"),
            id,
        })
    }

    fn is_sandbox(&self) -> bool {
        self.mode == "sandbox"
    }

    fn label(&self) -> String {
        format!("{} ({})", self.name, self.slug)
    }
}

fn org_list(orgs: &[&Org]) -> String {
    orgs.iter()
        .map(|o| format!("{} ({}, {})", o.slug, o.name, o.mode))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Picks the sandbox organization: `--org`, the only one, or a prompt.
pub fn choose_org<'a>(
    orgs: &'a [Org],
    wanted: Option<&str>,
    can_prompt: bool,
) -> Result<ChosenOrg<'a>, PluginError> {
    let sandboxes: Vec<&Org> = orgs.iter().filter(|o| o.is_sandbox()).collect();
    if let Some(wanted) = wanted {
        let found = orgs.iter().find(|o| o.slug == wanted || o.id == wanted);
        return match found {
            Some(org) if org.is_sandbox() => Ok(ChosenOrg::Org(org)),
            Some(org) => Err(PluginError::usage(format!(
                "--org {wanted}: {} is a {} organization; create only sets up sandbox organizations{}",
                org.name,
                if org.mode.is_empty() { "non-sandbox" } else { &org.mode },
                if sandboxes.is_empty() {
                    String::new()
                } else {
                    format!(" (yours: {})", org_list(&sandboxes))
                }
            ))),
            None => Err(PluginError::usage(format!(
                "--org {wanted}: no organization with that slug or ID{}",
                if sandboxes.is_empty() {
                    String::new()
                } else {
                    format!("; your sandbox organizations: {}", org_list(&sandboxes))
                }
            ))),
        };
    }
    match sandboxes.as_slice() {
        [] => Err(PluginError::failed_with_hint(
            if orgs.is_empty() {
                "your account has no organizations".to_owned()
            } else {
                format!(
                    "none of your organizations is a sandbox ({})",
                    org_list(&orgs.iter().collect::<Vec<_>>())
                )
            },
            "create a sandbox organization in the Commet dashboard, or run the local sandbox \
             (`commet sandbox start --detach`, then COMMET_ENVIRONMENT=local)",
        )),
        [only] => Ok(ChosenOrg::Org(only)),
        several if can_prompt => Ok(ChosenOrg::Prompt(several.to_vec())),
        several => Err(PluginError::usage(format!(
            "several sandbox organizations are available; choose one with --org ({})",
            org_list(several)
        ))),
    }
}

/// The outcome of [`choose_org`].
#[derive(Debug)]
pub enum ChosenOrg<'a> {
    Org(&'a Org),
    /// Several candidates and a terminal to ask on.
    Prompt(Vec<&'a Org>),
}

fn list_templates() -> Output {
    let rows: Vec<Value> = TEMPLATES
        .iter()
        .map(|(id, description)| json!({"id": id, "description": description}))
        .collect();
    Output::new(
        View::Table {
            columns: vec![
                Column::new("id", "TEMPLATE"),
                Column::new("description", "WHAT IT SETS UP"),
            ],
        },
        Value::Array(rows),
    )
}

fn choose_template(ctx: &Context<'_>) -> Result<String, PluginError> {
    if let Some(t) = ctx.str("template") {
        return Ok(t.to_owned());
    }
    if !interactive() {
        return Err(PluginError::usage(format!(
            "--template (-t) is required when there is no terminal to choose one: {} \
             (`commet create --list` describes them)",
            template_ids().join(", ")
        )));
    }
    ctx.host.progress_done();
    let items: Vec<String> = TEMPLATES
        .iter()
        .map(|(id, d)| format!("{id:<14} {d}"))
        .collect();
    let index = dialoguer::Select::new()
        .with_prompt("Which pricing template?")
        .items(&items)
        .default(0)
        .interact()
        .map_err(prompt_error)?;
    TEMPLATES
        .get(index)
        .map(|(id, _)| (*id).to_owned())
        .ok_or_else(|| PluginError::failed("no template chosen"))
}

fn fetch_orgs(host: &Host<'_>) -> Result<Vec<Org>, PluginError> {
    let body = host.call(&ApiRequest::new("GET", "/organizations").api(Api::Cli))?;
    Ok(body
        .get("organizations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Org::from_json)
        .collect())
}

fn pick_org(ctx: &Context<'_>, orgs: &[Org]) -> Result<Org, PluginError> {
    match choose_org(orgs, ctx.str("org"), interactive())? {
        ChosenOrg::Org(org) => Ok(org.clone()),
        ChosenOrg::Prompt(candidates) => {
            ctx.host.progress_done();
            let labels: Vec<String> = candidates.iter().map(|o| o.label()).collect();
            let index = dialoguer::Select::new()
                .with_prompt("Create the project in which sandbox organization?")
                .items(&labels)
                .default(0)
                .interact()
                .map_err(prompt_error)?;
            candidates
                .get(index)
                .map(|o| (*o).clone())
                .ok_or_else(|| PluginError::failed("no organization chosen"))
        }
    }
}

fn want_skills(ctx: &Context<'_>) -> Result<bool, PluginError> {
    match (ctx.flag("skills"), ctx.flag("no-skills")) {
        (true, true) => Err(PluginError::usage(
            "--skills and --no-skills cannot be used together",
        )),
        (true, false) => Ok(true),
        (false, true) => Ok(false),
        // The default is to install them; ask only when someone can answer
        // and has not accepted the defaults.
        (false, false) if ctx.flag("yes") || !interactive() => Ok(true),
        (false, false) => {
            ctx.host.progress_done();
            dialoguer::Confirm::new()
                .with_prompt(format!(
                    "Install the commet skill for AI coding agents ({})?",
                    skill::SKILL_PATH
                ))
                .default(true)
                .interact()
                .map_err(prompt_error)
        }
    }
}

fn count(n: i64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn create(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    if ctx.flag("list") {
        return Ok(list_templates());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| PluginError::failed(format!("cannot read the current directory: {e}")))?;
    // Everything that can be checked locally is checked before the first
    // request, so a mistake costs nothing on the server.
    let template = choose_template(ctx)?;
    let target = project::Target::resolve(&cwd, ctx.str("name"))?;
    let skills = want_skills(ctx)?;

    let orgs = fetch_orgs(&ctx.host)?;
    let org = pick_org(ctx, &orgs)?;

    let created_dir = target.prepare()?;
    let remote = (|| {
        ctx.host
            .progress(&format!("Setting up the {template} template"));
        let mut body = json!({"templateId": template, "organizationId": org.id});
        if let (Some(r), Some(m)) = (ctx.str("ref"), body.as_object_mut()) {
            m.insert("ref".into(), json!(r));
        }
        let seeded = ctx.host.call(
            &ApiRequest::new("POST", "/templates")
                .api(Api::Cli)
                .body(body),
        )?;
        ctx.host.progress("Creating the project API key");
        let key =
            ctx.host.call(
                &ApiRequest::new("POST", "/api-keys")
                    .api(Api::Cli)
                    .body(json!({
                        "organizationId": org.id,
                        "name": format!("commet CLI ({})", target.label()),
                    })),
            )?;
        ctx.host.progress_done();
        let api_key = key
            .get("apiKey")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| PluginError::failed("the server did not return an API key"))?;
        Ok::<_, PluginError>((seeded, api_key))
    })();
    ctx.host.progress_done();
    let (seeded, api_key) = match remote {
        Ok(v) => v,
        Err(e) => {
            if created_dir {
                target.remove_if_empty();
            }
            return Err(e);
        }
    };

    let config_path = target.write_project_config(&org, &api_key)?;
    let gitignored = target.ensure_gitignored()?;
    let skill_path = if skills {
        Some(target.write_skill(&skill::skill_markdown(&template, &org.name))?)
    } else {
        None
    };
    ctx.host.progress("Writing commet.config.ts");
    let pulled = project::pull_in(&target.dir);
    ctx.host.progress_done();

    let plans_created = seeded
        .get("plansCreated")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let features_created = seeded
        .get("featuresCreated")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Ok(report(&Report {
        target: &target,
        template: &template,
        org: &org,
        plans_created,
        features_created,
        config_path: &config_path,
        gitignored,
        skill_path: skill_path.as_deref(),
        pulled: &pulled,
    }))
}

struct Report<'a> {
    target: &'a project::Target,
    template: &'a str,
    org: &'a Org,
    plans_created: i64,
    features_created: i64,
    config_path: &'a Path,
    gitignored: bool,
    skill_path: Option<&'a Path>,
    pulled: &'a Result<project::Pulled, String>,
}

fn report(r: &Report<'_>) -> Output {
    let rel = |p: &Path| -> String {
        p.strip_prefix(&r.target.dir)
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let mut lines = vec![format!(
        "Created {} from the {} template in {} ({}).",
        r.target.label(),
        r.template,
        r.org.name,
        r.org.slug
    )];
    lines.push(format!(
        "  {} and {} added to the organization{}",
        count(r.plans_created, "plan"),
        count(r.features_created, "feature"),
        if r.plans_created == 0 && r.features_created == 0 {
            " (the template's entries were already there)"
        } else {
            ""
        }
    ));
    let mut files: Vec<(String, String)> = vec![(
        rel(r.config_path),
        format!(
            "project API key, readable only by you{}",
            if r.gitignored {
                " (.commet/ is in .gitignore)"
            } else {
                ""
            }
        ),
    )];
    match r.pulled {
        Ok(p) => files.push((
            rel(&p.file),
            format!(
                "{} and {}",
                count(p.features, "feature"),
                count(p.plans, "plan")
            ),
        )),
        Err(why) => files.push(("commet.config.ts".into(), format!("not written: {why}"))),
    }
    if let Some(path) = r.skill_path {
        files.push((rel(path), "guide for AI coding agents".into()));
    }
    let width = files
        .iter()
        .map(|(p, _)| p.chars().count())
        .max()
        .unwrap_or(0);
    lines.extend(
        files
            .iter()
            .map(|(path, what)| format!("  {path:<width$}  {what}")),
    );

    let mut next: Vec<String> = Vec::new();
    if !r.target.is_cwd {
        next.push(format!("cd {}", r.target.label()));
    }
    if r.pulled.is_err() {
        next.push("commet pull                  write commet.config.ts".into());
    }
    next.push("commet plans list            see the plans the template created".into());
    next.push("edit commet.config.ts, then  commet push --dry-run  and  commet push".into());
    next.push("commet listen 3000           forward webhook events to your local server".into());
    lines.push(String::new());
    lines.push("Next steps:".into());
    lines.extend(next.iter().map(|s| format!("  {s}")));

    let pull = match r.pulled {
        Ok(p) => {
            json!({"ok": true, "file": p.file.display().to_string(), "features": p.features, "plans": p.plans})
        }
        Err(why) => json!({"ok": false, "error": why}),
    };
    let data = json!({
        "directory": r.target.dir.display().to_string(),
        "template": r.template,
        "organization": {"id": r.org.id, "name": r.org.name, "slug": r.org.slug, "mode": r.org.mode},
        "plansCreated": r.plans_created,
        "featuresCreated": r.features_created,
        "projectConfig": r.config_path.display().to_string(),
        "gitignore": r.gitignored,
        "skill": r.skill_path.map(|p| p.display().to_string()),
        "pull": pull,
        "nextSteps": next,
    });
    Output::new(
        View::Text {
            text: lines.join("\n"),
        },
        data,
    )
}

fn create_command() -> Action {
    Action::custom(
        "create",
        "Start a new project from a pricing template in a sandbox organization",
        create,
    )
    .long_about(
        "Seeds the template's features and plans into a sandbox organization, creates a project \
         API key and links the project to the organization (.commet/config.json, readable only by \
         you and kept out of git), writes commet.config.ts, and can install a guide for AI coding \
         agents. With NAME, the project goes into a new directory NAME (an existing one must be \
         empty); without it, into the current directory. Templates are served by the Commet \
         server, which also receives --ref.",
    )
    .positional(
        Flag::string("name")
            .value_name("NAME")
            .help("Directory to create the project in (default: the current directory)"),
    )
    .flag(
        Flag::enumeration("template", &template_ids())
            .short('t')
            .value_name("NAME")
            .help("Pricing template (see --list); asked for when omitted on a terminal"),
    )
    .flag(
        Flag::string("org")
            .value_name("SLUG-OR-ID")
            .help("Sandbox organization slug or ID; asked for when you have several"),
    )
    .flag(Flag::switch("skills").help(&format!(
        "Install the agent skill ({}) without asking",
        skill::SKILL_PATH
    )))
    .flag(Flag::switch("no-skills").help("Do not install the agent skill"))
    .flag(
        Flag::switch("yes")
            .short('y')
            .help("Accept the defaults of optional questions (installs the agent skill)"),
    )
    .flag(
        Flag::string("ref")
            .value_name("REF")
            .help("Template version (a git ref, default main); passed to the server that serves the templates"),
    )
    .flag(Flag::switch("list").help("List the templates and exit (works offline)"))
    .example("commet create", "Choose a template and an organization interactively")
    .example(
        "commet create myapp -t metered --org acme -y",
        "No questions: a metered project in ./myapp",
    )
    .example(
        "commet create -t seats --no-skills",
        "Set up the current directory with per-seat pricing",
    )
    .example("commet create --list", "Show the templates")
    .writes(true)
    .offline()
}

fn plugin() -> Plugin {
    Plugin::new("create", env!("CARGO_PKG_VERSION"))
        .description("create: start a project from a pricing template")
        .group(Group::standalone(create_command()))
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests {
    use super::*;

    fn org(slug: &str, mode: &str) -> Org {
        Org {
            id: format!("org_{slug}"),
            name: slug.to_uppercase(),
            slug: slug.into(),
            mode: mode.into(),
        }
    }

    #[test]
    fn org_choice() {
        let orgs = vec![org("acme", "live"), org("local", "sandbox")];
        // The only sandbox is chosen without asking.
        assert!(
            matches!(choose_org(&orgs, None, false), Ok(ChosenOrg::Org(o)) if o.slug == "local")
        );
        // By slug or id.
        assert!(
            matches!(choose_org(&orgs, Some("org_local"), false), Ok(ChosenOrg::Org(o)) if o.slug == "local")
        );
        // A live org is refused, naming the sandbox ones.
        let err = choose_org(&orgs, Some("acme"), false).unwrap_err();
        assert!(err.to_string().contains("live organization"), "{err}");
        assert!(err.to_string().contains("local (LOCAL, sandbox)"), "{err}");
        let err = choose_org(&orgs, Some("nope"), false).unwrap_err();
        assert!(matches!(err, PluginError::Usage { .. }));

        let several = vec![org("a", "sandbox"), org("b", "sandbox")];
        assert!(
            matches!(choose_org(&several, None, true), Ok(ChosenOrg::Prompt(c)) if c.len() == 2)
        );
        let err = choose_org(&several, None, false).unwrap_err();
        assert!(err.to_string().contains("--org"), "{err}");

        let err = choose_org(&[org("acme", "live")], None, false).unwrap_err();
        assert!(err
            .to_string()
            .contains("none of your organizations is a sandbox"));
    }

    #[test]
    fn command_schema() {
        let m = plugin().manifest();
        let g = &m.groups[0];
        assert_eq!(g.name, "create");
        assert!(g.standalone);
        let a = &g.actions[0];
        assert!(!a.needs_api, "--list must work without credentials");
        assert_eq!(a.positionals[0].name, "name");
        let flags: Vec<&str> = a.flags.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            flags,
            [
                "template",
                "org",
                "skills",
                "no-skills",
                "yes",
                "ref",
                "list"
            ]
        );
        assert_eq!(a.flags[0].values, template_ids());
        assert!(a.examples.len() >= 3);
    }

    #[test]
    fn templates_list_is_offline_data() {
        let out = list_templates();
        let rows = out.data.as_array().unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0]["id"], "fixed");
        assert!(matches!(out.view, View::Table { .. }));
    }
}
