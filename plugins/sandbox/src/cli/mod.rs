//! `commet sandbox …`: run and manage the local sandbox from the CLI.
//!
//! Building the manifest is cheap: nothing here opens the database or
//! starts anything until an action runs.

mod checkout;
mod dirs;
mod key;
mod reset;
mod start;
mod status;
mod stop;

use commet_sdk::prelude::*;

use crate::server::SandboxError;

fn data_dir_flag() -> Flag {
    Flag::string("data-dir")
        .local()
        .value_name("DIR")
        .help("Sandbox data directory (default: $COMMET_SANDBOX_DIR, else ~/.commet/sandbox)")
}

pub fn plugin() -> Plugin {
    Plugin::new("sandbox", env!("CARGO_PKG_VERSION"))
        .description("A local Commet-compatible server for development and tests")
        .group(
            Group::new(
                "sandbox",
                "Run a local Commet-compatible server (no account, no network needed)",
            )
            .action(start_action())
            .action(stop_action())
            .action(status_action())
            .action(reset_action())
            .action(key_action())
            .action(checkout_action()),
        )
}

fn start_action() -> Action {
    Action::custom("start", "Start the local sandbox server", start::run)
        .offline()
        .writes(true)
        .long_about(
            "Starts a server on 127.0.0.1 that answers the same HTTP API as Commet, keeping its data in SQLite \
under the data directory. The first start creates a local user, an organization named \"Local Sandbox\" \
(slug `local`) and its API key. Runs in the foreground until Ctrl-C (or SIGTERM); with --detach it \
keeps running in the background and logs to <data-dir>/sandbox.log. Point the CLI at it with \
COMMET_ENVIRONMENT=local.",
        )
        .flag(
            Flag::integer("port")
                .local()
                .value_name("PORT")
                .default_value(json!(4242))
                .help("Port to listen on, on 127.0.0.1 only (0 picks a free port)"),
        )
        .flag(data_dir_flag())
        .flag(Flag::switch("detach").help("Run in the background and return once the server answers"))
        .flag(
            Flag::string("faults")
                .local()
                .value_name("SPEC")
                .help("Inject failures into API requests, e.g. 429=0.2,503*2,latency=50ms,drop=0.05 (overrides COMMET_SANDBOX_FAULTS)"),
        )
        .example("commet sandbox start", "Run in this terminal until Ctrl-C")
        .example("commet sandbox start --detach", "Run in the background")
        .example("commet sandbox start --port 5000 --data-dir ./.sandbox", "Another port and a project-local data directory")
        .example("commet sandbox start --faults '503*2,latency=100ms'", "Fail the next two API calls and slow every call down")
}

fn stop_action() -> Action {
    Action::custom("stop", "Stop a running sandbox server", stop::run)
        .offline()
        .writes(true)
        .long_about(
            "Reads <data-dir>/server.json, asks that server to shut down (SIGTERM) and waits until it has. \
Stopping a sandbox that is not running is not an error.",
        )
        .flag(data_dir_flag())
        .example("commet sandbox stop", "Stop the sandbox started with --detach")
        .example("commet sandbox stop --data-dir ./.sandbox", "Stop the one using another data directory")
}

fn status_action() -> Action {
    Action::custom(
        "status",
        "Show whether the sandbox runs, where, and what it holds",
        status::run,
    )
    .offline()
    .flag(data_dir_flag())
    .example("commet sandbox status", "Is it running? On which URL?")
    .example("commet sandbox status --output agent", "The same as JSON")
}

fn reset_action() -> Action {
    Action::custom("reset", "Erase all sandbox data (the API key is kept)", reset::run)
        .offline()
        .writes(true)
        .long_about(
            "Deletes the sandbox database: customers, catalog, organizations and keys. The default \
organization's API key in <data-dir>/api-key is kept and comes back on the next start (with the same \
organization id), so configs that use it stay valid. Asks for confirmation on a terminal; elsewhere \
it needs --yes. Refuses while the sandbox is running.",
        )
        .flag(data_dir_flag())
        .flag(Flag::switch("yes").short('y').help("Do not ask for confirmation"))
        .example("commet sandbox reset", "Asks, then erases")
        .example("commet sandbox stop && commet sandbox reset --yes", "Stop and erase without a prompt (scripts, CI)")
}

fn key_action() -> Action {
    Action::custom("key", "Print the sandbox organization's API key", key::run)
        .offline()
        .flag(data_dir_flag())
        .example("commet sandbox key", "Print the key")
        .example(
            "export COMMET_API_KEY=$(commet sandbox key)",
            "Use it from a shell",
        )
}

fn checkout_action() -> Action {
    Action::custom(
        "checkout",
        "Pay a subscription's sandbox checkout from the terminal",
        checkout::run,
    )
    .writes(true)
    .long_about(
        "Completes the open checkout of a subscription on the running sandbox as if the customer had \
paid on the hosted page: the first payment of a pending_payment subscription, the card of a trial, the \
payment of a free-to-paid plan change, a recovery payment, or a card update. Prints the resulting status. \
Decline cards leave the checkout open and answer the decline (see --card).",
    )
    .positional(
        Flag::string("subscription-id")
            .required()
            .value_name("SUB_ID")
            .help("The subscription (sub_...)"),
    )
    .flag(Flag::string("card").value_name("NUMBER").help(&checkout::card_help()))
    .example("commet sandbox checkout sub_123", "Pay with the default test card")
    .example(
        "commet sandbox checkout sub_123 --card 4000000000000341",
        "Attach a card whose later renewals are declined (to try dunning)",
    )
}

/// A library error as the CLI shows it.
pub(crate) fn failed(err: SandboxError) -> PluginError {
    match &err {
        SandboxError::PortInUse { port } => PluginError::failed_with_hint(
            format!("port {port} on 127.0.0.1 is already in use"),
            "pick another one with --port N, or --port 0 for any free port",
        ),
        SandboxError::AlreadyRunning { url, .. } => PluginError::failed_with_hint(
            err.to_string(),
            format!("it is already serving {url}; use it, or run `commet sandbox stop` first"),
        ),
        SandboxError::InvalidFaults { .. } => PluginError::usage(format!("--faults: {err}")),
        _ => PluginError::failed(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lists_every_action_with_examples() {
        let manifest = plugin().manifest();
        assert_eq!(manifest.name, "sandbox");
        let group = &manifest.groups[0];
        let names: Vec<&str> = group.actions.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["start", "stop", "status", "reset", "key", "checkout"]
        );
        for action in group.actions.iter().filter(|a| a.name != "checkout") {
            assert!(!action.needs_api, "{} must work offline", action.name);
            assert!(
                !action.examples.is_empty(),
                "{} needs examples",
                action.name
            );
            assert!(action.flags.iter().any(|f| f.name == "data-dir"));
        }
        let checkout = group.actions.iter().find(|a| a.name == "checkout").unwrap();
        assert!(checkout.needs_api, "checkout talks to the running sandbox");
        assert_eq!(checkout.positionals[0].name, "subscription-id");
        assert!(!checkout.examples.is_empty());
    }
}

#[cfg(test)]
mod cli_tests;
