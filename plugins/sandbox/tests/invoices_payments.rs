//! Invoices, transactions, payments and the customer portal's billing part.

mod billing;
mod common;

use billing::*;
use common::start;
use serde_json::json;

#[test]
fn adjustment_invoices_charge_or_credit() {
    let env = start();
    freeze(&env, "2031-04-01T00:00:00Z");
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "adj", &pro, "4242424242424242");
    let charge = env
        .post("/invoices", json!({ "customerId": "adj", "amount": 1500, "description": "Setup fee", "metadata": { "po": "7" } }))
        .ok();
    assert_eq!(charge["object"], "invoice");
    assert_eq!(charge["invoiceType"], "adjustment");
    assert_eq!(charge["status"], "outstanding");
    assert_eq!(charge["total"], 1500);
    assert_eq!(charge["dueDate"], "2031-05-01T00:00:00.000Z");
    assert_eq!(charge["metadata"]["po"], "7");
    assert!(charge["subscriptionId"].is_null());
    let credit = env
        .post(
            "/invoices",
            json!({ "customerId": "adj", "amount": -1000, "description": "Outage credit" }),
        )
        .ok();
    assert_eq!(credit["total"], -1000);
    assert_eq!(credit["status"], "paid");
    // The credit reduces the next renewal.
    advance(&env, 30);
    let renewal = env
        .get(&format!(
            "/invoices?subscriptionId={}&limit=1",
            s["id"].as_str().unwrap()
        ))
        .ok();
    let renewal = env
        .get(&format!(
            "/invoices/{}",
            renewal["data"][0]["id"].as_str().unwrap()
        ))
        .ok();
    assert_eq!(renewal["creditApplied"], 1000);
    assert_eq!(renewal["total"], 1900);
    // The outstanding adjustment became overdue one day after its due date.
    advance(&env, 1);
    let overdue = events(&env, "invoice.overdue");
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["data"]["invoiceId"], charge["id"]);
    env.post(
        "/invoices",
        json!({ "customerId": "adj", "amount": 0, "description": "x" }),
    )
    .err(400, "validation_error");
    env.post(
        "/invoices",
        json!({ "customerId": "ghost", "amount": 10, "description": "x" }),
    )
    .err(404, "customer_not_found");
    let v = env
        .post("/invoices", json!({}))
        .err(400, "validation_error");
    assert_eq!(v["error"]["details"].as_array().unwrap().len(), 3);
}

#[test]
fn invoice_list_filters_status_changes_send_and_download() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "inv", &pro, "4242424242424242");
    let c2 = customer(&env, "other");
    subscribe(&env, &c2, &pro);
    let all = env.get("/invoices").ok();
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    assert!(
        all["data"][0].get("lineItems").is_none(),
        "list items are InvoiceListItem"
    );
    let paid = env.get("/invoices?status=paid").ok();
    assert_eq!(paid["data"].as_array().unwrap().len(), 1);
    let mine = env.get("/invoices?customerId=inv").ok();
    assert_eq!(mine["data"][0]["subscriptionId"], s["id"]);
    env.get("/invoices?status=late")
        .err(400, "validation_error");
    let page = env.get("/invoices?limit=1").ok();
    assert_eq!(page["hasMore"], true);

    let outstanding = env.get("/invoices?status=outstanding").ok()["data"][0].clone();
    let oid = outstanding["id"].as_str().unwrap();
    let void = env
        .patch(
            &format!("/invoices/{oid}/status"),
            json!({ "status": "void" }),
        )
        .ok();
    assert_eq!(void["status"], "void");
    assert_eq!(events(&env, "invoice.voided").len(), 1);
    env.patch(
        &format!("/invoices/{oid}/status"),
        json!({ "status": "paid" }),
    )
    .err(400, "validation_error");
    env.patch(
        &format!("/invoices/{oid}/status"),
        json!({ "status": "draft" }),
    )
    .err(400, "validation_error");

    let inv_id = mine["data"][0]["id"].as_str().unwrap();
    let sent = env
        .post(&format!("/invoices/{inv_id}/send"), json!({}))
        .ok();
    assert_eq!(sent["sent"], true);
    assert_eq!(sent["object"], "invoice_delivery");
    let link = env
        .post(&format!("/invoices/{inv_id}/download-links"), json!({}))
        .ok();
    assert_eq!(link["object"], "invoice_download_link");
    let url = link["url"].as_str().unwrap();
    assert!(url.ends_with(".html"));
    let doc = env
        .req("GET", url.trim_start_matches(&env.url))
        .key(None)
        .send();
    assert_eq!(doc.status, 200);
    assert!(doc.text.contains("PRO (monthly)"));
    assert!(doc.text.contains("29.00 USD"));
    assert_eq!(
        env.req("GET", "/invoices/tok_nope.html")
            .key(None)
            .send()
            .status,
        404
    );
    env.get("/invoices/inv_nope").err(404, "invoice_not_found");
    let (_, other) = env.other_org();
    env.get_as(&other, &format!("/invoices/{inv_id}"))
        .err(404, "invoice_not_found");
}

