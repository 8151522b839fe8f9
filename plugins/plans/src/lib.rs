//! `commet plans ...`: plans, the features they grant, their prices and
//! regional pricing.

use commet_sdk::prelude::*;

const CONSUMPTION_MODELS: &[&str] = &["metered", "credits", "balance"];
const BILLING_INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly", "one_time"];
const PRICING_MODES: &[&str] = &["fixed", "ai_model"];
const DISCOUNT_TYPES: &[&str] = &["percentage", "amount"];
const CURRENCIES: &[&str] = &[
    "usd", "ars", "brl", "clp", "cop", "pen", "uyu", "pyg", "bob", "mxn", "cad", "eur", "jpy",
    "cny", "krw", "hkd", "sgd", "twd", "inr", "thb",
];

/// `--id` on the plan's own commands (`get`, `update`, ...).
fn id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Plan ID (pln_...)")
}

/// `--plan-id` on the commands about a plan's features and prices; the
/// official CLI calls it `--id`, which stays accepted.
fn plan_id() -> Flag {
    Flag::string("plan-id")
        .key("id")
        .alias("id")
        .required()
        .value_name("ID")
        .help("Plan ID (pln_...)")
}

fn feature_id() -> Flag {
    Flag::string("feature-id")
        .required()
        .value_name("ID")
        .help("Feature ID (ftr_...)")
}

fn price_id() -> Flag {
    Flag::string("price-id")
        .required()
        .value_name("ID")
        .help("Price ID (pp_...)")
}

fn metadata() -> Flag {
    Flag::json_object("metadata")
        .help("Free-form metadata as a JSON object, e.g. {\"tier\":\"pro\"}")
}

fn is_public() -> Flag {
    Flag::bool("is-public")
        .help("Whether the plan is visible; private plans are hidden from `plans list` unless --include-private")
}

/// The allowance flags add-feature and update-feature share.
fn allowance_flags() -> Vec<Flag> {
    vec![
        Flag::bool("enabled").help("Whether the plan grants the feature at all (boolean features: on/off)"),
        Flag::integer("included-amount")
            .value_name("UNITS")
            .help("Units included each period (usage) or included capacity (seats, quota)"),
        Flag::bool("unlimited").help("Never block and never bill overage for this feature"),
        Flag::json_object("overage").help(
            r#"Overage settings as JSON, e.g. {"enabled":true,"unitPrice":100}; --overage-enabled and --overage-unit-price override its fields"#,
        ),
        Flag::bool("overage-enabled")
            .key("overage.enabled")
            .help("Bill usage above the included amount instead of blocking it"),
        Flag::number("overage-unit-price")
            .key("overage.unitPrice")
            .value_name("PRICE")
            .help("Price per unit above the included amount, fixed pricing (rate scale: 10000 = 1.00 of the currency)"),
        Flag::number("credits-per-unit")
            .value_name("CREDITS")
            .help("Credits burned per unit of usage (credits plans)"),
    ]
}

/// The price flags add-price and update-price share.
fn price_flags() -> Vec<Flag> {
    vec![
        Flag::number("price")
            .value_name("CENTS")
            .help("Price per billing period in the currency's smallest unit (2900 = 29.00)"),
        Flag::integer("trial-days")
            .value_name("DAYS")
            .help("Free trial length in days (0 for none)"),
        Flag::bool("is-default").help("Make this the plan's default price"),
        Flag::number("included-balance")
            .value_name("CENTS")
            .help("Balance granted each period, in cents (balance plans)"),
        Flag::integer("included-credits")
            .value_name("CREDITS")
            .help("Credits granted each period (credits plans)"),
        Flag::json_object("metadata").help("Free-form metadata for the price as a JSON object"),
        Flag::json_array("market-prices").help(
            r#"Per-market prices as a JSON array, e.g. [{"marketGroupId":"pmg_123","currency":"eur","price":2700}]"#,
        ),
    ]
}

