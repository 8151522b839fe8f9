//! `commet offers ...`: discount schedules (trials, percentage or amount off,
//! fixed prices) applied to a plan's base price.

use commet_sdk::prelude::*;

const PHASES_HELP: &str = r#"1 to 10 phases in order, as a JSON array. Types: {"type":"free_trial","durationDays":14} (first phase only); {"type":"percentage","percentage":5000,"durationCycles":3} (basis points, 5000 = 50%); {"type":"amount_off","amounts":[{"currency":"usd","amount":1000}],"durationCycles":1}; {"type":"fixed_price","prices":[{"currency":"usd","amount":900}],"durationCycles":null}. durationCycles counts billing periods; null (open-ended) only on the last phase; durationInterval is optional"#;

fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Offer ID (ofr_...)")
}

/// The flags create and update share (update takes the whole offer).
fn offer_flags() -> Vec<Flag> {
    vec![
        Flag::string("name")
            .required()
            .value_name("NAME")
            .help("Offer name"),
        Flag::json_array("phases").required().help(PHASES_HELP),
        Flag::json_object("metadata").help("Free-form metadata as a JSON object"),
        Flag::datetime("starts-at")
            .help("Start of the window in which the offer can be applied (ISO 8601)"),
        Flag::datetime("ends-at")
            .help("End of the window in which the offer can be applied (ISO 8601)"),
        Flag::bool("active").help("Whether the offer can be applied"),
    ]
}

fn offers() -> Group {
    Group::new("offers", "Create and manage offers: trials and discounts on a plan's base price")
        .alias("offer")
        .action(
            Action::post("create", "/offers", "Create an offer")
                .long_about(
                    "Offers discount only the plan's base price; overage, add-ons, credit packs and seats stay at \
                     list price. Use an offer directly on a subscription, as a price's intro offer, or behind a \
                     promo code (which needs exactly one percentage or amount_off phase).",
                )
                .flags(offer_flags())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet offers create --name "Half off for 3 months" --phases '[{"type":"percentage","percentage":5000,"durationCycles":3}]'"#,
                    "50% off for three billing periods",
                )
                .example(
                    r#"commet offers create --name "Trial then 10 off" --phases '[{"type":"free_trial","durationDays":14},{"type":"amount_off","amounts":[{"currency":"usd","amount":1000}],"durationCycles":1}]' --ends-at 2026-12-31T23:59:59Z"#,
                    "A 14-day trial, then 10.00 off the first period, until the end of 2026",
                )
                .object(),
        )
        .action(
            Action::get("list", "/offers", "List offers")
                .flags(pagination())
                .flag(Flag::bool("active").help("Only active (true) or inactive (false) offers"))
                .example("commet offers list", "The first page")
                .example("commet offers list --active true --limit 25", "Active offers only")
                .table(&[
                    ("id", "ID"),
                    ("name", "NAME"),
                    ("active", "ACTIVE"),
                    ("startsAt", "STARTS"),
                    ("endsAt", "ENDS"),
                    ("createdAt", "CREATED"),
                ]),
        )
        .action(
            Action::get("get", "/offers/{id}", "Show one offer with its phases")
                .flag(id())
                .example("commet offers get --id ofr_xxx", "")
                .object(),
        )
        .action(
            Action::patch("update", "/offers/{id}", "Change an offer")
                .long_about(
                    "Give the full name and phase list; they replace the current ones. Subscriptions that \
                     already accepted the offer keep the phases they got.",
                )
                .flag(id())
                .flags(offer_flags())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet offers update --id ofr_xxx --name "Half off" --phases '[{"type":"percentage","percentage":5000,"durationCycles":2}]' --active false"#,
                    "Shorten and deactivate an offer",
                )
                .object(),
        )
        .action(
            Action::delete("delete", "/offers/{id}", "Delete an offer")
                .flag(id())
                .example("commet offers delete --id ofr_xxx", "")
                .message("Deleted the offer"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("offers", env!("CARGO_PKG_VERSION"))
        .description("Offers: trials and discounts on plan prices")
        .group(offers())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
