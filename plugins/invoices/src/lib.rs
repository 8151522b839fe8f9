//! `commet invoices ...`: list and read invoices, get their PDFs, send them,
//! mark them paid or void, and bill one-off adjustments.

use commet_sdk::prelude::*;

const INVOICE_STATUSES: &[&str] = &["draft", "outstanding", "paid", "void", "uncollectible"];

fn invoice_id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Invoice ID (inv_...)")
}

fn invoices() -> Group {
    Group::new("invoices", "List invoices, download PDFs, send them and create adjustments")
        .alias("invoice")
        .action(
            Action::get("list", "/invoices", "List invoices, newest first")
                .flags(pagination())
                .flag(
                    Flag::string("customer-id")
                        .value_name("ID")
                        .help("Only invoices of this customer (cus_... or your external ID)"),
                )
                .flag(
                    Flag::enumeration("status", INVOICE_STATUSES)
                        .help("Only invoices in this status: draft, outstanding (unpaid or failed), paid, void, uncollectible (dunning exhausted)"),
                )
                .flag(
                    Flag::string("subscription-id")
                        .value_name("ID")
                        .help("Only invoices of this subscription (sub_...)"),
                )
                .example("commet invoices list", "The first page")
                .example("commet invoices list --limit 25 --cursor cur_xxx", "The next page")
                .example("commet invoices list --subscription-id sub_xxx", "One subscription's invoices")
                .example("commet invoices list --customer-id cus_xxx --status paid", "A customer's paid invoices")
                .table(&[
                    ("id", "ID"),
                    ("invoiceNumber", "NUMBER"),
                    ("customerId", "CUSTOMER"),
                    ("invoiceType", "TYPE"),
                    ("status", "STATUS"),
                    ("total", "TOTAL"),
                    ("currency", "CURRENCY"),
                    ("issueDate", "ISSUED"),
                    ("dueDate", "DUE"),
                ]),
        )
        .action(
            Action::get("get", "/invoices/{id}", "Show one invoice with its line items")
                .flag(invoice_id())
                .example("commet invoices get --id inv_xxx", "")
                .object(),
        )
        .action(
            Action::post("get-download-url", "/invoices/{id}/download-links", "Get a signed, expiring URL to the invoice PDF")
                .flag(invoice_id())
                .flag(Flag::idempotency_key())
                .example("commet invoices get-download-url --id inv_xxx", "")
                .message("{url}\n(link expires {expiresAt})"),
        )
        .action(
            Action::post("send", "/invoices/{id}/send", "Email the invoice to the customer")
                .flag(invoice_id())
                .flag(Flag::idempotency_key())
                .example("commet invoices send --id inv_xxx", "")
                .message("Invoice sent at {sentAt}."),
        )
        .action(
            Action::patch("update-status", "/invoices/{id}/status", "Mark an outstanding invoice paid or void")
                .long_about(
                    "Only outstanding invoices can change status. Marking one paid records a \
                     payment made outside Commet (no transaction is created); paying an overdue \
                     renewal brings its subscription back to active. Void is final: the invoice \
                     is never collected.",
                )
                .flag(invoice_id())
                .flag(
                    Flag::enumeration("status", &["paid", "void"])
                        .required()
                        .help("The new status"),
                )
                .flag(Flag::idempotency_key())
                .example("commet invoices update-status --id inv_xxx --status void", "Void an invoice")
                .example("commet invoices update-status --id inv_xxx --status paid", "Record an offline payment")
                .message("Invoice {id} ({invoiceNumber}) is now {status}."),
        )
        .action(
            Action::post("create-adjustment", "/invoices", "Bill a one-off charge or credit as an adjustment invoice")
                .long_about(
                    "A positive amount charges the customer; a negative amount credits them.",
                )
                .flag(
                    Flag::string("customer-id")
                        .required()
                        .value_name("ID")
                        .help("Customer ID (cus_...) or your own external ID"),
                )
                .flag(
                    Flag::number("amount")
                        .required()
                        .value_name("CENTS")
                        .help("Amount in cents (2500 = 25.00); negative for a credit"),
                )
                .flag(
                    Flag::string("description")
                        .required()
                        .value_name("TEXT")
                        .help("What the adjustment is for, shown on the invoice"),
                )
                .flag(Flag::json_object("metadata").help("Free-form metadata as a JSON object"))
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet invoices create-adjustment --customer-id cus_xxx --amount -500 --description "Courtesy credit""#,
                    "Credit 5.00",
                )
                .example(
                    r#"commet invoices create-adjustment --customer-id cus_xxx --amount 12000 --description "Onboarding workshop" --metadata '{"po":"4471"}'"#,
                    "Charge 120.00",
                )
                .object(),
        )
}

fn plugin() -> Plugin {
    Plugin::new("invoices", env!("CARGO_PKG_VERSION"))
        .description("Invoices: listing, PDFs, delivery, status and adjustments")
        .group(invoices())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
