//! `commet orgs` and `commet link`: choosing the organization a project
//! bills under, and giving the project its own API key.

use std::io::IsTerminal;
use std::path::Path;

use clap::{Arg, ArgAction, ArgMatches, Command};
use commet_sdk::wire::{Api, ApiRequest, Column, Output, View};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, files, ProjectConfig};
use crate::error::{CliError, CliResult};
use crate::paths;
use crate::plugins::host_context::Services;

#[derive(Debug, Clone, Deserialize)]
struct Org {
    id: String,
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    mode: String,
}

pub fn orgs_command() -> Command {
    Command::new("orgs")
        .about("List the organizations you can use (the linked one is marked)")
        .after_help("Examples:\n  $ commet orgs\n  $ commet orgs --output agent")
}

pub fn link_command() -> Command {
    Command::new("link")
        .about("Link this project to an organization and create its API key")
        .arg(
            Arg::new("org")
                .long("org")
                .value_name("SLUG-OR-ID")
                .help("Organization slug or ID (skips the interactive choice)"),
        )
        .arg(
            Arg::new("clear")
                .long("clear")
                .action(ArgAction::SetTrue)
                .conflicts_with("org")
                .help("Unlink this project (deletes .commet/config.json)"),
        )
        .after_help(
            "Writes .commet/config.json (readable only by you) with the organization and a new \
             project API key, and adds .commet/ to .gitignore. Re-run to switch organizations.\n\n\
             Examples:\n  $ commet link\n  $ commet link --org acme\n  $ commet link --clear",
        )
}

fn fetch_orgs(services: &Services) -> CliResult<Vec<Org>> {
    let body = services
        .send(&ApiRequest::new("GET", "/organizations").api(Api::Cli))?
        .into_result()
        .map_err(CliError::from)?;
    let list = body
        .get("organizations")
        .cloned()
        .unwrap_or(Value::Array(vec![]));
    serde_json::from_value(list).map_err(|e| {
        CliError::failed(format!(
            "the server sent an unreadable organization list: {e}"
        ))
    })
}

fn linked_org_id() -> Option<String> {
    auth::load_project_config()
        .ok()
        .flatten()
        .map(|(_, c)| c.org_id)
}

pub fn orgs(services: &Services) -> CliResult<Output> {
    let orgs = fetch_orgs(services)?;
    let linked = linked_org_id();
    let rows: Vec<Value> = orgs
        .iter()
        .map(|o| {
            let is_linked = linked.as_deref() == Some(o.id.as_str());
            json!({
                "linked": if is_linked { "*" } else { "" },
                "isLinked": is_linked,
                "name": o.name, "slug": o.slug, "mode": o.mode, "id": o.id,
            })
        })
        .collect();
    Ok(Output::new(
        View::Table {
            columns: vec![
                Column::new("linked", " "),
                Column::new("name", "NAME"),
                Column::new("slug", "SLUG"),
                Column::new("mode", "MODE"),
                Column::new("id", "ID"),
            ],
        },
        Value::Array(rows),
    ))
}

fn org_lines(orgs: &[Org]) -> String {
    orgs.iter()
        .map(|o| format!("  {} ({}, {})", o.slug, o.name, o.mode))
        .collect::<Vec<_>>()
        .join("\n")
}

fn choose<'a>(orgs: &'a [Org], wanted: Option<&str>) -> CliResult<&'a Org> {
    if orgs.is_empty() {
        return Err(CliError::failed("your account has no organizations")
            .with_hint("create one in the Commet dashboard, then run `commet link` again"));
    }
    if let Some(wanted) = wanted {
        return orgs
            .iter()
            .find(|o| o.slug == wanted || o.id == wanted)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "no organization with slug or ID '{wanted}' for --org"
                ))
                .with_hint(format!("your organizations:\n{}", org_lines(orgs)))
            });
    }
    if orgs.len() == 1 {
        return Ok(&orgs[0]);
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(
            CliError::usage("several organizations are available; choose one with --org")
                .with_hint(format!(
                    "for example `commet link --org {}`; your organizations:\n{}",
                    orgs[0].slug,
                    org_lines(orgs)
                )),
        );
    }
    let labels: Vec<String> = orgs
        .iter()
        .map(|o| format!("{} ({}, {})", o.name, o.slug, o.mode))
        .collect();
    let index = dialoguer::Select::new()
        .with_prompt("Link this project to which organization?")
        .items(&labels)
        .default(0)
        .interact()
        .map_err(|e| CliError::failed(format!("no organization chosen: {e}")))?;
    Ok(&orgs[index])
}

