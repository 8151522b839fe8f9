//! `commet markets ...`: groups of countries that get their own prices and
//! currency.

use commet_sdk::prelude::*;

fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Market ID (pmg_...)")
}

fn name() -> Flag {
    Flag::string("name")
        .required()
        .value_name("NAME")
        .help("Market name, e.g. Europe")
}

fn country_codes() -> Flag {
    Flag::json_array("country-codes").required().help(
        r#"ISO 3166-1 alpha-2 country codes as a JSON array, e.g. ["DE","FR","ES"]; a country can be in one active market"#,
    )
}

fn metadata() -> Flag {
    Flag::json_object("metadata").help("Free-form metadata as a JSON object")
}

fn markets() -> Group {
    Group::new("markets", "Group countries into markets with their own prices and currency")
        .alias("market")
        .action(
            Action::post("create", "/markets", "Create a market")
                .long_about(
                    "Plan prices can then be overridden per market (--market-prices on `plans add-price` and \
                     `plans update-price`); customers are placed by their billing country.",
                )
                .flag(name())
                .flag(country_codes())
                .flag(metadata())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet markets create --name "Europe" --country-codes '["DE","FR","ES","IT"]'"#,
                    "A market for four countries",
                )
                .object(),
        )
        .action(
            Action::get("list", "/markets", "List markets")
                .example("commet markets list", "Every market")
                .table(&[
                    ("id", "ID"),
                    ("name", "NAME"),
                    ("countryCodes", "COUNTRIES"),
                    ("createdAt", "CREATED"),
                ]),
        )
        .action(
            Action::get("get", "/markets/{id}", "Show one market")
                .flag(id())
                .example("commet markets get --id pmg_xxx", "")
                .object(),
        )
        .action(
            Action::patch("update", "/markets/{id}", "Rename a market or change its countries")
                .long_about("Give the full name and country list; they replace the current ones.")
                .flag(id())
                .flag(name().help("Market name"))
                .flag(country_codes().help(
                    r#"The market's full list of country codes as a JSON array, e.g. ["DE","FR"]"#,
                ))
                .flag(metadata().help("Metadata as a JSON object; replaces the current metadata"))
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet markets update --id pmg_xxx --name "Western Europe" --country-codes '["DE","FR"]'"#,
                    "",
                )
                .object(),
        )
        .action(
            Action::delete("delete", "/markets/{id}", "Delete a market")
                .long_about("Refused while a plan price still has a price for the market.")
                .flag(id())
                .example("commet markets delete --id pmg_xxx", "")
                .message("Deleted market {id}"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("markets", env!("CARGO_PKG_VERSION"))
        .description("Markets: country groups with their own prices and currency")
        .group(markets())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
