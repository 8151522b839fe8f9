//! `commet features ...`: the organization's feature catalog.

use commet_sdk::prelude::*;

/// How a feature is consumed (see billing-model: seats and quota are
/// behaviours, not consumption models).
const FEATURE_TYPES: &[&str] = &["boolean", "usage", "seats", "quota"];

fn code() -> Flag {
    Flag::string("code")
        .required()
        .value_name("CODE")
        .help("Feature code: lowercase letters, digits and underscores, e.g. api_calls")
}

fn name() -> Flag {
    Flag::string("name")
        .value_name("NAME")
        .help("Display name, unique within the organization")
}

fn description() -> Flag {
    Flag::string("description")
        .value_name("TEXT")
        .help("What the feature gives the customer")
}

fn unit_name() -> Flag {
    Flag::string("unit-name")
        .value_name("UNIT")
        .help("Name of one unit for usage, seats or quota features, e.g. calls or seats")
}

fn features() -> Group {
    Group::new("features", "Manage the organization's feature catalog")
        .alias("feature")
        .action(
            Action::post("create", "/features", "Create a feature")
                .long_about(
                    "Types: boolean (on/off access), usage (metered, counts up within a period), \
                     seats (per-user licences) and quota (a balance that rises and falls). \
                     A feature's type cannot be changed after creation.",
                )
                .flag(code())
                .flag(name().required())
                .flag(
                    Flag::enumeration("type", FEATURE_TYPES)
                        .required()
                        .help("How the feature is consumed"),
                )
                .flag(description())
                .flag(unit_name())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet features create --code api_calls --name "API Calls" --type usage --unit-name calls"#,
                    "A metered feature counted in calls",
                )
                .example(
                    r#"commet features create --code sso --name "Single sign-on" --type boolean"#,
                    "An on/off feature",
                )
                .object(),
        )
        .action(
            Action::get("list", "/features", "List the feature catalog")
                .example("commet features list", "Every feature")
                .table(&[
                    ("id", "ID"),
                    ("code", "CODE"),
                    ("name", "NAME"),
                    ("type", "TYPE"),
                    ("unitName", "UNIT"),
                ]),
        )
        .action(
            Action::get("get", "/features/{code}", "Show one feature definition")
                .flag(code())
                .example("commet features get --code api_calls", "By code")
                .object(),
        )
        .action(
            Action::patch("update", "/features/{code}", "Rename or redescribe a feature")
                .long_about("The code and type stay as they are; only the name, description and unit name change.")
                .flag(code())
                .flag(name().help("New display name, unique within the organization"))
                .flag(description().help("New description"))
                .flag(unit_name().help("New unit name, e.g. requests"))
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet features update --code api_calls --name "API Requests" --description "HTTP API calls" --unit-name requests"#,
                    "Rename a feature and its unit",
                )
                .object(),
        )
        .action(
            Action::delete("delete", "/features/{code}", "Delete a feature")
                .long_about("Refused while a plan or add-on still uses the feature.")
                .flag(code())
                .example("commet features delete --code api_calls", "By code")
                .message("Deleted feature {id}"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("features", env!("CARGO_PKG_VERSION"))
        .description("The feature catalog: what plans and add-ons grant")
        .group(features())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
