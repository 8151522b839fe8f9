//! A complete plugin: `commet notes add --customer-id cus_123 --text "VIP"`.
use commet_sdk::prelude::*;

fn count_words(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let text = ctx.required_str("text")?;
    Ok(Output::message(format!(
        "{} words",
        text.split_whitespace().count()
    )))
}

fn plugin() -> Plugin {
    Plugin::new("notes", env!("CARGO_PKG_VERSION")).group(
        Group::new("notes", "Keep notes on customers")
            .action(
                Action::post(
                    "add",
                    "/customers/{id}/notes",
                    "Attach a note to a customer",
                )
                .flag(
                    Flag::string("customer-id")
                        .key("id")
                        .required()
                        .help("Customer ID"),
                )
                .flag(Flag::string("text").required().help("The note"))
                .example("commet notes add --customer-id cus_123 --text VIP", "")
                .object(),
            )
            .action(
                Action::custom("count", "Count words, offline", count_words)
                    .offline()
                    .flag(Flag::string("text").required().help("Text to count")),
            ),
    )
}

commet_sdk::export_plugin!(plugin);
