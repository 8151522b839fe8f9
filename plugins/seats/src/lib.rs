//! `commet seats ...`: seat counts for per-seat features (licences a customer
//! holds, such as team members or editors).

use commet_sdk::prelude::*;

fn customer_id() -> Flag {
    Flag::string("customer-id")
        .required()
        .value_name("ID")
        .help("Customer ID (cus_...) or your own external ID")
}

fn feature_code() -> Flag {
    Flag::string("feature-code")
        .required()
        .value_name("CODE")
        .help("Code of the seats feature, e.g. team_member")
}

/// What a seat change prints: the count before and after.
const SEAT_CHANGE: &str = "{featureCode} seats for {customerId}: {previousBalance} -> {newBalance}";

fn seats() -> Group {
    Group::new(
        "seats",
        "Add, remove and set the seats a customer holds on per-seat features",
    )
    .alias("seat")
    .action(
        Action::post("add", "/seats", "Add seats for a customer")
            .long_about(
                "Seats above the plan's included amount are billed per seat when overage is \
                     enabled: in advance at renewal, with a day-prorated true-up for seats added \
                     mid-period. With overage disabled the included amount is a hard cap.",
            )
            .flag(customer_id())
            .flag(feature_code())
            .flag(
                Flag::integer("count")
                    .value_name("N")
                    .default_value(json!(1))
                    .help("Number of seats to add"),
            )
            .flag(Flag::idempotency_key())
            .example(
                "commet seats add --customer-id user_123 --feature-code team_member",
                "Add one seat",
            )
            .example(
                "commet seats add --customer-id user_123 --feature-code team_member --count 5",
                "Add five seats",
            )
            .message(SEAT_CHANGE),
    )
    .action(
        Action::post("remove", "/seats/remove", "Remove seats from a customer")
            .long_about(
                "The count never drops below zero: removing more seats than the customer \
                     holds fails with insufficient_seats. Removals take billing effect at the end \
                     of the period; seats already paid for are not refunded.",
            )
            .flag(customer_id())
            .flag(feature_code())
            .flag(
                Flag::integer("count")
                    .value_name("N")
                    .default_value(json!(1))
                    .help("Number of seats to remove"),
            )
            .flag(Flag::idempotency_key())
            .example(
                "commet seats remove --customer-id user_123 --feature-code team_member",
                "Remove one seat",
            )
            .example(
                "commet seats remove --customer-id user_123 --feature-code team_member --count 3",
                "Remove three seats",
            )
            .message(SEAT_CHANGE),
    )
    .action(
        Action::put(
            "set",
            "/seats",
            "Set a customer's seat count for one feature",
        )
        .flag(customer_id())
        .flag(feature_code())
        .flag(
            Flag::integer("count")
                .required()
                .value_name("N")
                .help("The exact number of seats the customer should hold"),
        )
        .flag(Flag::idempotency_key())
        .example(
            "commet seats set --customer-id user_123 --feature-code team_member --count 10",
            "Hold exactly ten seats",
        )
        .message(SEAT_CHANGE),
    )
    .action(
        Action::put(
            "set-all",
            "/seats/bulk",
            "Set seat counts for several features at once",
        )
        .flag(customer_id())
        .flag(
            Flag::json_object("seats")
                .required()
                .value_name("JSON")
                .help(r#"Exact seat counts by feature code, e.g. {"team_member":5,"admin":2}"#),
        )
        .flag(Flag::idempotency_key())
        .example(
            r#"commet seats set-all --customer-id user_123 --seats '{"team_member":5,"admin":2}'"#,
            "Five team members and two admins",
        )
        .table(&[
            ("featureCode", "FEATURE"),
            ("previousBalance", "BEFORE"),
            ("newBalance", "AFTER"),
            ("customerId", "CUSTOMER"),
            ("ts", "AT"),
        ]),
    )
    .action(
        Action::get(
            "get-balance",
            "/seats/balance",
            "Show how many seats a customer holds on one feature",
        )
        .flag(customer_id())
        .flag(feature_code())
        .example(
            "commet seats get-balance --customer-id user_123 --feature-code team_member",
            "",
        )
        .object(),
    )
    .action(
        Action::get(
            "get-all-balances",
            "/seats/balances",
            "Show a customer's seat counts on every seats feature",
        )
        .flag(customer_id())
        .example("commet seats get-all-balances --customer-id user_123", "")
        .object(),
    )
}

fn plugin() -> Plugin {
    Plugin::new("seats", env!("CARGO_PKG_VERSION"))
        .description("Seat counts for per-seat billing")
        .group(seats())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
