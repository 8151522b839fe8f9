//! `commet payouts ...`: move collected money to your bank account, and set
//! up the payout account that receives it.

use commet_sdk::prelude::*;

fn payouts() -> Group {
    Group::new("payouts", "Manage payout bank accounts, request payouts and complete account verification")
        .alias("payout")
        .action(
            Action::post("request", "/payouts", "Request a payout of your available balance")
                .long_about(
                    "Money becomes available some time after each payment succeeds. The payout \
                     goes to the default bank account; a fee may be deducted (see fee and \
                     netAmount in the answer).",
                )
                .flag(
                    Flag::number("amount")
                        .required()
                        .value_name("CENTS")
                        .help("Amount in USD cents (50000 = 500.00), at least 1000"),
                )
                .flag(
                    Flag::string("description")
                        .value_name("TEXT")
                        .help("A note for your own records"),
                )
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet payouts request --amount 50000 --description "Weekly payout""#,
                    "Pay out 500.00",
                )
                .object(),
        )
        .action(
            Action::post("add-bank-account", "/payouts/bank-accounts", "Add a bank account that receives payouts")
                .flag(
                    Flag::string("account-number")
                        .required()
                        .value_name("NUMBER")
                        .help("Bank account number"),
                )
                .flag(
                    Flag::string("account-holder-name")
                        .required()
                        .value_name("NAME")
                        .help("Name of the account holder, as the bank has it"),
                )
                .flag(
                    Flag::string("routing-number")
                        .value_name("NUMBER")
                        .help("Bank routing number (US accounts)"),
                )
                .flag(
                    Flag::enumeration("account-type", &["checking", "savings"])
                        .help("Kind of bank account"),
                )
                .flag(Flag::bool("set-default").help("Make this the account payouts go to"))
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet payouts add-bank-account --account-number 000123456789 --account-holder-name "Acme Inc." --routing-number 110000000 --account-type checking --set-default true"#,
                    "A US checking account, used by default",
                )
                .object(),
        )
        .action(
            Action::post("complete-verification", "/payouts/verification", "Submit the verification (KYC) details of your payout account")
                .long_about(
                    "Sends everything the payout provider needs to verify who receives the \
                     money: contact, business, a bank account and the owner's identity \
                     details. Give --individual for an individual business or --company for a \
                     company.",
                )
                .flag(
                    Flag::string("email")
                        .required()
                        .value_name("EMAIL")
                        .help("Contact email of the account owner"),
                )
                .flag(
                    Flag::enumeration("business-type", &["individual", "company"])
                        .required()
                        .help("Whether payouts go to a person or to a company"),
                )
                .flag(
                    Flag::string("business-url")
                        .required()
                        .value_name("URL")
                        .help("Website of the business"),
                )
                .flag(
                    Flag::string("document-url")
                        .required()
                        .value_name("URL")
                        .help("URL of an identity or incorporation document"),
                )
                .flag(
                    Flag::json_object("bank")
                        .required()
                        .help(r#"Bank account as a JSON object, e.g. {"accountNumber":"000123456789","accountHolderName":"Acme Inc."}"#),
                )
                .flag(
                    Flag::json_object("individual")
                        .help("Identity details of the person, as a JSON object (with --business-type individual)"),
                )
                .flag(
                    Flag::json_object("company")
                        .help(r#"Company details as a JSON object, e.g. {"name":"Acme Inc.","taxId":"12-3456789"} (with --business-type company)"#),
                )
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet payouts complete-verification --email owner@acme.com --business-type company --business-url https://acme.com --document-url https://files.acme.com/incorporation.pdf --bank '{"accountNumber":"000123456789","accountHolderName":"Acme Inc."}' --company '{"name":"Acme Inc.","taxId":"12-3456789"}'"#,
                    "Verify a company",
                )
                .message("Verification details submitted."),
        )
}

fn plugin() -> Plugin {
    Plugin::new("payouts", env!("CARGO_PKG_VERSION"))
        .description("Payouts, payout bank accounts and payout verification")
        .group(payouts())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
