//! `commet provisioning ...`: hand an organization over to its owner.

use commet_sdk::prelude::*;

fn provisioning() -> Group {
    Group::new(
        "provisioning",
        "Hand over organizations created on someone's behalf",
    )
    .action(
        Action::post(
            "create-claim-link",
            "/claim-link",
            "Create a link that lets a person claim this organization",
        )
        .long_about(
            "For organizations set up programmatically (by an agent or a platform): the \
                     link lets a person sign in and claim the organization behind the API key in \
                     use, until it expires. Share it only with the intended owner.",
        )
        .flag(Flag::idempotency_key())
        .example("commet provisioning create-claim-link", "")
        .message("Claim link: {url}\nExpires: {expiresAt}"),
    )
}

fn plugin() -> Plugin {
    Plugin::new("provisioning", env!("CARGO_PKG_VERSION"))
        .description("Organization claim links")
        .group(provisioning())
}

commet_sdk::export_plugin!(plugin);

#[cfg(test)]
mod tests;
