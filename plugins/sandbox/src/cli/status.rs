//! `commet sandbox status`.

use commet_sdk::prelude::*;

use super::dirs::data_dir;
use crate::server::datadir;

pub fn run(ctx: &mut Context<'_>) -> Result<Output, PluginError> {
    let dir = data_dir(ctx);
    let info = datadir::running(&dir);
    let mut data = Map::new();
    data.insert("running".into(), json!(info.is_some()));
    if let Some(info) = &info {
        data.insert("url".into(), json!(info.url));
        data.insert("pid".into(), json!(info.pid));
        data.insert("port".into(), json!(info.port));
        data.insert("startedAt".into(), json!(info.started_at));
        data.insert("healthy".into(), json!(datadir::health_ok(info.port)));
    }
    data.insert("dataDir".into(), json!(dir.display().to_string()));
    data.insert(
        "apiKeyFile".into(),
        json!(dir
            .join(datadir::API_KEY_FILE)
            .exists()
            .then(|| dir.join(datadir::API_KEY_FILE).display().to_string())),
    );
    // Counts come from a read-only look at the database, running or not.
    match datadir::counts(&dir) {
        Ok(Some(counts)) => {
            let counts: Map<String, Value> = counts
                .into_iter()
                .map(|(k, v)| (k.to_owned(), json!(v)))
                .collect();
            data.insert("counts".into(), Value::Object(counts));
        }
        Ok(None) => {
            data.insert("counts".into(), Value::Null);
        }
        Err(e) => ctx
            .host
            .warn(&format!("could not read the sandbox database: {e}")),
    }
    if info.is_none() {
        data.insert(
            "hint".into(),
            json!("not running; start it with `commet sandbox start` (or --detach to keep it in the background)"),
        );
    }
    Ok(Output::new(View::Object, Value::Object(data)))
}
