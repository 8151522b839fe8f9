//! `commet test-clock ...`: move a sandbox organization's clock forward to
//! see renewals, trial ends and dunning happen without waiting.

use commet_sdk::prelude::*;

const SANDBOX_ONLY: &str = "Sandbox only: with a live API key the call fails with sandbox_only.";

fn test_clock() -> Group {
    Group::new("test-clock", "Simulate the passage of time in a sandbox organization (sandbox only)")
        .alias("clock")
        .action(
            Action::get("get", "/test-clock", "Show the simulated time and the latest clock run")
                .long_about(format!(
                    "Shows the organization's simulated time (none until the clock is first \
                     advanced), the current time as billing sees it, and the progress of the \
                     latest run. Poll it after `advance` to follow a run.\n\n{SANDBOX_ONLY}"
                ))
                .example("commet test-clock get", "Where the clock stands")
                .object(),
        )
        .action(
            Action::post("advance", "/test-clock", "Move the sandbox clock forward and run what falls due")
                .long_about(format!(
                    "Give exactly one of --advance-days or --frozen-time. Every deadline due \
                     before the target is processed in order: renewals, trial ends, scheduled \
                     plan changes and cancellations, usage resets and dunning retries, with \
                     their invoices and webhook events. The clock only moves forward. The run \
                     continues in the background; follow it with `commet test-clock get`.\n\n\
                     {SANDBOX_ONLY}"
                ))
                .flag(
                    Flag::integer("advance-days")
                        .value_name("DAYS")
                        .help("Move the clock this many days forward (30 for about a month)"),
                )
                .flag(
                    Flag::datetime("frozen-time")
                        .help("Move the clock to this instant, ISO 8601 (e.g. 2026-07-01T00:00:00Z); must be later than the current simulated time"),
                )
                .flag(Flag::idempotency_key())
                .one_of(&["advance-days"])
                .one_of(&["frozen-time"])
                .example("commet test-clock advance --advance-days 30", "Jump one month ahead")
                .example(
                    "commet test-clock advance --frozen-time 2026-07-01T00:00:00Z",
                    "Jump to a given instant",
                )
                .object(),
        )
        .action(
            Action::post("process-billing", "/test-clock/process-billing", "Run the billing cycles due at the simulated time (deprecated)")
                .long_about(format!(
                    "Deprecated: the hosted API answers 410 endpoint_deprecated. \
                     `commet test-clock advance` already runs every billing cycle that falls due, \
                     so use it instead.\n\n{SANDBOX_ONLY}"
                ))
                .flag(Flag::idempotency_key())
                .example("commet test-clock process-billing", "")
                .message("Billing cycles due at the simulated time were processed."),
        )
}

fn plugin() -> Plugin {
    Plugin::new("test-clock", env!("CARGO_PKG_VERSION"))
        .description("Sandbox test clock")
        .group(test_clock())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