#[test]
fn transactions_list_and_full_refund_cancels_the_subscription() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    let s = active_sub(&env, "ref", &pro, "4242424242424242");
    let list = env.get("/transactions?customerEmail=REF@example.com").ok();
    let txn = list["data"][0].clone();
    assert_eq!(txn["object"], "transaction");
    assert_eq!(txn["provider"], "commet");
    assert!(txn["id"].as_str().unwrap().starts_with("txn_"));
    assert!(txn["availableAt"].is_string());
    let id = txn["id"].as_str().unwrap();
    let got = env.get(&format!("/transactions/{id}")).ok();
    assert_eq!(got["invoiceId"], txn["invoiceId"]);
    let r = env
        .post(&format!("/transactions/{id}/refund"), json!({}))
        .ok();
    assert_eq!(r["object"], "refund");
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["amount"], 2900);
    assert_eq!(r["transactionId"], id);
    assert_eq!(
        env.get(&format!("/transactions/{id}")).ok()["status"],
        "refunded"
    );
    let refunded = events(&env, "payment.refunded");
    assert_eq!(refunded[0]["data"]["refundAmount"], 2900);
    let sub = env
        .get(&format!("/subscriptions/{}", s["id"].as_str().unwrap()))
        .ok();
    assert_eq!(sub["status"], "canceled");
    assert_eq!(
        events(&env, "subscription.canceled")[0]["data"]["cancelReason"],
        "refund"
    );
    env.post(&format!("/transactions/{id}/refund"), json!({}))
        .err(400, "validation_error");
    env.get("/transactions/txn_nope")
        .err(404, "transaction_not_found");
    env.get("/transactions?status=lost")
        .err(400, "validation_error");
    assert_eq!(
        env.get("/transactions?status=refunded").ok()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn payment_links_are_paid_on_their_checkout_page() {
    let env = start();
    let c = customer(&env, "pl");
    let p = env
        .post("/payments", json!({ "amount": 4500, "currency": "usd", "customerId": "pl", "description": "Workshop seat" }))
        .ok();
    assert_eq!(p["object"], "payment");
    assert_eq!(p["kind"], "link");
    assert_eq!(p["status"], "pending");
    assert!(p["id"].as_str().unwrap().starts_with("pay_"));
    assert_eq!(p["customerId"], c.as_str());
    assert!(p["expiresAt"].is_string());
    assert_eq!(events(&env, "payment_link.created").len(), 1);
    let path = p["url"]
        .as_str()
        .unwrap()
        .trim_start_matches(&env.url)
        .to_owned();
    let page = env.req("GET", &path).key(None).send();
    assert!(page.text.contains("Workshop seat") && page.text.contains("45.00 USD"));
    let declined = env
        .req("POST", &path)
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("card=4000000000000002")
        .send();
    assert_eq!(declined.status, 402);
    assert_eq!(events(&env, "payment_link.failed").len(), 1);
    assert_eq!(
        env.get(&format!("/payments/{}", p["id"].as_str().unwrap()))
            .ok()["status"],
        "pending"
    );
    let ok = env
        .req("POST", &path)
        .key(None)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("card=4242424242424242")
        .send();
    assert_eq!(ok.status, 200, "{}", ok.text);
    let done = env
        .get(&format!("/payments/{}", p["id"].as_str().unwrap()))
        .ok();
    assert_eq!(done["status"], "succeeded");
    let completed = events(&env, "payment_link.completed");
    assert!(completed[0]["data"]["invoiceNumber"]
        .as_str()
        .unwrap()
        .starts_with("INV-"));
    env.post(
        &format!("/payments/{}/cancel", p["id"].as_str().unwrap()),
        json!({}),
    )
    .err(409, "payment_not_cancelable");

    let p2 = env
        .post(
            "/payments",
            json!({ "amount": 100, "currency": "eur", "description": "Tip" }),
        )
        .ok();
    assert!(p2["customerId"].is_null());
    let canceled = env
        .post(
            &format!("/payments/{}/cancel", p2["id"].as_str().unwrap()),
            json!({}),
        )
        .ok();
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(events(&env, "payment_link.canceled").len(), 1);
    let listed = env.get("/payments?customerId=pl").ok();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    env.post(
        "/payments",
        json!({ "amount": 0, "currency": "usd", "description": "x" }),
    )
    .err(400, "validation_error");
    env.post(
        "/payments",
        json!({ "amount": 10, "currency": "zzz", "description": "x" }),
    )
    .err(400, "validation_error");
    env.get("/payments/pay_nope").err(404, "payment_not_found");
}

#[test]
fn direct_charges_use_the_saved_card() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    active_sub(&env, "ch", &pro, "4242424242424242");
    let p = env
        .post("/payments/charge", json!({ "customerId": "ch", "amount": 1200, "currency": "usd", "description": "Overage pack" }))
        .ok();
    assert_eq!(p["kind"], "charge");
    assert_eq!(p["status"], "succeeded");
    assert!(p["url"].is_null());
    let c = customer(&env, "nocard");
    env.post(
        "/payments/charge",
        json!({ "customerId": c, "amount": 1200, "currency": "usd", "description": "x" }),
    )
    .err(409, "no_payment_method");
    active_sub(&env, "bad", &pro, "4000000000000341");
    let e = env
        .post(
            "/payments/charge",
            json!({ "customerId": "bad", "amount": 1200, "currency": "usd", "description": "x" }),
        )
        .err(400, "payment_failed");
    let pay_id = e["error"]["details"]["paymentId"].as_str().unwrap();
    assert_eq!(
        env.get(&format!("/payments/{pay_id}")).ok()["status"],
        "failed"
    );
}

#[test]
fn portal_shows_the_subscription_and_invoices() {
    let env = start();
    let (pro, _) = plan(&env, "pro", 2900, "monthly", json!({}));
    active_sub(&env, "port", &pro, "4242424242424242");
    let session = env
        .post("/portal/sessions", json!({ "customerId": "port" }))
        .ok();
    let path = session["portalUrl"]
        .as_str()
        .unwrap()
        .trim_start_matches(&env.url)
        .to_owned();
    let page = env.req("GET", &path).key(None).send();
    assert_eq!(page.status, 200);
    assert!(page.text.contains("PRO"), "{}", page.text);
    assert!(page.text.contains("29.00 USD / monthly"));
    assert!(page.text.contains("Next renewal"));
    assert!(page.text.contains("INV-000001"));
    let start = page.text.find("/invoices/inv_").unwrap();
    let href_start = page.text[..start].rfind("href=\"").unwrap() + 6;
    let href_end = page.text[href_start..].find('"').unwrap() + href_start;
    let doc = env
        .req("GET", &page.text[href_start..href_end])
        .key(None)
        .send();
    assert_eq!(doc.status, 200);
    assert!(doc.text.contains("Invoice INV-000001"));
}
