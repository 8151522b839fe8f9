//! `commet payments ...`: one-off payments outside subscriptions, either a
//! hosted payment link or a direct charge of a saved payment method.

use commet_sdk::prelude::*;

const CURRENCIES: &[&str] = &[
    "usd", "ars", "brl", "clp", "cop", "pen", "uyu", "pyg", "bob", "mxn", "cad", "eur", "jpy",
    "cny", "krw", "hkd", "sgd", "twd", "inr", "thb",
];

fn payment_id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Payment ID (pay_...)")
}

fn amount() -> Flag {
    Flag::number("amount")
        .required()
        .value_name("CENTS")
        .help("Amount in the currency's smallest unit (2500 = 25.00)")
}

fn currency() -> Flag {
    Flag::enumeration("currency", CURRENCIES)
        .required()
        .help("Currency of the amount (lowercase ISO code)")
}

fn description() -> Flag {
    Flag::string("description")
        .required()
        .value_name("TEXT")
        .help("What the payment is for, shown to the customer")
}

fn metadata() -> Flag {
    Flag::json_object("metadata")
        .help(r#"Free-form metadata as a JSON object of strings, e.g. {"orderId":"A-1001"}"#)
}

fn payments() -> Group {
    Group::new("payments", "One-off payments: payment links and direct charges")
        .alias("payment")
        .action(
            Action::get("list", "/payments", "List one-off payments, newest first")
                .flags(pagination())
                .flag(
                    Flag::string("customer-id")
                        .value_name("ID")
                        .help("Only payments of this customer (cus_... or your external ID)"),
                )
                .example("commet payments list", "The first page")
                .example("commet payments list --customer-id user_123 --limit 10", "A customer's latest payments")
                .table(&[
                    ("id", "ID"),
                    ("kind", "KIND"),
                    ("status", "STATUS"),
                    ("amountTotal", "TOTAL"),
                    ("currency", "CURRENCY"),
                    ("customerId", "CUSTOMER"),
                    ("description", "DESCRIPTION"),
                    ("createdAt", "CREATED"),
                ]),
        )
        .action(
            Action::get("get", "/payments/{id}", "Show one payment")
                .flag(payment_id())
                .example("commet payments get --id pay_xxx", "")
                .object(),
        )
        .action(
            Action::post("create", "/payments", "Create a payment link for a one-off amount")
                .long_about(
                    "Returns a hosted checkout URL to send to the payer. Without --customer-id \
                     anyone with the link can pay.",
                )
                .flag(amount())
                .flag(currency())
                .flag(
                    Flag::string("customer-id")
                        .value_name("ID")
                        .help("Customer the payment belongs to (cus_... or your external ID)"),
                )
                .flag(description())
                .flag(
                    Flag::string("success-url")
                        .value_name("URL")
                        .help("Where the payer is sent after paying"),
                )
                .flag(metadata())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet payments create --amount 4900 --currency usd --description "Setup fee" --customer-id user_123"#,
                    "A 49.00 payment link for a customer",
                )
                .example(
                    r#"commet payments create --amount 150000 --currency mxn --description "Workshop" --success-url https://acme.com/thanks"#,
                    "A link anyone can pay",
                )
                .object(),
        )
        .action(
            Action::post("charge", "/payments/charge", "Charge a customer's saved payment method now")
                .long_about(
                    "Charges the payment method the customer already has on file, without a \
                     checkout page. Works while a subscription is past due.",
                )
                .flag(
                    Flag::string("customer-id")
                        .required()
                        .value_name("ID")
                        .help("Customer to charge (cus_... or your external ID)"),
                )
                .flag(amount())
                .flag(currency())
                .flag(description())
                .flag(metadata())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet payments charge --customer-id user_123 --amount 2500 --currency usd --description "Extra report""#,
                    "Charge 25.00",
                )
                .object(),
        )
        .action(
            Action::post("cancel", "/payments/{id}/cancel", "Cancel a payment that has not been paid")
                .flag(payment_id())
                .flag(Flag::idempotency_key())
                .example("commet payments cancel --id pay_xxx", "")
                .message("Payment {id} is now {status}."),
        )
}

fn plugin() -> Plugin {
    Plugin::new("payments", env!("CARGO_PKG_VERSION"))
        .description("One-off payments: links and charges")
        .group(payments())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
