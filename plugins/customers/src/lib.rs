//! `commet customers ...`: customers, their invoice credits and plan grants.

use commet_sdk::prelude::*;

const CURRENCIES: &[&str] = &[
    "usd", "ars", "brl", "clp", "cop", "pen", "uyu", "pyg", "bob", "mxn", "cad", "eur", "jpy",
    "cny", "krw", "hkd", "sgd", "twd", "inr", "thb",
];
const GRANT_DURATIONS: &[&str] = &["cycles", "until_date", "until_revoked"];

fn customer_id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Customer ID (cus_...) or your own external ID")
}

/// Flags shared by create and update.
fn profile_flags() -> Vec<Flag> {
    vec![
        Flag::string("full-name").value_name("NAME").help("Full name or company name"),
        Flag::string("external-id").value_name("ID").help("Your own stable identifier for this customer"),
        Flag::string("tax-document").value_name("DOC").help("Tax ID (VAT, CUIT, EIN, ...)"),
        Flag::string("timezone").value_name("TZ").help("IANA timezone, e.g. America/Lima"),
        Flag::json_object("metadata").help("Free-form metadata as a JSON object"),
        Flag::json_object("address").help(r#"Billing address, e.g. {"line1":"1 Main St","city":"Lima","postalCode":"15001","country":"PE"}"#),
    ]
}

const LIST_COLUMNS: &[(&str, &str)] = &[
    ("id", "ID"),
    ("externalId", "EXTERNAL ID"),
    ("email", "EMAIL"),
    ("fullName", "NAME"),
    ("createdAt", "CREATED"),
];

fn customers() -> Group {
    Group::new("customers", "Create, find and update the customers you bill")
        .alias("customer")
        .action(
            Action::post("create", "/customers", "Create a customer")
                .long_about("Creating again with the same --id returns the existing customer instead of a duplicate.")
                .flag(Flag::string("email").required().value_name("EMAIL").help("Billing email address"))
                .flag(Flag::string("id").value_name("ID").help("Your own customer ID (creating twice with it is safe)"))
                .flags(profile_flags())
                .flag(Flag::string("address-id").value_name("ID").help("ID of an address already on file"))
                .flag(Flag::string("domain").value_name("DOMAIN").help("Company domain, e.g. acme.com"))
                .flag(Flag::string("website").value_name("URL").help("Website URL"))
                .flag(Flag::string("language").value_name("LANG").help("Preferred language code, e.g. en or es"))
                .flag(Flag::string("industry").value_name("INDUSTRY").help("Industry"))
                .flag(Flag::idempotency_key())
                .example("commet customers create --email user@acme.com --id user_123", "A customer keyed by your own ID")
                .example(
                    r#"commet customers create --email billing@corp.com --full-name "Acme Corp" --metadata '{"plan":"enterprise"}'"#,
                    "With a name and metadata",
                )
                .object(),
        )
        .action(
            Action::get("get", "/customers/{id}", "Show one customer")
                .flag(customer_id())
                .example("commet customers get --id cus_123", "By Commet ID")
                .example("commet customers get --id user_123", "By your external ID")
                .object(),
        )
        .action(
            Action::patch("update", "/customers/{id}", "Change a customer's details")
                .flag(customer_id())
                .flag(Flag::string("email").value_name("EMAIL").help("New billing email"))
                .flags(profile_flags())
                .flag(Flag::idempotency_key())
                .example("commet customers update --id cus_123 --email new@acme.com", "Change the billing email")
                .object(),
        )
        .action(
            Action::get("list", "/customers", "List customers, newest first")
                .flags(pagination())
                .flag(Flag::string("search").value_name("TEXT").help("Match email, name or IDs containing this text"))
                .flag(Flag::date("start-date").help("Only customers created on or after this date"))
                .flag(Flag::date("end-date").help("Only customers created before this date"))
                .flag(Flag::string("external-id").value_name("ID").help("Only the customer with this external ID"))
                .example("commet customers list", "The first page")
                .example("commet customers list --limit 25 --cursor cur_abc", "The next page")
                .example("commet customers list --start-date 2026-01-01 --end-date 2026-06-01", "Created in a date range")
                .example(r#"commet customers list --search "acme""#, "Search")
                .table(LIST_COLUMNS),
        )
        .action(
            Action::post("create-batch", "/customers/batch", "Create up to 100 customers in one call")
                .flag(
                    Flag::json_array("customers")
                        .required()
                        .help(r#"Customers as a JSON array, e.g. [{"email":"a@co.com"},{"email":"b@co.com","id":"user_2"}]"#),
                )
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet customers create-batch --customers '[{"email":"a@co.com"},{"email":"b@co.com"}]'"#,
                    "Two customers",
                )
                .example("commet customers create-batch --customers @customers.json", "From a file")
                .object(),
        )
        .action(
            Action::get("list-credits", "/customers/{id}/credits", "List a customer's invoice credits")
                .flag(customer_id())
                .example("commet customers list-credits --id cus_123", "")
                .table(&[
                    ("id", "ID"),
                    ("amount", "AMOUNT"),
                    ("remainingAmount", "REMAINING"),
                    ("currency", "CURRENCY"),
                    ("status", "STATUS"),
                    ("reason", "REASON"),
                ]),
        )
        .action(
            Action::post("create-credit", "/customers/{id}/credits", "Give a customer credit applied to future invoices")
                .flag(customer_id())
                .flag(Flag::integer("amount").required().value_name("CENTS").help("Amount in the currency's smallest unit (2500 = 25.00)"))
                .flag(Flag::enumeration("currency", CURRENCIES).required().help("Currency of the credit"))
                .flag(Flag::string("reason").required().value_name("TEXT").help("Why the credit is given"))
                .flag(Flag::datetime("expires-at").help("When unused credit expires"))
                .flag(Flag::idempotency_key())
                .example(r#"commet customers create-credit --id cus_123 --amount 2500 --currency usd --reason "Outage goodwill""#, "")
                .object(),
        )
        .action(
            Action::post("revoke-credit", "/customers/{id}/credits/{creditId}/revoke", "Revoke the unused part of a credit")
                .flag(customer_id())
                .flag(Flag::string("credit-id").required().value_name("ID").help("Credit ID (crd_...)"))
                .flag(Flag::idempotency_key())
                .example("commet customers revoke-credit --id cus_123 --credit-id crd_456", "")
                .object(),
        )
        .action(
            Action::get("list-plan-grants", "/customers/{id}/plan-grants", "List plans granted to a customer without payment")
                .flag(customer_id())
                .example("commet customers list-plan-grants --id cus_123", "")
                .table(&[
                    ("id", "ID"),
                    ("planId", "PLAN"),
                    ("status", "STATUS"),
                    ("duration", "DURATION"),
                    ("expiresAt", "EXPIRES"),
                ]),
        )
        .action(grant_action(
            Action::post("create-plan-grant", "/customers/{id}/plan-grants", "Grant a plan to a customer for free")
                .flag(Flag::string("subscription-id").required().value_name("ID").help("The subscription the grant applies to"))
                .flag(Flag::string("plan-id").required().value_name("ID").help("Plan to grant")),
            "commet customers create-plan-grant --id cus_123 --subscription-id sub_1 --plan-id pln_pro --reason Partner --duration cycles --duration-cycles 3",
        ))
        .action(grant_action(
            Action::patch("update-plan-grant", "/customers/{id}/plan-grants/{grantId}", "Change how long a plan grant lasts")
                .flag(Flag::string("grant-id").required().value_name("ID").help("Grant ID")),
            "commet customers update-plan-grant --id cus_123 --grant-id pgr_1 --reason Extended --duration until_date --expires-at 2026-12-31",
        ))
        .action(
            Action::post("revoke-plan-grant", "/customers/{id}/plan-grants/{grantId}/revoke", "End a plan grant now")
                .flag(customer_id())
                .flag(Flag::string("grant-id").required().value_name("ID").help("Grant ID"))
                .flag(Flag::string("reason").required().value_name("TEXT").help("Why the grant ends"))
                .flag(Flag::idempotency_key())
                .example("commet customers revoke-plan-grant --id cus_123 --grant-id pgr_1 --reason Churned", "")
                .object(),
        )
}

/// The flags plan-grant creation and update share (the action already has
/// its own identifying flags).
fn grant_action(action: Action, example: &str) -> Action {
    action
        .flag(customer_id())
        .flag(
            Flag::string("reason")
                .required()
                .value_name("TEXT")
                .help("Why the plan is granted"),
        )
        .flag(
            Flag::enumeration("duration", GRANT_DURATIONS)
                .required()
                .help("How the grant ends"),
        )
        .flag(
            Flag::integer("duration-cycles")
                .help("Number of billing cycles (with --duration cycles)"),
        )
        .flag(Flag::datetime("expires-at").help("End date (with --duration until_date)"))
        .flag(Flag::idempotency_key())
        .example(example, "")
        .object()
}

fn plugin() -> Plugin {
    Plugin::new("customers", env!("CARGO_PKG_VERSION"))
        .description("Customers, invoice credits and plan grants")
        .group(customers())
}

commet_sdk::export_plugin!(plugin);
