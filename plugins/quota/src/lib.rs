//! `commet quota ...`: allowances of quota features, durable balances that go
//! up and down (unlike metered usage, they never reset).

use commet_sdk::prelude::*;

fn feature_code() -> Flag {
    Flag::string("feature-code")
        .required()
        .value_name("CODE")
        .help("Code of the quota feature, e.g. api_calls")
}

/// `--customer-id` / `--external-id`: writes take either.
fn customer_flags() -> [Flag; 2] {
    [
        Flag::string("customer-id")
            .value_name("ID")
            .help("Customer ID (cus_...) or your own external ID; give this or --external-id"),
        Flag::string("external-id")
            .value_name("ID")
            .help("The customer's external ID (your own identifier); give this or --customer-id"),
    ]
}

/// Adds the two ways of naming the customer (`one_of`), with the flags
/// that are part of every combination first.
fn either_customer(action: Action, with: &[&str]) -> Action {
    let by_id: Vec<&str> = with.iter().copied().chain(["customer-id"]).collect();
    let by_external: Vec<&str> = with.iter().copied().chain(["external-id"]).collect();
    action
        .flags(customer_flags())
        .one_of(&by_id)
        .one_of(&by_external)
}

const QUOTA_CHANGE: &str =
    "{featureCode} quota for {customerId}: {previousBalance} -> {newBalance}";

fn quota() -> Group {
    Group::new("quota", "Raise, lower and read customers' allowances on quota features")
        .alias("quotas")
        .action(
            either_customer(
                Action::post("add", "/usage/quota", "Add units to a customer's quota allowance")
                    .long_about(
                        "Units above the plan's included amount are billed on a high-water mark: \
                         each rise above the period's peak is billed from that day to the end of \
                         the period, on the next renewal invoice.",
                    )
                    .flag(feature_code())
                    .flag(
                        Flag::integer("count")
                            .value_name("N")
                            .default_value(json!(1))
                            .help("Units to add"),
                    ),
                &["feature-code"],
            )
            .flag(Flag::idempotency_key())
            .example(
                "commet quota add --feature-code api_calls --customer-id user_123 --count 100",
                "Add 100 units",
            )
            .example(
                "commet quota add --feature-code api_calls --external-id acct_42 --idempotency-key grant-2026-07",
                "Add one unit by external ID, at most once",
            )
            .message(QUOTA_CHANGE),
        )
        .action(
            either_customer(
                Action::post("remove", "/usage/quota/remove", "Remove units from a customer's quota allowance")
                    .long_about(
                        "The balance cannot go below zero (insufficient_balance). Removing units \
                         never lowers what the period is billed for, and adding them back up to \
                         the period's peak is free.",
                    )
                    .flag(feature_code())
                    .flag(
                        Flag::integer("count")
                            .value_name("N")
                            .default_value(json!(1))
                            .help("Units to remove"),
                    ),
                &["feature-code"],
            )
            .flag(Flag::idempotency_key())
            .example(
                "commet quota remove --feature-code api_calls --customer-id user_123 --count 10",
                "Remove 10 units",
            )
            .message(QUOTA_CHANGE),
        )
        .action(
            either_customer(
                Action::put("set", "/usage/quota", "Set a customer's quota allowance to an exact value")
                    .flag(feature_code())
                    .flag(
                        Flag::integer("count")
                            .required()
                            .value_name("N")
                            .help("The exact allowance the customer should hold"),
                    ),
                &["feature-code", "count"],
            )
            .flag(Flag::idempotency_key())
            .example(
                "commet quota set --feature-code api_calls --customer-id user_123 --count 500",
                "Set the allowance to 500",
            )
            .message(QUOTA_CHANGE),
        )
        .action(
            Action::get("get", "/usage/quota", "Show a customer's allowance on one quota feature")
                .flag(
                    Flag::string("customer-id")
                        .required()
                        .value_name("ID")
                        .help("Customer ID (cus_...) or your own external ID"),
                )
                .flag(feature_code())
                .example(
                    "commet quota get --customer-id user_123 --feature-code api_calls",
                    "",
                )
                .object(),
        )
        .action(
            Action::get("get-all", "/usage/quota/all", "List a customer's allowances on every quota feature")
                .flag(
                    Flag::string("customer-id")
                        .required()
                        .value_name("ID")
                        .help("Customer ID (cus_...) or your own external ID"),
                )
                .example("commet quota get-all --customer-id user_123", "")
                .table(&[
                    ("featureCode", "FEATURE"),
                    ("current", "CURRENT"),
                    ("included", "INCLUDED"),
                    ("remaining", "REMAINING"),
                    ("billedQuantity", "BILLED"),
                    ("unlimited", "UNLIMITED"),
                    ("overageEnabled", "OVERAGE"),
                ]),
        )
}

fn plugin() -> Plugin {
    Plugin::new("quota", env!("CARGO_PKG_VERSION"))
        .description("Quota allowances for quota features")
        .group(quota())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
