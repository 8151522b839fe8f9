//! `commet feature-access ...`: what a customer's subscription lets them use
//! right now, feature by feature.

use commet_sdk::prelude::*;

fn customer_id() -> Flag {
    Flag::string("customer-id")
        .required()
        .value_name("ID")
        .help("Customer ID (cus_...) or your own external ID")
}

fn code() -> Flag {
    Flag::string("code")
        .required()
        .value_name("CODE")
        .help("Feature code, e.g. api_calls")
}

fn feature_access() -> Group {
    Group::new(
        "feature-access",
        "Check which features a customer can use and how much is left",
    )
    .action(
        Action::get(
            "list",
            "/feature-access",
            "List a customer's access to every feature",
        )
        .long_about(
            "Covers the features of the customer's plan and active add-ons. ALLOWED is \
                     the decision for one more unit right now.",
        )
        .flag(customer_id())
        .example(
            "commet feature-access list --customer-id user_123",
            "Everything the customer's plan grants",
        )
        .table(&[
            ("code", "CODE"),
            ("name", "NAME"),
            ("type", "TYPE"),
            ("allowed", "ALLOWED"),
            ("unitName", "UNIT"),
        ]),
    )
    .action(
        Action::get(
            "get",
            "/feature-access/{code}",
            "Show a customer's access to one feature",
        )
        .long_about(
            "Boolean features show whether they are enabled; usage and seats features \
                     show the current period with units used, included and remaining, and the \
                     overage terms; credit and balance plans show credits or money consumed.",
        )
        .flag(customer_id())
        .flag(code())
        .example(
            "commet feature-access get --customer-id user_123 --code api_calls",
            "",
        )
        .object(),
    )
    .action(
        Action::get(
            "can-use",
            "/feature-access/{code}",
            "Check whether a customer can use one more unit of a feature",
        )
        .long_about(
            "A quick yes/no before doing work the customer will be billed for. Nothing \
                     is consumed; record the usage afterwards with `commet usage track`.",
        )
        .flag(customer_id())
        .flag(code())
        .constant("action", json!("canUse"))
        .example(
            "commet feature-access can-use --customer-id user_123 --code api_calls",
            "",
        )
        .object(),
    )
}

fn plugin() -> Plugin {
    Plugin::new("feature-access", env!("CARGO_PKG_VERSION"))
        .description("Feature access checks")
        .group(feature_access())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
