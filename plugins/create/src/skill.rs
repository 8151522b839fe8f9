//! The agent skill `create --skills` installs: a short guide for AI coding
//! agents on driving the commet CLI.

/// Where the skill goes, relative to the project directory.
pub const SKILL_PATH: &str = ".agents/skills/commet/SKILL.md";

/// The skill file for a project on `template`, billed under `org_name`.
pub fn skill_markdown(template: &str, org_name: &str) -> String {
    format!(
        r#"---
name: commet
description: Work with this project's Commet billing (plans, features, customers, subscriptions, usage) through the commet CLI. Use it when a task touches pricing, entitlements or billing data.
---

# Commet billing from the command line

This project bills through Commet, in the organization "{org_name}" (a sandbox:
nothing here charges real money). It started from the `{template}` template.
The `commet` CLI is the way to read and change billing state; prefer it over
guessing from source code.

## Ground rules

- Add `--output agent` to every command. stdout is then exactly one JSON
  document: the result, or `{{"error": {{...}}}}` with `type`, `code`,
  `message` and often `param` (the flag at fault) and `hint`. Logs and
  progress go to stderr only, so parse stdout alone.
- Exit codes: 0 success, 1 the API or the command refused (read the error
  JSON), 2 wrong usage (fix the flags; `commet <command> --help` lists them
  with examples).
- Credentials come from `.commet/config.json` (a project key). Never print,
  copy or commit that file; it is already in `.gitignore`.
- Amounts are integers in the smallest currency unit (2900 = 29.00).
- Lists are paginated: pass `--limit` and feed the `nextCursor` of one page to
  `--cursor` for the next while `hasMore` is true.

## The catalog lives in `commet.config.ts`

Features (what customers get) and plans (what they pay) are described in
`commet.config.ts` at the project root.

1. `commet pull --yes --output agent` refreshes the file from Commet.
2. Edit the file: plain object literals only (strings, numbers, booleans).
3. `commet push --dry-run --output agent` shows what would be created or
   updated; check it before applying.
4. `commet push --yes --output agent` applies it. A feature's type can never
   be changed by push; that is done in the dashboard.

## Everyday commands

- `commet plans list --output agent`, `commet features list --output agent`
- `commet customers create --email ada@example.com --id user_123 --output agent`
- `commet subscriptions create --customer-id user_123 --plan-code <plan> --output agent`
- `commet usage --help` to record consumption of usage features
- `commet --help` lists every command group.

When a command fails, read `error.message` and `error.hint` before retrying:
most failures name the flag or the record that needs fixing. Writes carry an
idempotency key, so retrying the same command after a network error is safe.
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_mentions_the_agent_output_and_the_project() {
        let text = skill_markdown("metered", "Local Sandbox");
        assert!(text.starts_with("---\nname: commet\n"));
        assert!(text.contains("--output agent"));
        assert!(text.contains("\"Local Sandbox\""));
        assert!(text.contains("`metered` template"));
        assert!(!text.contains("ck_"));
    }
}
