//! Where the data directory is: `--data-dir` > `COMMET_SANDBOX_DIR` > `~/.commet/sandbox`.

use std::path::PathBuf;

use commet_sdk::Context;

use crate::server::default_data_dir;

pub fn data_dir(ctx: &Context<'_>) -> PathBuf {
    let dir = match ctx.str("data-dir") {
        Some(d) if !d.trim().is_empty() => PathBuf::from(d),
        _ => default_data_dir(),
    };
    if dir.is_absolute() {
        dir
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or(dir)
    }
}