pub fn link(matches: &ArgMatches, services: &Services) -> CliResult<Output> {
    if matches.get_flag("clear") {
        return unlink();
    }
    let orgs = fetch_orgs(services)?;
    let org = choose(&orgs, matches.get_one::<String>("org").map(String::as_str))?;
    let project_dir = paths::project_dir_for_write()
        .map_err(|e| CliError::failed(format!("cannot determine the project directory: {e}")))?;
    let root = project_dir.parent().unwrap_or(Path::new(".")).to_path_buf();
    let name = format!(
        "commet CLI ({})",
        root.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
    );
    let created = services
        .send(
            &ApiRequest::new("POST", "/api-keys")
                .api(Api::Cli)
                .body(json!({"organizationId": org.id, "name": name})),
        )?
        .into_result()
        .map_err(CliError::from)?;
    let api_key = created
        .get("apiKey")
        .and_then(Value::as_str)
        .ok_or_else(|| CliError::failed("the server did not return an API key"))?
        .to_owned();
    let config = ProjectConfig {
        org_id: org.id.clone(),
        org_name: org.name.clone(),
        mode: org.mode.clone(),
        api_key,
    };
    let path = project_dir.join("config.json");
    files::write_secret_json(&path, &config)?;
    let ignored = ensure_gitignored(&root)?;
    Ok(Output::new(
        View::Message {
            text: format!(
                "Linked to {} ({}, {}). Project API key saved to {}{}",
                org.name,
                org.slug,
                org.mode,
                path.display(),
                if ignored {
                    "; .commet/ added to .gitignore."
                } else {
                    "."
                }
            ),
        },
        json!({"orgId": org.id, "orgName": org.name, "slug": org.slug, "mode": org.mode,
               "configFile": path.display().to_string()}),
    ))
}

fn unlink() -> CliResult<Output> {
    let Some((path, config)) = auth::load_project_config()? else {
        return Ok(Output::new(
            View::Message {
                text: "This project is not linked.".into(),
            },
            json!({"unlinked": false}),
        ));
    };
    std::fs::remove_file(&path)
        .map_err(|e| CliError::failed(format!("could not delete {}: {e}", path.display())))?;
    Ok(Output::new(
        View::Message {
            text: format!(
                "Unlinked from {} ({} deleted). The API key it held still exists; delete it with `commet api-keys delete` if it is no longer needed.",
                config.org_name,
                path.display()
            ),
        },
        json!({"unlinked": true, "orgId": config.org_id}),
    ))
}

/// Adds `.commet/` to the project's `.gitignore` (creating it) unless an
/// entry already covers it. Returns whether the file changed.
fn ensure_gitignored(root: &Path) -> CliResult<bool> {
    let path = root.join(".gitignore");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let covered = current
        .lines()
        .map(str::trim)
        .any(|l| matches!(l, ".commet" | ".commet/" | "/.commet" | "/.commet/"));
    if covered {
        return Ok(false);
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# commet project link (holds an API key)\n.commet/\n");
    std::fs::write(&path, text)
        .map_err(|e| CliError::failed(format!("could not update {}: {e}", path.display())))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(slug: &str) -> Org {
        Org {
            id: format!("org_{slug}"),
            name: slug.to_uppercase(),
            slug: slug.into(),
            mode: "sandbox".into(),
        }
    }

    #[test]
    fn choose_by_slug_or_id_and_list_on_miss() {
        let orgs = vec![org("acme"), org("beta")];
        assert_eq!(choose(&orgs, Some("beta")).unwrap().id, "org_beta");
        assert_eq!(choose(&orgs, Some("org_acme")).unwrap().slug, "acme");
        let err = choose(&orgs, Some("nope")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.hint().unwrap().contains("acme"));
        assert_eq!(choose(&orgs[..1], None).unwrap().slug, "acme");
    }

    #[test]
    fn gitignore_gets_one_entry() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".gitignore"), "target").unwrap();
        assert!(ensure_gitignored(tmp.path()).unwrap());
        assert!(!ensure_gitignored(tmp.path()).unwrap());
        let text = std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap();
        assert_eq!(text.matches(".commet/").count(), 1);
        assert!(text.starts_with("target\n"));
    }
}
