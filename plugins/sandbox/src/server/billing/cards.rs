//! Sandbox test cards (expiry 12/34, CVC 123, any name).
//!
//! | number | at checkout | later charges (renewals, retries, add-ons…) |
//! |---|---|---|
//! | `4242 4242 4242 4242`, `5555 5555 5555 4444`, `3782 822463 10005` | succeeds | succeed |
//! | `4000 0000 0000 3220`, `4000 0025 0000 3155` (3-D Secure) | succeeds (authentication auto-approved) | succeed |
//! | `4000 0000 0000 0341` | succeeds, card saved | declined `card_declined` |
//! | `4000 0000 0000 9995` | declined `insufficient_funds` | — |
//! | `4000 0000 0000 0002` | declined `card_declined` | — |
//! | `4000 0000 0000 0069` | declined `expired_card` | — |

/// A decline: `(failure code, message)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub code: &'static str,
    pub message: &'static str,
}

/// A known test card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCard {
    pub number: &'static str,
    pub brand: &'static str,
    /// What happens when the card is entered at checkout.
    pub at_checkout: Option<Decline>,
    /// What happens to every later off-session charge of the saved card.
    pub later: Option<Decline>,
    pub label: &'static str,
}

const INSUFFICIENT: Decline = Decline {
    code: "insufficient_funds",
    message: "Your card has insufficient funds.",
};
const DECLINED: Decline = Decline {
    code: "card_declined",
    message: "Your card was declined.",
};
const EXPIRED: Decline = Decline {
    code: "expired_card",
    message: "Your card has expired.",
};

pub const CARDS: &[TestCard] = &[
    TestCard {
        number: "4242424242424242",
        brand: "visa",
        at_checkout: None,
        later: None,
        label: "succeeds",
    },
    TestCard {
        number: "5555555555554444",
        brand: "mastercard",
        at_checkout: None,
        later: None,
        label: "succeeds (Mastercard)",
    },
    TestCard {
        number: "378282246310005",
        brand: "amex",
        at_checkout: None,
        later: None,
        label: "succeeds (American Express)",
    },
    TestCard {
        number: "4000000000003220",
        brand: "visa",
        at_checkout: None,
        later: None,
        label: "3-D Secure, auto-approved in the sandbox",
    },
    TestCard {
        number: "4000002500003155",
        brand: "visa",
        at_checkout: None,
        later: None,
        label: "3-D Secure, auto-approved in the sandbox",
    },
    TestCard {
        number: "4000000000000341",
        brand: "visa",
        at_checkout: None,
        later: Some(DECLINED),
        label: "checkout succeeds, later charges (renewals) are declined",
    },
    TestCard {
        number: "4000000000009995",
        brand: "visa",
        at_checkout: Some(INSUFFICIENT),
        later: Some(INSUFFICIENT),
        label: "declined: insufficient funds",
    },
    TestCard {
        number: "4000000000000002",
        brand: "visa",
        at_checkout: Some(DECLINED),
        later: Some(DECLINED),
        label: "declined: generic decline",
    },
    TestCard {
        number: "4000000000000069",
        brand: "visa",
        at_checkout: Some(EXPIRED),
        later: Some(EXPIRED),
        label: "declined: expired card",
    },
];

/// The card used when a checkout is completed without a number.
pub const DEFAULT_CARD: &str = "4242424242424242";

/// Digits only (spaces and dashes dropped).
pub fn normalize(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// The test card with this number, if it is one.
pub fn lookup(number: &str) -> Option<&'static TestCard> {
    let digits = normalize(number);
    CARDS.iter().find(|c| c.number == digits)
}

/// What an off-session charge of a saved card number does.
pub fn charge_saved(number: &str) -> Result<(), Decline> {
    match lookup(number) {
        Some(card) => match &card.later {
            Some(d) => Err(d.clone()),
            None => Ok(()),
        },
        None => Err(DECLINED),
    }
}

/// Whether a decline is worth retrying (dunning) rather than needing the
/// customer to act.
pub fn retryable(code: &str) -> bool {
    matches!(code, "insufficient_funds" | "card_declined")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_by_number() {
        assert!(lookup("4242 4242 4242 4242").unwrap().at_checkout.is_none());
        assert_eq!(
            lookup("4000-0000-0000-9995")
                .unwrap()
                .at_checkout
                .as_ref()
                .unwrap()
                .code,
            "insufficient_funds"
        );
        assert!(lookup("1234").is_none());
        assert!(charge_saved("4000000000000341").is_err());
        assert!(charge_saved("4242424242424242").is_ok());
    }
}
