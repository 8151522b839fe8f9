//! Asking before changing things, only when someone can answer.

use std::io::IsTerminal;

use commet_sdk::prelude::*;

/// Whether a person is at the terminal (stdin and stderr both are one).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Shows `report` on stderr and asks `question`; `Ok(false)` when declined.
pub fn confirm(host: &Host<'_>, report: &str, question: &str) -> Result<bool, PluginError> {
    host.progress_done();
    eprintln!("{}", report.trim_end());
    eprintln!();
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .map_err(|e| PluginError::failed(format!("could not read the answer: {e}")))
}
