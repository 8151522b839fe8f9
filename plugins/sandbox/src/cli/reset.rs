//! `commet sandbox reset`.

use std::io::{BufRead, IsTerminal, Write};

use commet_sdk::prelude::*;

use super::dirs::data_dir;
use crate::server::datadir;

pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let dir = data_dir(ctx);
    if let Some(info) = datadir::running(&dir) {
        return Err(PluginError::failed_with_hint(
            format!(
                "the sandbox for {} is running (pid {}, {})",
                dir.display(),
                info.pid,
                info.url
            ),
            "stop it first with `commet sandbox stop`, then reset",
        ));
    }
    if !dir.join(datadir::DB_FILE).exists() {
        return Ok(Output::message(format!(
            "Nothing to reset: {} holds no sandbox data",
            dir.display()
        )));
    }
    if !ctx.flag("yes") {
        if !std::io::stdin().is_terminal() {
            return Err(PluginError::usage(
                "refusing to erase the sandbox without confirmation: pass --yes (stdin is not a terminal)",
            ));
        }
        eprint!(
            "This erases every organization, customer, plan and feature in {} (the API key is kept). Continue? [y/N] ",
            dir.display()
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| PluginError::failed(format!("could not read the answer: {e}")))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(Output::message("Reset canceled; nothing was changed"));
        }
    }
    datadir::reset(&dir).map_err(super::failed)?;
    Ok(Output::new(
        View::Message {
            text: format!(
                "Sandbox data in {} erased; the API key is unchanged",
                dir.display()
            ),
        },
        json!({ "reset": true, "dataDir": dir.display().to_string() }),
    ))
}
