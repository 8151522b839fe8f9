//! `commet usage ...`: record consumption of usage features, check what a
//! customer may still consume, and correct a period's total.

use commet_sdk::prelude::*;

fn customer_id() -> Flag {
    Flag::string("customer-id")
        .required()
        .value_name("ID")
        .help("Customer ID (cus_...) or your own external ID")
}

/// The feature code: `--feature` as users know it from `usage track`,
/// `--feature-code` as the API calls it; both work everywhere.
fn feature(primary: &str, other: &str) -> Flag {
    Flag::string(primary)
        .key("featureCode")
        .alias(other)
        .required()
        .value_name("CODE")
        .help("Code of the usage feature, e.g. api_calls")
}

fn tokens(name: &str, what: &str) -> Flag {
    Flag::integer(name).value_name("TOKENS").help(what)
}

fn track() -> Action {
    Action::post("track", "/usage/events", "Record a usage event")
        .long_about(
            "Two kinds of event: a plain quantity (--value), or an AI model call (--model with \
             --input-tokens and --output-tokens) whose cost comes from the model's token prices \
             and the plan's margin; the feature's pricing mode decides which one it accepts \
             (pricing_mode_mismatch otherwise).\n\n\
             Two ways to avoid counting an event twice: --event-id is your business key for the \
             event, stored on it, so a replayed event is recognised and not counted again; \
             --idempotency-key is sent as the Idempotency-Key header and makes a retried request \
             (same key, same body, within 24 hours) return the first result. The CLI already uses \
             one fresh idempotency key per command, reused on its own retries.",
        )
        .flag(feature("feature", "feature-code"))
        .flag(customer_id())
        .flag(
            Flag::number("value")
                .value_name("N")
                .help("Units consumed by this event, e.g. 1 API call (standard tracking)"),
        )
        .flag(
            Flag::string("model")
                .value_name("MODEL")
                .help("AI model that was called, e.g. gpt-4o or openai/gpt-4o (token tracking)"),
        )
        .flag(tokens("input-tokens", "Prompt tokens sent to the model, cached ones included (token tracking)"))
        .flag(tokens("output-tokens", "Completion tokens the model produced (token tracking)"))
        .flag(tokens("cache-read-tokens", "Input tokens served from the provider's prompt cache (token tracking)"))
        .flag(tokens("cache-write-tokens", "Input tokens written to the provider's prompt cache (token tracking)"))
        .flag(
            Flag::string("event-id")
                .value_name("ID")
                .help("Your unique ID for this event (up to 200 characters); an event replayed with the same ID is not counted twice"),
        )
        .flag(
            Flag::datetime("timestamp")
                .help("When the usage happened, ISO 8601 (default: now); it counts towards the period containing it"),
        )
        .flag(
            Flag::json_array("properties").help(
                r#"Extra dimensions for the event, as a JSON array of property/value pairs, e.g. [{"property":"region","value":"eu"}]"#,
            ),
        )
        .flag(Flag::idempotency_key().help(
            "Idempotency-Key header (up to 256 characters): a retried request with the same key is applied once; use --event-id to deduplicate the event itself",
        ))
        // The seed's "--value or --model"; the API adds that a model call
        // carries its input and output token counts.
        .one_of(&["value"])
        .one_of(&["model", "input-tokens", "output-tokens"])
        .example(
            "commet usage track --feature api_calls --customer-id user_123 --value 1",
            "One API call",
        )
        .example(
            "commet usage track --feature gpt-4o --customer-id user_123 --model gpt-4o --input-tokens 500 --output-tokens 150 --cache-read-tokens 200",
            "An AI call billed by tokens",
        )
        .example(
            r#"commet usage track --feature api_calls --customer-id user_123 --value 3 --event-id req_8f2c --properties '[{"property":"endpoint","value":"/search"}]'"#,
            "With your own event ID and a property",
        )
        .object()
}

fn usage() -> Group {
    Group::new("usage", "Track consumption of usage features and check remaining allowance")
        .action(track())
        .action(
            Action::post("check", "/usage/check", "Check whether a customer may consume more of a feature")
                .long_about(
                    "Nothing is recorded. The answer says whether the quantity is allowed and, \
                     depending on the plan's consumption model, what remains: units for metered \
                     plans, credits for credit plans, money for balance plans.",
                )
                .flag(customer_id())
                .flag(feature("feature-code", "feature"))
                .flag(
                    Flag::number("quantity")
                        .value_name("N")
                        .help("Units the customer is about to consume (server default: 1)"),
                )
                .flag(Flag::idempotency_key())
                .example(
                    "commet usage check --customer-id user_123 --feature-code api_calls --quantity 1",
                    "Can the customer make one more call?",
                )
                .object(),
        )
        .action(
            Action::put("set", "/usage", "Correct a customer's usage total for the current period")
                .long_about(
                    "Stores a signed adjustment so the current period's total becomes --value; \
                     the original events are kept and earlier periods are untouched.",
                )
                .flag(customer_id())
                .flag(feature("feature-code", "feature"))
                .flag(
                    Flag::number("value")
                        .required()
                        .value_name("N")
                        .help("The total the current period should have"),
                )
                .flag(Flag::string("reason").value_name("TEXT").help("Why the usage is corrected"))
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet usage set --customer-id user_123 --feature-code api_calls --value 1200 --reason "Duplicate events from a retry loop""#,
                    "Bring the period total down to 1200",
                )
                .message("{featureCode} usage for {customerId}: {previousValue} -> {value} (adjustment {adjustment})"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("usage", env!("CARGO_PKG_VERSION"))
        .description("Usage tracking, usage checks and usage corrections")
        .group(usage())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
