//! `commet plan-groups ...`: ordered groups of plans for pricing tables and
//! the customer portal.

use commet_sdk::prelude::*;

fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Plan group ID (plg_...)")
}

fn plan_id() -> Flag {
    Flag::string("plan-id")
        .required()
        .value_name("ID")
        .help("Plan ID (pln_...)")
}

fn is_public() -> Flag {
    Flag::bool("is-public")
        .help("Whether the group is shown publicly (pricing tables, customer portal)")
}

fn plan_groups() -> Group {
    Group::new("plan-groups", "Organize plans into groups for pricing tables and the customer portal")
        .alias("plan-group")
        .action(
            Action::post("create", "/plan-groups", "Create a plan group")
                .long_about(
                    "A plan belongs to at most one group, and customers can switch plans themselves only \
                     within a group. All plans in a group must support the same currencies.",
                )
                .flag(Flag::string("name").required().value_name("NAME").help("Group name"))
                .flag(Flag::string("description").value_name("TEXT").help("Group description"))
                .flag(is_public())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet plan-groups create --name "Main Plans" --description "Primary pricing tiers" --is-public true"#,
                    "A public group",
                )
                .object(),
        )
        .action(
            Action::get("list", "/plan-groups", "List plan groups")
                .flags(pagination())
                .example("commet plan-groups list", "The first page")
                .example("commet plan-groups list --limit 25 --cursor cur_xxx", "The next page")
                .table(&[
                    ("id", "ID"),
                    ("name", "NAME"),
                    ("description", "DESCRIPTION"),
                    ("isPublic", "PUBLIC"),
                    ("createdAt", "CREATED"),
                ]),
        )
        .action(
            Action::get("get", "/plan-groups/{id}", "Show a plan group with its plans in order")
                .flag(id())
                .example("commet plan-groups get --id pg_xxx", "")
                .object(),
        )
        .action(
            Action::patch("update", "/plan-groups/{id}", "Change a plan group's name, description or visibility")
                .flag(id())
                .flag(Flag::string("name").value_name("NAME").help("New group name"))
                .flag(Flag::string("description").value_name("TEXT").help("New description"))
                .flag(is_public())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet plan-groups update --id pg_xxx --name "Updated Plans" --description "New description" --is-public false"#,
                    "Rename and hide a group",
                )
                .object(),
        )
        .action(
            Action::delete("delete", "/plan-groups/{id}", "Delete a plan group")
                .flag(id())
                .example("commet plan-groups delete --id pg_xxx", "")
                .message("Deleted plan group {id}"),
        )
        .action(
            Action::post("add-plan", "/plan-groups/{id}/plans", "Add a plan to a group")
                .flag(id())
                .flag(plan_id().help("Plan to add (pln_...); a plan can be in one group only"))
                .flag(
                    Flag::integer("sort-order")
                        .value_name("N")
                        .help("Position of the plan in the group, lowest first"),
                )
                .flag(Flag::idempotency_key())
                .example("commet plan-groups add-plan --id pg_xxx --plan-id plan_xxx --sort-order 1", "")
                .message("Added the plan to the group"),
        )
        .action(
            Action::delete("remove-plan", "/plan-groups/{id}/plans/{planId}", "Take a plan out of a group")
                .flag(id())
                .flag(plan_id().help("Plan to remove (pln_...)"))
                .example("commet plan-groups remove-plan --id pg_xxx --plan-id plan_xxx", "")
                .message("Removed {id} from the plan group"),
        )
        .action(
            Action::put("reorder-plans", "/plan-groups/{id}/plans/reorder", "Set the order of the plans in a group")
                .flag(id())
                .flag(
                    Flag::json_array("plan-ids")
                        .required()
                        .help(r#"Every plan ID of the group, in the new order, as a JSON array, e.g. ["pln_a","pln_b"]"#),
                )
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet plan-groups reorder-plans --id pg_xxx --plan-ids '["plan_a","plan_b","plan_c"]'"#,
                    "",
                )
                .message("Reordered the plans of the group"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("plan-groups", env!("CARGO_PKG_VERSION"))
        .description("Plan groups: ordered sets of plans customers can switch between")
        .group(plan_groups())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
