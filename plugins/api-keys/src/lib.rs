//! `commet api-keys ...`: the organization's API keys.

use commet_sdk::prelude::*;

fn api_keys() -> Group {
    Group::new("api-keys", "Create and manage API keys")
        .alias("api-key")
        .action(
            Action::post("create", "/api-keys", "Create an API key")
                .long_about(
                    "The secret (ck_...) is in the response only this once; store it right away.",
                )
                .flag(
                    Flag::string("name")
                        .required()
                        .value_name("NAME")
                        .help("Name to recognise the key by, e.g. Production"),
                )
                .flag(
                    Flag::integer("expires-in-days")
                        .value_name("DAYS")
                        .help("Days until the key stops working (default: never)"),
                )
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet api-keys create --name "Production" --expires-in-days 365"#,
                    "A key valid for a year",
                )
                .object(),
        )
        .action(
            Action::get("list", "/api-keys", "List API keys (without their secrets)")
                .flags(pagination())
                .example("commet api-keys list", "The first page")
                .example(
                    "commet api-keys list --limit 25 --cursor cur_xxx",
                    "The next page",
                )
                .table(&[
                    ("id", "ID"),
                    ("name", "NAME"),
                    ("prefix", "PREFIX"),
                    ("expiresAt", "EXPIRES"),
                    ("lastUsedAt", "LAST USED"),
                    ("createdAt", "CREATED"),
                ]),
        )
        .action(
            Action::delete(
                "delete",
                "/api-keys/{id}",
                "Delete an API key; requests using it fail from then on",
            )
            .flag(
                Flag::string("id")
                    .required()
                    .value_name("ID")
                    .help("API key ID (key_...), not the secret"),
            )
            .example("commet api-keys delete --id key_xxx", "")
            .message("Deleted API key {id}"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("api-keys", env!("CARGO_PKG_VERSION"))
        .description("API keys for the Commet API")
        .group(api_keys())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
