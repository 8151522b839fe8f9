//! Cursor pagination shared by every list endpoint.
//!
//! A cursor encodes the `seq` (rowid, i.e. creation order) of the last row of
//! the page, never an offset, so rows inserted while a client pages through
//! a list neither repeat nor shift items between pages.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, Row};
use serde_json::{json, Value};

use crate::server::error::ApiError;

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;

/// Which rows a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageParams {
    pub limit: usize,
    /// The `seq` of the last row already seen.
    pub after: Option<i64>,
}

impl Default for PageParams {
    fn default() -> Self {
        PageParams {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

/// List order, by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    NewestFirst,
    OldestFirst,
}

pub fn encode_cursor(seq: i64) -> String {
    format!("cur_{}", hex::encode(format!("s{seq}")))
}

pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let raw = hex::decode(cursor.strip_prefix("cur_")?).ok()?;
    let text = String::from_utf8(raw).ok()?;
    text.strip_prefix('s')?.parse().ok()
}

/// `WHERE` conditions with their positional (`?`) parameters.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    conditions: Vec<String>,
    params: Vec<SqlValue>,
}

impl Filter {
    /// Rows of one organization (`org_id = ?`).
    pub fn org(org_id: &str) -> Self {
        Filter::default().and("org_id = ?", [SqlValue::from(org_id.to_owned())])
    }

    pub fn and(mut self, condition: &str, params: impl IntoIterator<Item = SqlValue>) -> Self {
        self.conditions.push(format!("({condition})"));
        self.params.extend(params);
        self
    }

    /// Adds a condition only when `value` is present.
    pub fn and_opt<T: Into<SqlValue>>(self, condition: &str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.and(condition, [v.into()]),
            None => self,
        }
    }
}

/// One page of rows.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor for the next page when there is one.
    pub next: Option<i64>,
}

impl Page<Value> {
    /// The list envelope: `{"object":"list","data":[...],"hasMore","nextCursor"}`.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "object": "list",
            "data": self.items,
            "hasMore": self.next.is_some(),
        });
        if let Some(seq) = self.next {
            out["nextCursor"] = Value::String(encode_cursor(seq));
        }
        out
    }
}

/// Selects `columns` (the first must be `seq`) from `table` page by page.
pub fn list<T>(
    conn: &Connection,
    table: &str,
    columns: &str,
    filter: Filter,
    page: PageParams,
    order: Order,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Page<T>, ApiError> {
    list_from(conn, table, "seq", columns, filter, page, order, map)
}

/// Like [`list`] over any `FROM` clause (a join); `seq_col` names the
/// ordering column, which must also be the first selected column.
#[allow(clippy::too_many_arguments)]
pub fn list_from<T>(
    conn: &Connection,
    from: &str,
    seq_col: &str,
    columns: &str,
    filter: Filter,
    page: PageParams,
    order: Order,
    mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Page<T>, ApiError> {
    let mut filter = filter;
    if let Some(after) = page.after {
        let cond = match order {
            Order::NewestFirst => format!("{seq_col} < ?"),
            Order::OldestFirst => format!("{seq_col} > ?"),
        };
        filter = filter.and(&cond, [SqlValue::from(after)]);
    }
    let where_sql = if filter.conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", filter.conditions.join(" AND "))
    };
    let dir = match order {
        Order::NewestFirst => "DESC",
        Order::OldestFirst => "ASC",
    };
    let limit = page.limit.clamp(1, MAX_LIMIT);
    let sql = format!(
        "SELECT {columns} FROM {from} {where_sql} ORDER BY {seq_col} {dir} LIMIT {}",
        limit + 1
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(filter.params.iter()))?;
    let mut items = Vec::new();
    let mut last_seq = None;
    let mut has_more = false;
    while let Some(row) = rows.next()? {
        if items.len() == limit {
            has_more = true;
            break;
        }
        last_seq = Some(row.get::<_, i64>(0)?);
        items.push(map(row)?);
    }
    Ok(Page {
        items,
        next: if has_more { last_seq } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(42);
        assert!(c.starts_with("cur_"));
        assert_eq!(decode_cursor(&c), Some(42));
        assert_eq!(decode_cursor("cur_zz"), None);
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor(&format!("cur_{}", hex::encode("x1"))), None);
    }
}
