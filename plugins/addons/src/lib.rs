//! `commet addons ...`: purchasable feature extensions and the add-ons a
//! customer has active.

use commet_sdk::prelude::*;

const ADDON_MODELS: &[&str] = &["boolean", "metered", "credits", "balance"];

fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Add-on ID (adn_...) or slug")
}

fn name() -> Flag {
    Flag::string("name")
        .value_name("NAME")
        .help("Add-on name shown to customers")
}

fn description() -> Flag {
    Flag::string("description")
        .value_name("TEXT")
        .help("Add-on description")
}

fn base_price() -> Flag {
    Flag::number("base-price").value_name("CENTS").help(
        "Price per billing period in USD cents (500 = 5.00); converted at the plan's exchange rate",
    )
}

fn included_units() -> Flag {
    Flag::integer("included-units")
        .value_name("UNITS")
        .help("Units included each period (metered add-ons)")
}

fn overage_rate() -> Flag {
    Flag::number("overage-rate")
        .value_name("PRICE")
        .help("Price per unit beyond the included units (metered) or per unit used (balance)")
}

const ADDON_COLUMNS: &[(&str, &str)] = &[
    ("id", "ID"),
    ("slug", "SLUG"),
    ("name", "NAME"),
    ("featureCode", "FEATURE"),
    ("consumptionModel", "MODEL"),
    ("basePrice", "BASE PRICE"),
];

fn addons() -> Group {
    Group::new("addons", "Create and manage purchasable feature extensions")
        .alias("addon")
        .action(
            Action::post("create", "/addons", "Create an add-on")
                .long_about(
                    "Each feature can back one add-on. What a model needs: metered --included-units and \
                     --overage-rate; credits --credit-cost; balance --overage-rate; boolean nothing more. \
                     A boolean add-on works with any plan; the others must match the plan's consumption model.",
                )
                .flag(name().required())
                .flag(description())
                .flag(base_price().required())
                .flag(
                    Flag::string("feature-id")
                        .required()
                        .value_name("ID")
                        .help("Feature the add-on extends (ftr_...)"),
                )
                .flag(
                    Flag::enumeration("consumption-model", ADDON_MODELS)
                        .required()
                        .help("How the add-on is consumed"),
                )
                .flag(included_units())
                .flag(overage_rate())
                .flag(
                    Flag::number("credit-cost")
                        .value_name("CREDITS")
                        .help("Credits drawn per unit of usage (credits add-ons)"),
                )
                .flag(Flag::idempotency_key())
                .one_of(&["name", "base-price", "feature-id", "consumption-model"])
                .one_of(&[
                    "name",
                    "base-price",
                    "feature-id",
                    "consumption-model",
                    "included-units",
                    "overage-rate",
                ])
                .one_of(&["name", "base-price", "feature-id", "consumption-model", "credit-cost"])
                .one_of(&["name", "base-price", "feature-id", "consumption-model", "overage-rate"])
                .example(
                    r#"commet addons create --name "Extra Storage" --base-price 500 --feature-id feat_xxx --consumption-model metered --included-units 100 --overage-rate 10"#,
                    "A metered add-on with 100 included units",
                )
                .example(
                    r#"commet addons create --name "Priority Support" --base-price 2900 --feature-id feat_xxx --consumption-model boolean"#,
                    "An on/off add-on",
                )
                .object(),
        )
        .action(
            Action::get("list", "/addons", "List add-ons")
                .flags(pagination())
                .example("commet addons list", "The first page")
                .example("commet addons list --limit 25 --cursor cur_xxx", "The next page")
                .table(ADDON_COLUMNS),
        )
        .action(
            Action::get("get", "/addons/{id}", "Show one add-on")
                .flag(id())
                .example("commet addons get --id addon_xxx", "")
                .object(),
        )
        .action(
            Action::patch("update", "/addons/{id}", "Change an add-on's name, description or pricing")
                .flag(id())
                .flag(name().help("New add-on name"))
                .flag(description().help("New description"))
                .flag(base_price())
                .flag(included_units())
                .flag(overage_rate())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet addons update --id addon_xxx --name "Extra Storage Pro" --description "100GB extra" --base-price 900 --included-units 100 --overage-rate 10"#,
                    "Reprice an add-on",
                )
                .object(),
        )
        .action(
            Action::delete("delete", "/addons/{id}", "Delete an add-on")
                .long_about("A soft delete, refused while the add-on is active on any subscription.")
                .flag(id())
                .example("commet addons delete --id addon_xxx", "")
                .message("Deleted add-on {id}"),
        )
        .action(
            Action::get("list-active", "/active-addons", "List the add-ons active for a customer")
                .flag(
                    Flag::string("customer-id")
                        .required()
                        .value_name("ID")
                        .help("Customer ID (cus_...) or your external ID"),
                )
                .example("commet addons list-active --customer-id user_123", "")
                .table(&[
                    ("slug", "SLUG"),
                    ("name", "NAME"),
                    ("featureCode", "FEATURE"),
                    ("consumptionModel", "MODEL"),
                    ("basePrice", "BASE PRICE"),
                    ("activatedAt", "ACTIVATED"),
                ]),
        )
}

fn plugin() -> Plugin {
    Plugin::new("addons", env!("CARGO_PKG_VERSION"))
        .description("Add-ons: features customers can buy on top of their plan")
        .group(addons())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
