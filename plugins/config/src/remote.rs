//! Reading the organization's catalog through the host.

use commet_sdk::prelude::*;

/// Pages are followed up to this many (100 items each) before giving up.
const MAX_PAGES: usize = 1000;

/// Every item of a list endpoint, following `nextCursor` while `hasMore`.
pub fn list_all(
    host: &Host<'_>,
    path: &str,
    extra: &[(&str, Value)],
) -> Result<Vec<Value>, PluginError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut request = ApiRequest::new("GET", path).query("limit", 100);
        for (k, v) in extra {
            request = request.query(*k, v.clone());
        }
        if let Some(c) = &cursor {
            request = request.query("cursor", c.clone());
        }
        let page = host.call(&request)?;
        let data = match &page {
            Value::Array(list) => list.clone(),
            other => other
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| {
                    PluginError::failed(format!("GET {path} answered something that is not a list"))
                })?,
        };
        items.extend(data);
        let has_more = page
            .get("hasMore")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let next = page
            .get("nextCursor")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        match next {
            Some(next) if has_more && cursor.as_deref() != Some(next.as_str()) => {
                cursor = Some(next)
            }
            _ => return Ok(items),
        }
    }
    Err(PluginError::failed(format!(
        "GET {path} kept returning more pages after {MAX_PAGES}; stopped"
    )))
}

/// The features and plans (private ones included) of the organization.
pub fn fetch_catalog(host: &Host<'_>) -> Result<(Vec<Value>, Vec<Value>), PluginError> {
    host.progress("Reading features and plans");
    let result = (|| {
        let features = list_all(host, "/features", &[])?;
        let plans = list_all(host, "/plans", &[("includePrivate", Value::Bool(true))])?;
        Ok((features, plans))
    })();
    host.progress_done();
    result
}
