//! `commet transactions ...`: payment attempts (one per charge try), their
//! refunds and retries.

use commet_sdk::prelude::*;

const TRANSACTION_STATUSES: &[&str] = &["pending", "succeeded", "failed", "refunded", "disputed"];

fn transaction_id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Transaction ID (txn_...)")
}

fn transactions() -> Group {
    Group::new(
        "transactions",
        "List payment transactions, refund them and retry failed ones",
    )
    .alias("transaction")
    .action(
        Action::get(
            "list",
            "/transactions",
            "List payment transactions, newest first",
        )
        .long_about(
            "Each payment attempt is one transaction, so a failed renewal that was \
                     retried shows up twice. Amounts are in cents: AMOUNT is in USD, \
                     presentmentAmount (in `get`) in the currency actually charged.",
        )
        .flags(pagination())
        .flag(
            Flag::enumeration("status", TRANSACTION_STATUSES)
                .help("Only transactions in this status"),
        )
        .flag(
            Flag::string("customer-email")
                .value_name("EMAIL")
                .help("Only transactions of the customer with this email"),
        )
        .example("commet transactions list", "The first page")
        .example(
            "commet transactions list --limit 20 --cursor cur_xxx",
            "The next page",
        )
        .example(
            "commet transactions list --status succeeded",
            "Successful payments",
        )
        .example(
            "commet transactions list --customer-email user@acme.com",
            "One customer's payments",
        )
        .table(&[
            ("id", "ID"),
            ("status", "STATUS"),
            ("grossAmount", "AMOUNT"),
            ("currency", "CURRENCY"),
            ("provider", "PROVIDER"),
            ("customerEmail", "CUSTOMER"),
            ("invoiceId", "INVOICE"),
            ("createdAt", "CREATED"),
        ]),
    )
    .action(
        Action::get("get", "/transactions/{id}", "Show one transaction")
            .flag(transaction_id())
            .example("commet transactions get --id txn_xxx", "")
            .object(),
    )
    .action(
        Action::post(
            "refund",
            "/transactions/{id}/refund",
            "Refund a transaction in full",
        )
        .long_about(
            "Refunds are full only. Refunding a subscription invoice in full also \
                     cancels that subscription.",
        )
        .flag(transaction_id())
        .flag(Flag::idempotency_key())
        .example("commet transactions refund --id txn_xxx", "Full refund")
        .object(),
    )
    .action(
        Action::post(
            "retry",
            "/transactions/{id}/retry",
            "Retry a failed renewal payment now",
        )
        .long_about(
            "Only for failed renewal payments. The retry is a new transaction; the \
                     failed one is left as it is. Success settles the invoice and brings the \
                     subscription back to active.",
        )
        .flag(transaction_id())
        .flag(Flag::idempotency_key())
        .example("commet transactions retry --id txn_xxx", "")
        .message("Retry of {originalTransactionId} for invoice {invoiceId}: {status}"),
    )
}

fn plugin() -> Plugin {
    Plugin::new("transactions", env!("CARGO_PKG_VERSION"))
        .description("Payment transactions, refunds and retries")
        .group(transactions())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
