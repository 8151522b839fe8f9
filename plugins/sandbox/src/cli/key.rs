//! `commet sandbox key`.

use commet_sdk::prelude::*;

use super::dirs::data_dir;
use crate::server::datadir::{self, API_KEY_FILE};

pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let dir = data_dir(ctx);
    let file = dir.join(API_KEY_FILE);
    match datadir::read_api_key(&dir).map_err(super::failed)? {
        Some(key) => Ok(Output::new(
            View::Text { text: key.clone() },
            json!({ "apiKey": key, "file": file.display().to_string() }),
        )),
        None => Err(PluginError::failed_with_hint(
            format!("no sandbox API key in {}", file.display()),
            "start the sandbox once (`commet sandbox start`) to create it, or pass the --data-dir you used",
        )),
    }
}
