//! `commet subscriptions ...`: a customer's subscription to a plan, from
//! creation through plan changes, add-ons, balance and credits to
//! cancellation and reactivation.

use commet_sdk::prelude::*;

const BILLING_INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly", "one_time"];
/// Plan changes cannot move to a one-time price.
const RECURRING_INTERVALS: &[&str] = &["weekly", "monthly", "quarterly", "yearly"];
const STATUSES: &[&str] = &[
    "draft",
    "pending_payment",
    "trialing",
    "active",
    "past_due",
    "canceled",
];

fn subscription_id() -> Flag {
    Flag::string("id")
        .required()
        .value_name("ID")
        .help("Subscription ID (sub_...)")
}

fn customer_id(required: bool, help: &str) -> Flag {
    let flag = Flag::string("customer-id").value_name("ID").help(help);
    if required {
        flag.required()
    } else {
        flag
    }
}

fn offer_id(help: &str) -> Flag {
    Flag::string("offer-id").value_name("ID").help(help)
}

fn success_url(help: &str) -> Flag {
    Flag::string("success-url").value_name("URL").help(help)
}

fn create() -> Action {
    Action::post("create", "/subscriptions", "Create a subscription for a customer")
        .long_about(
            "Name the plan with --plan-code or --plan-id. A paid plan starts as pending_payment \
             and the answer carries a checkoutUrl for the customer to pay (or to save a card for \
             a trial); a free plan is active at once. A customer has at most one live \
             subscription: creating another while one is trialing, active or past due fails \
             with already_has_active_subscription.\n\n\
             --offer-id, --promo-code, --custom-trial-days and --skip-trial exclude each other.",
        )
        .flag(customer_id(true, "Customer ID (cus_...) or your own external ID"))
        .flag(
            Flag::string("plan-code")
                .value_name("CODE")
                .help("Code of the plan, e.g. pro; give this or --plan-id"),
        )
        .flag(
            Flag::string("plan-id")
                .value_name("ID")
                .help("ID of the plan; give this or --plan-code"),
        )
        .flag(
            Flag::enumeration("billing-interval", BILLING_INTERVALS)
                .help("Billing interval of the price to use (default: the plan's default price)"),
        )
        .flag(
            Flag::string("price-id")
                .value_name("ID")
                .help("A specific price of the plan; normally left out so the default price for the interval and the customer's market is used"),
        )
        .flag(
            Flag::json_object("initial-seats")
                .help(r#"Starting seat counts by feature code, e.g. {"team_member":5}"#),
        )
        .flag(
            Flag::string("provider")
                .value_name("PROVIDER")
                .help("Payment provider that runs the checkout: stripe, commet or dlocal"),
        )
        .flag(
            Flag::string("name")
                .value_name("NAME")
                .help("Display name of the subscription"),
        )
        .flag(Flag::date("start-date").help("When the subscription starts, ISO 8601"))
        .flag(success_url("Where the customer is sent after completing checkout"))
        .flag(offer_id("Apply this offer (discount or trial phases) instead of the automatic introductory offer"))
        .flag(
            Flag::string("promo-code")
                .value_name("CODE")
                .help("Promo code to redeem, e.g. SUMMER25"),
        )
        .flag(
            Flag::integer("custom-trial-days")
                .value_name("DAYS")
                .help("Give a free trial of this many days instead of the price's own trial"),
        )
        .flag(Flag::bool("skip-trial").help("Start without the price's free trial"))
        .flag(
            Flag::string("card-promotion-id")
                .value_name("ID")
                .help("Card promotion to apply (the card's BIN is checked at checkout)"),
        )
        .flag(Flag::idempotency_key())
        .one_of(&["customer-id", "plan-id"])
        .one_of(&["customer-id", "plan-code"])
        .one_of(&["customer-id", "offer-id", "plan-id"])
        .one_of(&["customer-id", "offer-id", "plan-code"])
        .one_of(&["customer-id", "card-promotion-id", "plan-id"])
        .one_of(&["customer-id", "card-promotion-id", "plan-code"])
        .example(
            "commet subscriptions create --customer-id user_123 --plan-code pro --billing-interval monthly",
            "Monthly Pro plan",
        )
        .example(
            r#"commet subscriptions create --customer-id user_123 --plan-id plan_xxx --billing-interval yearly --initial-seats '{"team_member":5}' --skip-trial true"#,
            "Yearly, five seats, no trial",
        )
        .object()
}

fn subscriptions() -> Group {
    Group::new("subscriptions", "Create, cancel and manage subscriptions: plan changes, add-ons, balance and credits")
        .alias("subscription")
        .action(create())
        .action(
            Action::get("get", "/subscriptions/{id}", "Show one subscription")
                .flag(subscription_id())
                .example("commet subscriptions get --id sub_xxx", "")
                .object(),
        )
        .action(
            Action::get("get-active", "/subscriptions/active", "Show a customer's live subscription, if any")
                .long_about("Live means trialing, active or past due. When the customer has none the answer is null (shown as -).")
                .flag(customer_id(true, "Customer ID (cus_...) or your own external ID"))
                .example("commet subscriptions get-active --customer-id user_123", "")
                .object(),
        )
        .action(
            Action::get("list", "/subscriptions", "List subscriptions, newest first")
                .flags(pagination())
                .flag(customer_id(false, "Only subscriptions of this customer (cus_... or your external ID)"))
                .flag(Flag::enumeration("status", STATUSES).help("Only subscriptions in this status"))
                .example("commet subscriptions list", "All subscriptions")
                .example(
                    "commet subscriptions list --customer-id user_123 --status active",
                    "A customer's active subscription",
                )
                .example("commet subscriptions list --limit 25 --cursor cur_xxx", "The next page")
                .table(&[
                    ("id", "ID"),
                    ("customerId", "CUSTOMER"),
                    ("plan.name", "PLAN"),
                    ("status", "STATUS"),
                    ("billingInterval", "INTERVAL"),
                    ("currentPeriod.end", "PERIOD END"),
                    ("cancelAtPeriodEnd", "CANCELING"),
                    ("createdAt", "CREATED"),
                ]),
        )
        .action(
            Action::post("cancel", "/subscriptions/{id}/cancel", "Cancel a subscription, at period end by default")
                .long_about(
                    "A paid, active subscription stays active until the end of the current period \
                     and then ends; revert that with `uncancel`. With --immediate it ends now. \
                     Pending-payment, past-due and free subscriptions always end at once. \
                     One-time subscriptions cannot be canceled.",
                )
                .flag(subscription_id())
                .flag(Flag::string("reason").value_name("TEXT").help("Why the subscription is canceled"))
                .flag(Flag::bool("immediate").help("End the subscription now instead of at the end of the period"))
                .flag(Flag::idempotency_key())
                .example("commet subscriptions cancel --id sub_xxx", "At the end of the period")
                .example(
                    r#"commet subscriptions cancel --id sub_xxx --immediate true --reason "Customer requested""#,
                    "Right away",
                )
                .object(),
        )
        .action(
            Action::post("uncancel", "/subscriptions/{id}/uncancel", "Revert a cancellation scheduled for the end of the period")
                .flag(subscription_id())
                .flag(Flag::idempotency_key())
                .example("commet subscriptions uncancel --id sub_xxx", "")
                .object(),
        )
        .action(
            Action::post("reactivate", "/subscriptions/{id}/reactivate", "Bring a past-due or canceled subscription back")
                .long_about(
                    "Past due: retries the outstanding invoice. Canceled: charges a new \
                     reactivation invoice at the current price and starts a new period today. \
                     Uses the saved payment method; a decline leaves the subscription as it was.",
                )
                .flag(subscription_id())
                .flag(offer_id("Offer to apply when reactivating a canceled subscription"))
                .flag(Flag::idempotency_key())
                .example("commet subscriptions reactivate --id sub_xxx", "")
                .object(),
        )
        .action(
            Action::post("change-plan", "/subscriptions/{id}/change-plan", "Move a subscription to another plan or billing interval")
                .long_about(
                    "Upgrades and moves to a longer interval take effect now, prorated: the \
                     unused part of the current period is credited against the new price. \
                     Downgrades, moves to a shorter interval and paid-to-free changes are \
                     scheduled for the end of the period. Free-to-paid changes answer with a \
                     checkout URL. Both plans must be in the same plan group. Preview the cost \
                     with `preview-change`.",
                )
                .flag(subscription_id())
                .flag(Flag::string("new-plan-id").value_name("ID").help("Plan to move to (default: keep the plan)"))
                .flag(
                    Flag::enumeration("new-billing-interval", RECURRING_INTERVALS)
                        .help("Billing interval to move to (default: keep the interval)"),
                )
                .flag(success_url("Where the customer is sent after a checkout the change requires"))
                .flag(offer_id("Offer to apply to an immediate change"))
                .flag(Flag::idempotency_key())
                .example(
                    "commet subscriptions change-plan --id sub_xxx --new-plan-id plan_xxx --new-billing-interval yearly",
                    "Change plan and interval",
                )
                .object(),
        )
        .action(
            Action::post("preview-change", "/subscriptions/{id}/preview-change", "Preview the proration of an immediate plan change")
                .long_about(
                    "Shows the credit for the unused period, the new charge and the estimated \
                     total, in cents, without changing anything. A change that would be \
                     scheduled rather than immediate answers plan_change_scheduled.",
                )
                .flag(subscription_id())
                .flag(Flag::string("plan-id").required().value_name("ID").help("Plan to move to"))
                .flag(
                    Flag::enumeration("billing-interval", BILLING_INTERVALS)
                        .help("Billing interval to move to (default: keep the interval)"),
                )
                .flag(offer_id("Offer to include in the estimate"))
                .flag(Flag::idempotency_key())
                .example(
                    "commet subscriptions preview-change --id sub_xxx --plan-id plan_xxx --billing-interval yearly",
                    "What moving to the yearly plan would cost now",
                )
                .object(),
        )
        .action(
            Action::post("activate-addon", "/subscriptions/{id}/addons", "Activate an add-on on a subscription")
                .long_about(
                    "Charges the saved payment method at once for the rest of the period \
                     (prorated by days), then the add-on's full price on every renewal.",
                )
                .flag(subscription_id())
                .flag(Flag::string("addon-id").required().value_name("ID").help("Add-on ID"))
                .flag(Flag::idempotency_key())
                .example("commet subscriptions activate-addon --id sub_xxx --addon-id addon_xxx", "")
                .message("Add-on {addonId} is {status}; prorated charge: {proratedCharge} (cents)."),
        )
        .action(
            Action::delete("deactivate-addon", "/subscriptions/{id}/addons/{addonId}", "Deactivate an add-on on a subscription")
                .long_about("Takes effect immediately; the current period is not refunded.")
                .flag(subscription_id())
                .flag(Flag::string("addon-id").required().value_name("ID").help("Add-on ID"))
                .example("commet subscriptions deactivate-addon --id sub_xxx --addon-id addon_xxx", "")
                .message("Add-on {id} is {status} since {deactivatedAt}."),
        )
        .action(
            Action::post("adjust-balance", "/subscriptions/{id}/balance/adjust", "Add to or deduct from a subscription's balance or credits, without charging")
                .flag(subscription_id())
                .flag(
                    Flag::number("amount")
                        .required()
                        .value_name("AMOUNT")
                        .help("Amount to add, negative to deduct: in cents for --type balance, in credits for --type credits"),
                )
                .flag(Flag::string("reason").value_name("TEXT").help("Why the balance is adjusted"))
                .flag(
                    Flag::enumeration("type", &["balance", "credits"])
                        .help("What to adjust: the money balance or the credits"),
                )
                .flag(Flag::idempotency_key())
                .example(
                    r#"commet subscriptions adjust-balance --id sub_xxx --amount 1000 --type balance --reason "Courtesy credit""#,
                    "Add 10.00 to the balance",
                )
                .message("Adjusted by {amount}; new balance: {newBalance}."),
        )
        .action(
            Action::post("topup-balance", "/subscriptions/{id}/balance/topup", "Top up a prepaid balance, charging the saved payment method")
                .long_about("Top-ups are lost at the next period reset, when the balance returns to the plan's amount.")
                .flag(subscription_id())
                .flag(
                    Flag::number("amount")
                        .required()
                        .value_name("CENTS")
                        .help("Amount to charge and add to the balance, in cents (5000 = 50.00)"),
                )
                .flag(Flag::idempotency_key())
                .example("commet subscriptions topup-balance --id sub_xxx --amount 5000", "Add 50.00")
                .message("Added {amount} to the balance."),
        )
        .action(
            Action::post("purchase-credits", "/subscriptions/{id}/credits", "Buy a credit pack, charging the saved payment method")
                .long_about("Purchased credits never expire and survive period resets. Credits plans only.")
                .flag(subscription_id())
                .flag(
                    Flag::string("credit-pack-id")
                        .required()
                        .value_name("ID")
                        .help("Credit pack to buy"),
                )
                .flag(Flag::idempotency_key())
                .example("commet subscriptions purchase-credits --id sub_xxx --credit-pack-id cp_xxx", "")
                .message("Added {credits} credits."),
        )
        .action(
            Action::put("apply-offer", "/subscriptions/{id}/offer", "Apply an offer to a subscription still waiting for checkout")
                .long_about("The checkout URL stays the same. Offers that start with a free trial are refused.")
                .flag(subscription_id())
                .flag(Flag::string("offer-id").required().value_name("ID").help("Offer to apply"))
                .flag(Flag::datetime("expires-at").help("When the offer stops applying, ISO 8601"))
                .flag(Flag::idempotency_key())
                .example("commet subscriptions apply-offer --id sub_xxx --offer-id ofr_xxx", "")
                .object(),
        )
        .action(
            Action::delete("remove-offer", "/subscriptions/{id}/offer", "Remove the offer from a subscription still waiting for checkout")
                .flag(subscription_id())
                .example("commet subscriptions remove-offer --id sub_xxx", "")
                .object(),
        )
        .action(
            Action::post("update-payment-method", "/subscriptions/{id}/payment-method/update", "Get a checkout URL where the customer replaces their card")
                .flag(subscription_id())
                .flag(success_url("Where the customer is sent after saving the new payment method"))
                .flag(Flag::idempotency_key())
                .example("commet subscriptions update-payment-method --id sub_xxx --success-url https://app.acme.com/billing", "")
                .message("{checkoutUrl}"),
        )
        .action(
            Action::post("create-recovery-link", "/subscriptions/{id}/recovery-links", "Get a link where the customer pays a past-due subscription")
                .long_about("The link works until the invoice is paid or the subscription is no longer past due.")
                .flag(subscription_id())
                .flag(Flag::idempotency_key())
                .example("commet subscriptions create-recovery-link --id sub_xxx", "")
                .message("{url}"),
        )
}

fn plugin() -> Plugin {
    Plugin::new("subscriptions", env!("CARGO_PKG_VERSION"))
        .description("Subscriptions and their lifecycle")
        .group(subscriptions())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
