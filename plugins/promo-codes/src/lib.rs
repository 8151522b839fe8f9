//! `commet promo-codes ...`: codes customers enter at checkout to get a
//! discount.

use commet_sdk::prelude::*;

const BILLING_INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly", "one_time"];
const DISCOUNT_TYPES: &[&str] = &["percentage", "amount"];

fn billing_interval() -> Flag {
    Flag::enumeration("billing-interval", BILLING_INTERVALS)
        .help("Accept the code only for subscriptions with this billing interval")
}

fn max_redemptions() -> Flag {
    Flag::integer("max-redemptions")
        .value_name("N")
        .help("How many times the code can be redeemed in total")
}

fn expires_at() -> Flag {
    Flag::date("expires-at").help("When the code stops working (ISO 8601 date or date-time)")
}

fn plan_ids() -> Flag {
    Flag::json_array("plan-ids")
        .help(r#"Restrict the code to these plans, as a JSON array of plan IDs, e.g. ["pln_pro","pln_team"]"#)
}

fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Promo code ID (prc_...)")
}

fn promo_codes() -> Group {
    Group::new("promo-codes", "Create and manage discount codes")
        .alias("promo-code")
        .action(
            Action::post("create", "/promo-codes", "Create a promo code")
                .long_about(
                    "The discount comes from an offer (--offer-id) with exactly one percentage or amount_off \
                     phase, or is given inline with --discount-type and --discount-value.",
                )
                .flag(
                    Flag::string("code")
                        .required()
                        .value_name("CODE")
                        .help("The code customers type, e.g. SUMMER25"),
                )
                .flag(
                    Flag::string("offer-id")
                        .value_name("ID")
                        .help("Offer that holds the discount (ofr_...)"),
                )
                .flag(
                    Flag::enumeration("discount-type", DISCOUNT_TYPES)
                        .help("Inline discount: a percentage or a fixed amount off"),
                )
                .flag(
                    Flag::number("discount-value")
                        .value_name("VALUE")
                        .help("Inline discount: percent off (percentage, e.g. 25) or cents off (amount, e.g. 1000)"),
                )
                .flag(
                    Flag::integer("duration-cycles")
                        .value_name("CYCLES")
                        .help("Inline discount: number of billing periods it applies to"),
                )
                .flag(billing_interval())
                .flag(max_redemptions())
                .flag(expires_at())
                .flag(plan_ids())
                .flag(Flag::idempotency_key())
                .one_of(&["code", "offer-id"])
                .one_of(&["code", "discount-type", "discount-value"])
                .example(
                    "commet promo-codes create --code SUMMER25 --discount-type percentage --discount-value 25 --duration-cycles 3 --max-redemptions 100",
                    "25% off for three periods, 100 uses",
                )
                .example(
                    r#"commet promo-codes create --code FLAT10 --discount-type amount --discount-value 1000 --plan-ids '["plan_pro","plan_team"]' --expires-at 2026-12-31"#,
                    "10.00 off two plans until the end of 2026",
                )
                .example(
                    "commet promo-codes create --code LAUNCH --offer-id ofr_xxx --billing-interval yearly",
                    "A code for an existing offer, yearly plans only",
                )
                .object(),
        )
        .action(
            Action::get("list", "/promo-codes", "List promo codes")
                .flags(pagination())
                .example("commet promo-codes list", "The first page")
                .example("commet promo-codes list --limit 25 --cursor cur_xxx", "The next page")
                .table(&[
                    ("id", "ID"),
                    ("code", "CODE"),
                    ("offerId", "OFFER"),
                    ("isActive", "ACTIVE"),
                    ("redemptionCount", "REDEEMED"),
                    ("maxRedemptions", "MAX"),
                    ("expiresAt", "EXPIRES"),
                ]),
        )
        .action(
            Action::get("get", "/promo-codes/{id}", "Show one promo code")
                .flag(id())
                .example("commet promo-codes get --id promo_xxx", "")
                .object(),
        )
        .action(
            Action::patch("update", "/promo-codes/{id}", "Change or deactivate a promo code")
                .flag(id())
                .flag(billing_interval())
                .flag(max_redemptions())
                .flag(expires_at())
                .flag(Flag::bool("active").help("false to stop accepting the code"))
                .flag(plan_ids())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet promo-codes update --id promo_xxx --active false --max-redemptions 50 --expires-at 2026-12-31 --plan-ids '["plan_pro"]'"#,
                    "",
                )
                .object(),
        )
}

fn plugin() -> Plugin {
    Plugin::new("promo-codes", env!("CARGO_PKG_VERSION"))
        .description("Promo codes: discounts customers redeem at checkout")
        .group(promo_codes())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
