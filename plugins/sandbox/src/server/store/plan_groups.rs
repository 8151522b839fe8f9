//! Plan groups: ordered sets of plans.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::page::{self, Filter, Order, Page, PageParams};
use super::plans::{self, Plan};
use crate::server::error::ApiError;
use crate::server::ids;
use crate::server::input::Patch;

#[derive(Debug, Clone, PartialEq)]
pub struct PlanGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub is_public: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl PlanGroup {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "isPublic": self.is_public,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "object": "plan_group",
            "livemode": false,
        })
    }
}

const COLS: &str = "seq, id, name, description, is_public, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlanGroup> {
    Ok(PlanGroup {
        id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        is_public: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

pub fn require(
    conn: &Connection,
    org_id: &str,
    id: &str,
    param: &str,
) -> Result<PlanGroup, ApiError> {
    let sql = format!("SELECT {COLS} FROM plan_groups WHERE org_id = ?1 AND id = ?2");
    conn.query_row(&sql, params![org_id, id], from_row)
        .optional()?
        .ok_or_else(|| {
            ApiError::not_found(
                "plan_group_not_found",
                format!("No plan group with id `{id}`"),
            )
            .param(param)
        })
}

pub fn insert(
    conn: &Connection,
    org_id: &str,
    name: &str,
    description: Option<String>,
    is_public: bool,
) -> Result<PlanGroup, ApiError> {
    let id = ids::new_id("plg_");
    let now = ids::now();
    conn.execute(
        "INSERT INTO plan_groups (id, org_id, name, description, is_public, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, org_id, name, description, is_public, now],
    )?;
    require(conn, org_id, &id, "id")
}

pub fn update(
    conn: &Connection,
    org_id: &str,
    id: &str,
    name: Option<String>,
    description: Patch<String>,
    is_public: Option<bool>,
) -> Result<PlanGroup, ApiError> {
    let current = require(conn, org_id, id, "id")?;
    let next = PlanGroup {
        name: name.unwrap_or(current.name.clone()),
        description: description.apply(current.description.clone()),
        is_public: is_public.unwrap_or(current.is_public),
        updated_at: ids::now(),
        ..current
    };
    conn.execute(
        "UPDATE plan_groups SET name = ?1, description = ?2, is_public = ?3, updated_at = ?4 WHERE id = ?5",
        params![next.name, next.description, next.is_public, next.updated_at, next.id],
    )?;
    Ok(next)
}

/// Deletes a group; its plans stay, outside any group.
pub fn delete(conn: &Connection, org_id: &str, id: &str) -> Result<Value, ApiError> {
    let group = require(conn, org_id, id, "id")?;
    conn.execute(
        "UPDATE plans SET plan_group_id = NULL, updated_at = ?1 WHERE plan_group_id = ?2",
        params![ids::now(), group.id],
    )?;
    conn.execute("DELETE FROM plan_groups WHERE id = ?1", [&group.id])?;
    Ok(json!({ "id": group.id, "deleted": true, "object": "plan_group", "livemode": false }))
}

/// The `PlanGroupDetail` object.
pub fn detail(conn: &Connection, group: &PlanGroup) -> Result<Value, ApiError> {
    let mut v = group.to_json();
    v["plans"] = plans::in_group(conn, &group.id)?
        .iter()
        .map(|p| json!({ "id": p.id, "name": p.name, "code": p.code, "sortOrder": p.sort_order }))
        .collect::<Vec<_>>()
        .into();
    Ok(v)
}

pub fn list(conn: &Connection, org_id: &str, page: PageParams) -> Result<Page<Value>, ApiError> {
    page::list(
        conn,
        "plan_groups",
        COLS,
        Filter::org(org_id),
        page,
        Order::OldestFirst,
        |r| from_row(r).map(|g| g.to_json()),
    )
}

/// One past the highest sort order in a group.
pub fn next_sort_order(conn: &Connection, group_id: &str) -> Result<i64, ApiError> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(sort_order) + 1, 0) FROM plans WHERE plan_group_id = ?1 AND deleted_at IS NULL",
        [group_id],
        |r| r.get(0),
    )?)
}

pub fn add_plan(
    conn: &Connection,
    group: &PlanGroup,
    plan: &Plan,
    sort_order: Option<i64>,
) -> Result<Value, ApiError> {
    match &plan.plan_group_id {
        Some(other) if other != &group.id => {
            return Err(ApiError::conflict(
                "duplicate",
                format!(
                    "Plan `{}` already belongs to plan group `{other}`; remove it from there first",
                    plan.code
                ),
            )
            .param("planId"))
        }
        _ => {}
    }
    let order = match sort_order {
        Some(o) => o,
        None if plan.plan_group_id.as_deref() == Some(group.id.as_str()) => plan.sort_order,
        None => next_sort_order(conn, &group.id)?,
    };
    plans::set_group(conn, &plan.id, Some(&group.id), order)?;
    Ok(
        json!({ "success": true, "planId": plan.id, "sortOrder": order, "object": "plan_group_membership", "livemode": false }),
    )
}

pub fn remove_plan(conn: &Connection, group: &PlanGroup, plan: &Plan) -> Result<Value, ApiError> {
    if plan.plan_group_id.as_deref() != Some(group.id.as_str()) {
        return Err(ApiError::not_found(
            "plan_not_found",
            format!("Plan `{}` is not in plan group `{}`", plan.code, group.id),
        )
        .param("planId"));
    }
    plans::set_group(conn, &plan.id, None, 0)?;
    Ok(
        json!({ "id": plan.id, "removed": true, "object": "plan_group_membership", "livemode": false }),
    )
}

/// Sets the order; `plan_ids` must name every plan of the group once.
pub fn reorder(
    conn: &Connection,
    org_id: &str,
    group: &PlanGroup,
    plan_ids: &[String],
) -> Result<Value, ApiError> {
    let members = plans::in_group(conn, &group.id)?;
    let mut resolved = Vec::with_capacity(plan_ids.len());
    for reference in plan_ids {
        let plan = plans::find(conn, org_id, reference)?
            .filter(|p| p.plan_group_id.as_deref() == Some(group.id.as_str()))
            .ok_or_else(|| {
                ApiError::invalid(
                    "planIds",
                    format!("`{reference}` is not a plan of this group"),
                )
            })?;
        if resolved.contains(&plan.id) {
            return Err(ApiError::invalid(
                "planIds",
                format!("`{reference}` is listed twice"),
            ));
        }
        resolved.push(plan.id);
    }
    if resolved.len() != members.len() {
        let missing: Vec<&str> = members
            .iter()
            .filter(|m| !resolved.contains(&m.id))
            .map(|m| m.id.as_str())
            .collect();
        return Err(ApiError::invalid(
            "planIds",
            format!(
                "must list every plan of the group; missing: {}",
                missing.join(", ")
            ),
        ));
    }
    for (i, id) in resolved.iter().enumerate() {
        plans::set_group(conn, id, Some(&group.id), i as i64)?;
    }
    Ok(json!({ "reordered": true, "object": "plan_group_order", "livemode": false }))
}