const PLAN_COLUMNS: &[(&str, &str)] = &[
    ("id", "ID"),
    ("code", "CODE"),
    ("name", "NAME"),
    ("consumptionModel", "MODEL"),
    ("isPublic", "PUBLIC"),
    ("isFree", "FREE"),
    ("planGroupId", "GROUP"),
];

fn plans() -> Group {
    Group::new("plans", "Create plans, attach features and prices, and configure regional pricing")
        .alias("plan")
        .action(
            Action::post("create", "/plans", "Create a plan")
                .long_about(
                    "A plan has one consumption model: metered (base price plus included units, overage billed \
                     at period end), credits (the price grants credits that usage burns) or balance (usage \
                     deducts money from a granted balance). Add features and prices afterwards.",
                )
                .flag(Flag::string("name").required().value_name("NAME").help("Plan name shown to customers"))
                .flag(
                    Flag::string("code")
                        .required()
                        .value_name("CODE")
                        .help("Stable plan code used by your code and subscriptions, e.g. pro"),
                )
                .flag(Flag::string("description").value_name("TEXT").help("Plan description"))
                .flag(
                    Flag::enumeration("consumption-model", CONSUMPTION_MODELS)
                        .help("How usage is paid for: metered, credits or balance"),
                )
                .flag(is_public())
                .flag(Flag::bool("is-free").help("A free plan: no checkout, activated at once, usage capped at the included amounts"))
                .flag(Flag::bool("block-on-exhaustion").help(
                    "Reject usage once the balance or credits run out (otherwise a balance may go negative and the deficit is invoiced)",
                ))
                .flag(Flag::string("plan-group-id").value_name("ID").help("Plan group to put the plan in (plg_...)"))
                .flag(metadata())
                .flag(Flag::idempotency_key())
                .example(r#"commet plans create --name "Pro" --code pro"#, "A plan with defaults")
                .example(
                    r#"commet plans create --name "Developer" --code developer --consumption-model metered --is-public true --block-on-exhaustion true"#,
                    "A public metered plan that blocks usage when exhausted",
                )
                .object(),
        )
        .action(
            Action::get("list", "/plans", "List plans")
                .flag(Flag::bool("include-private").help("Also list private plans"))
                .flags(pagination())
                .example("commet plans list", "Public plans")
                .example("commet plans list --limit 25 --cursor cur_xxx", "The next page")
                .example("commet plans list --include-private true", "Private plans too")
                .table(PLAN_COLUMNS),
        )
        .action(
            Action::get("get", "/plans/{id}", "Show a plan with its features and prices")
                .flag(id().help("Plan ID (pln_...) or plan code, e.g. pro"))
                .example("commet plans get --id pro", "By code")
                .example("commet plans get --id plan_xxx", "By ID")
                .object(),
        )
        .action(
            Action::patch("update", "/plans/{id}", "Change a plan's name, description, metadata or visibility")
                .flag(id())
                .flag(Flag::string("name").value_name("NAME").help("New plan name"))
                .flag(Flag::string("description").value_name("TEXT").help("New description"))
                .flag(metadata().help("Metadata as a JSON object; replaces the current metadata"))
                .flag(is_public())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet plans update --id plan_xxx --name "Pro Plus" --description "For growing teams" --metadata '{}' --is-public true"#,
                    "Rename and publish a plan",
                )
                .object(),
        )
        .action(
            Action::delete("delete", "/plans/{id}", "Delete a plan")
                .long_about(
                    "A soft delete: existing subscriptions keep billing on the plan, but it can no longer be assigned.",
                )
                .flag(id())
                .example("commet plans delete --id plan_xxx", "")
                .message("Deleted plan {id}"),
        )
        .action(
            Action::put("set-visibility", "/plans/{id}/visibility", "Make a plan public or private")
                .flag(id())
                .flag(is_public().required().help("true to show the plan publicly, false to hide it"))
                .flag(Flag::idempotency_key())
                .example("commet plans set-visibility --id plan_xxx --is-public false", "Hide a plan")
                .object(),
        )
        .action(
            Action::post("add-feature", "/plans/{id}/features", "Add a feature to a plan with its limits and pricing")
                .long_about(
                    "Pricing modes: fixed (a set price per unit of overage or usage) or ai_model (the model's \
                     token cost plus --margin percent; balance plans only).",
                )
                .flag(plan_id())
                .flag(feature_id())
                .flags(allowance_flags())
                .flag(Flag::enumeration("pricing-mode", PRICING_MODES).help("How usage is priced: fixed unit price or AI model token cost"))
                .flag(
                    Flag::number("margin")
                        .value_name("PERCENT")
                        .help("Margin in percent added to the AI model's token cost (ai_model pricing), e.g. 30"),
                )
                .flag(Flag::idempotency_key())
                .example(
                    "commet plans add-feature --plan-id plan_xxx --feature-id feat_xxx --included-amount 1000 --overage-enabled true --overage-unit-price 100",
                    "1000 included units, overage billed per unit",
                )
                .example(
                    "commet plans add-feature --plan-id plan_xxx --feature-id feat_xxx --pricing-mode ai_model --margin 30",
                    "AI token cost plus a 30% margin",
                )
                .object(),
        )
        .action(
            Action::patch("update-feature", "/plans/{id}/features/{featureId}", "Change a feature's limits or pricing on a plan")
                .flag(plan_id())
                .flag(feature_id())
                .flags(allowance_flags())
                .flag(Flag::idempotency_key())
                .example(
                    "commet plans update-feature --plan-id plan_xxx --feature-id feat_xxx --included-amount 2000",
                    "Raise the included amount",
                )
                .object(),
        )
        .action(
            Action::delete("remove-feature", "/plans/{id}/features/{featureId}", "Remove a feature from a plan")
                .flag(plan_id())
                .flag(feature_id())
                .example("commet plans remove-feature --plan-id plan_xxx --feature-id feat_xxx", "")
                .message("Removed {id} from the plan"),
        )
        .action(
            Action::post("add-price", "/plans/{id}/prices", "Add a price to a plan")
                .long_about(
                    "Either give --price, or make a market variant of another price with \
                     --inherits-from-price-id and --market-prices.",
                )
                .flag(plan_id())
                .flag(
                    Flag::enumeration("billing-interval", BILLING_INTERVALS)
                        .required()
                        .help("How often the price is charged"),
                )
                .flags(price_flags())
                .flag(
                    Flag::string("inherits-from-price-id")
                        .value_name("ID")
                        .help("Base price this variant inherits from (with --market-prices)"),
                )
                .flag(
                    Flag::bool("intro-offer-enabled")
                        .key("introOffer.enabled")
                        .help("Give new subscribers an introductory discount"),
                )
                .flag(
                    Flag::enumeration("intro-offer-discount-type", DISCOUNT_TYPES)
                        .key("introOffer.discountType")
                        .help("Intro discount as a percentage or a fixed amount off"),
                )
                .flag(
                    Flag::number("intro-offer-discount-value")
                        .key("introOffer.discountValue")
                        .value_name("VALUE")
                        .help("Intro discount: percent off (percentage) or cents off (amount)"),
                )
                .flag(
                    Flag::integer("intro-offer-duration-cycles")
                        .key("introOffer.durationCycles")
                        .value_name("CYCLES")
                        .help("Number of billing periods the intro discount lasts"),
                )
                .flag(Flag::idempotency_key())
                .one_of(&["billing-interval", "price"])
                .one_of(&["billing-interval", "inherits-from-price-id", "market-prices"])
                .example("commet plans add-price --plan-id plan_xxx --billing-interval monthly --price 2900", "29.00 a month")
                .example(
                    "commet plans add-price --plan-id plan_xxx --billing-interval yearly --price 29000 --trial-days 14 --intro-offer-enabled true --intro-offer-discount-type percentage --intro-offer-discount-value 50 --intro-offer-duration-cycles 3",
                    "Yearly with a trial and 50% off the first 3 periods",
                )
                .example(
                    r#"commet plans add-price --plan-id plan_xxx --billing-interval monthly --inherits-from-price-id price_xxx --market-prices '[{"marketGroupId":"pmg_eu","currency":"eur","price":2700}]'"#,
                    "A market variant of another price",
                )
                .object(),
        )
        .action(
            Action::patch("update-price", "/plans/{id}/prices/{priceId}", "Change a plan price")
                .long_about("Subscriptions on this price renew at its new amount.")
                .flag(plan_id())
                .flag(price_id())
                .flags(price_flags())
                .flag(Flag::idempotency_key())
                .example("commet plans update-price --plan-id plan_xxx --price-id price_xxx --price 3900", "Raise the price to 39.00")
                .object(),
        )
        .action(
            Action::delete("delete-price", "/plans/{id}/prices/{priceId}", "Archive a plan price")
                .long_about("Archived prices can no longer be chosen; existing subscriptions keep them.")
                .flag(plan_id())
                .flag(price_id())
                .example("commet plans delete-price --plan-id plan_xxx --price-id price_xxx", "")
                .message("Deleted price {id}"),
        )
        .action(
            Action::put("set-default-price", "/plans/{id}/prices/{priceId}/default", "Make a price the plan's default")
                .flag(plan_id())
                .flag(price_id())
                .flag(Flag::idempotency_key())
                .example("commet plans set-default-price --plan-id plan_xxx --price-id price_xxx", "")
                .object(),
        )
        .action(
            Action::put("set-regional-prices", "/plans/{id}/prices/{priceId}/regional", "Set local-currency overrides for one price")
                .flag(plan_id())
                .flag(price_id())
                .flag(Flag::json_array("overrides").required().help(
                    r#"Overrides as a JSON array of {currency, price, includedBalance?} with amounts in cents, e.g. [{"currency":"EUR","price":2700}]"#,
                ))
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet plans set-regional-prices --plan-id plan_xxx --price-id price_xxx --overrides '[{"currency":"EUR","price":2700},{"currency":"BRL","price":14900}]'"#,
                    "Euro and real prices",
                )
                .object(),
        )
        .action(
            Action::delete("delete-regional-prices", "/plans/{id}/prices/{priceId}/regional", "Remove a price's local-currency overrides")
                .flag(plan_id())
                .flag(price_id())
                .example("commet plans delete-regional-prices --plan-id plan_xxx --price-id price_xxx", "")
                .message("Deleted the regional prices"),
        )
        .action(
            Action::put("set-regional-pricing", "/plans/{id}/regional", "Configure a plan for another currency")
                .long_about(
                    "Sets the exchange rate from USD for the currency; --prices and --features override \
                     individual converted amounts.",
                )
                .flag(
                    Flag::string("id")
                        .alias("plan-id")
                        .required()
                        .value_name("ID")
                        .help("Plan ID (pln_...)"),
                )
                .flag(Flag::enumeration("currency", CURRENCIES).required().help("Currency to configure"))
                .flag(
                    Flag::number("exchange-rate")
                        .required()
                        .value_name("RATE")
                        .help("Units of the currency per 1 USD, e.g. 0.92 for eur"),
                )
                .flag(Flag::json_array("prices").help(
                    r#"Price overrides as a JSON array of {priceId, price, includedBalance?} in cents, e.g. [{"priceId":"pp_1","price":2700}]"#,
                ))
                .flag(Flag::json_array("features").help(
                    r#"Overage price overrides as a JSON array of {featureId, overageUnitPrice}, e.g. [{"featureId":"ftr_1","overageUnitPrice":90}]"#,
                ))
                .flag(Flag::idempotency_key())
                .example("commet plans set-regional-pricing --id plan_xxx --currency eur --exchange-rate 0.92", "Convert at a fixed rate")
                .example(
                    r#"commet plans set-regional-pricing --id plan_xxx --currency brl --exchange-rate 5.1 --prices '[{"priceId":"price_xxx","price":14900}]'"#,
                    "With a rounded price",
                )
                .object(),
        )
}

fn plugin() -> Plugin {
    Plugin::new("plans", env!("CARGO_PKG_VERSION"))
        .description("Plans, their features, prices and regional pricing")
        .group(plans())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
