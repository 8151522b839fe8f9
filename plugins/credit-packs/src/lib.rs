//! `commet credit-packs ...`: credit bundles customers on credits plans can
//! buy.

use commet_sdk::prelude::*;

fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Credit pack ID (cpk_...)")
}

fn name() -> Flag {
    Flag::string("name")
        .value_name("NAME")
        .help("Pack name, unique within the organization")
}

fn description() -> Flag {
    Flag::string("description")
        .value_name("TEXT")
        .help("Pack description")
}

fn credits() -> Flag {
    Flag::integer("credits")
        .value_name("CREDITS")
        .help("Number of credits the pack grants (they never expire)")
}

fn price() -> Flag {
    Flag::number("price")
        .value_name("CENTS")
        .help("Price in USD cents (4900 = 49.00)")
}

fn is_active() -> Flag {
    Flag::bool("is-active").help("Whether customers can buy the pack")
}

fn credit_packs() -> Group {
    Group::new(
        "credit-packs",
        "Create and manage credit packs for credit-based plans",
    )
    .alias("credit-pack")
    .action(
        Action::post("create", "/credit-packs", "Create a credit pack")
            .long_about("Packs can be bought only on plans with the credits consumption model.")
            .flag(name().required())
            .flag(description())
            .flag(credits().required())
            .flag(price().required())
            .flag(is_active())
            .flag(Flag::idempotency_key())
            .example(
                r#"commet credit-packs create --name "500 Credits" --credits 500 --price 4900"#,
                "500 credits for 49.00",
            )
            .object(),
    )
    .action(
        Action::get("list", "/credit-packs", "List credit packs")
            .example("commet credit-packs list", "Every pack")
            .table(&[
                ("id", "ID"),
                ("name", "NAME"),
                ("credits", "CREDITS"),
                ("price", "PRICE"),
                ("currency", "CURRENCY"),
                ("description", "DESCRIPTION"),
            ]),
    )
    .action(
        Action::patch("update", "/credit-packs/{id}", "Change a credit pack")
            .flag(id())
            .flag(name().help("New pack name, unique within the organization"))
            .flag(description().help("New description"))
            .flag(credits().help("New number of credits"))
            .flag(price().help("New price in USD cents"))
            .flag(is_active())
            .flag(Flag::idempotency_key())
            .example(
                "commet credit-packs update --id cp_xxx --price 3900",
                "Lower the price to 39.00",
            )
            .example(
                "commet credit-packs update --id cp_xxx --is-active false",
                "Stop selling a pack",
            )
            .object(),
    )
    .action(
        Action::delete("delete", "/credit-packs/{id}", "Delete a credit pack")
            .long_about("Credits customers already bought stay theirs.")
            .flag(id())
            .example("commet credit-packs delete --id cp_xxx", "")
            .message("Deleted credit pack {id}"),
    )
}

fn plugin() -> Plugin {
    Plugin::new("credit-packs", env!("CARGO_PKG_VERSION"))
        .description("Credit packs: credits customers buy on top of their plan")
        .group(credit_packs())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
