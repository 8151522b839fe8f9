//! `commet webhooks ...`: the endpoints Commet delivers billing events to.
//! (For local development `commet listen` forwards events without one.)

use commet_sdk::prelude::*;

use commet_sdk::events::WEBHOOK_EVENT_TYPES as EVENT_TYPES;

/// The help paragraph listing the event types.
fn event_types_help() -> String {
    format!(
        "Event types (usage.recorded is high volume and is only sent when listed):\n{}",
        EVENT_TYPES.join(", ")
    )
}

fn webhook_id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Webhook endpoint ID")
}

fn api_version() -> Flag {
    Flag::string("api-version")
        .value_name("YYYY-MM-DD")
        .help("API version that shapes the payloads sent to this endpoint, e.g. 2026-07-31 (default: the organization's version)")
}

const COLUMNS: &[(&str, &str)] = &[
    ("id", "ID"),
    ("url", "URL"),
    ("events", "EVENTS"),
    ("isActive", "ACTIVE"),
    ("apiVersion", "API VERSION"),
    ("createdAt", "CREATED"),
];

fn webhooks() -> Group {
    Group::new("webhooks", "Create, update and test webhook endpoints")
        .alias("webhook")
        .action(
            Action::post("create", "/webhooks", "Create a webhook endpoint")
                .long_about(format!(
                    "The answer includes the endpoint's signing secret (secretKey, whsec_...): \
                     keep it to verify the x-commet-signature header of each delivery. For \
                     local development use `commet listen` instead.\n\n{}",
                    event_types_help()
                ))
                .flag(
                    Flag::string("url")
                        .required()
                        .value_name("URL")
                        .help("HTTPS URL that receives the events as POST requests"),
                )
                .flag(
                    Flag::json_array("events")
                        .required()
                        .help(r#"Event types to receive, as a JSON array, e.g. ["invoice.created","payment.received"]"#),
                )
                .flag(
                    Flag::string("description")
                        .value_name("TEXT")
                        .help("A note to recognise the endpoint by"),
                )
                .flag(api_version())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet webhooks create --url https://example.com/webhooks --events '["subscription.activated","payment.received"]'"#,
                    "",
                )
                .object(),
        )
        .action(
            Action::get("list", "/webhooks", "List webhook endpoints")
                .flags(pagination())
                .example("commet webhooks list", "The first page")
                .example("commet webhooks list --limit 25 --cursor cur_xxx", "The next page")
                .table(COLUMNS),
        )
        .action(
            Action::get("get", "/webhooks/{id}", "Show one webhook endpoint")
                .flag(webhook_id())
                .example("commet webhooks get --id wh_xxx", "")
                .object(),
        )
        .action(
            Action::patch("update", "/webhooks/{id}", "Change a webhook endpoint")
                .long_about(format!(
                    "Only the flags given change; --events replaces the whole list. An endpoint \
                     is disabled automatically after three failed events in a row; turn it back \
                     on with --is-active true.\n\n{}",
                    event_types_help()
                ))
                .flag(webhook_id())
                .flag(Flag::string("url").value_name("URL").help("New URL"))
                .flag(
                    Flag::json_array("events")
                        .help(r#"New list of event types, as a JSON array, e.g. ["invoice.created"]"#),
                )
                .flag(Flag::string("description").value_name("TEXT").help("New description"))
                .flag(Flag::bool("is-active").help("Turn deliveries to this endpoint on or off"))
                .flag(api_version())
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet webhooks update --id wh_xxx --events '["invoice.created","invoice.overdue"]'"#,
                    "Change the subscribed events",
                )
                .example("commet webhooks update --id wh_xxx --is-active false", "Pause deliveries")
                .object(),
        )
        .action(
            Action::delete("delete", "/webhooks/{id}", "Delete a webhook endpoint")
                .flag(webhook_id())
                .example("commet webhooks delete --id wh_xxx", "")
                .message("Deleted webhook endpoint {id}."),
        )
        .action(
            Action::post("test", "/webhooks/{id}/test", "Send a test event to a webhook endpoint")
                .flag(webhook_id())
                .flag(Flag::idempotency_key())
                .example("commet webhooks test --id wh_xxx", "")
                .message("Test delivery {deliveryId} at {deliveredAt}: success = {success}"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("webhooks", env!("CARGO_PKG_VERSION"))
        .description("Webhook endpoints")
        .group(webhooks())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
