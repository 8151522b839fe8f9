//! `commet portal ...`: links to the customer portal, where customers manage
//! their own subscription, payment method and invoices.

use commet_sdk::prelude::*;

fn portal() -> Group {
    Group::new("portal", "Generate customer portal links for self-service billing")
        .action(
            Action::post("get-url", "/portal/sessions", "Generate a customer portal URL")
                .long_about(
                    "Identify the customer with --customer-id or --email. The URL signs the \
                     customer in without a password, so hand it only to that customer.",
                )
                .flag(
                    Flag::string("customer-id")
                        .value_name("ID")
                        .help("Customer ID (cus_...) or your own external ID; give this or --email"),
                )
                .flag(
                    Flag::string("email")
                        .value_name("EMAIL")
                        .help("The customer's billing email; give this or --customer-id"),
                )
                .flag(
                    Flag::string("return-url")
                        .value_name("URL")
                        .help("Where the portal's back link takes the customer, e.g. your app's settings page"),
                )
                .flag(Flag::idempotency_key())
                .one_of(&["email"])
                .one_of(&["customer-id"])
                .example("commet portal get-url --customer-id user_123", "By customer ID")
                .example("commet portal get-url --email user@acme.com", "By email")
                .example(
                    "commet portal get-url --customer-id user_123 --return-url https://app.acme.com/settings",
                    "With a link back to your app",
                )
                .message("{portalUrl}"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("portal", env!("CARGO_PKG_VERSION"))
        .description("Customer portal links")
        .group(portal())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
