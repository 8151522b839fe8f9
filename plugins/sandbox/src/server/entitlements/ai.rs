//! The sandbox's AI model catalog and token pricing (balance plans with
//! `pricingMode: ai_model`).
//!
//! Cost of one call, before margin:
//! `(input − cacheRead − cacheWrite) × inputPrice + output × outputPrice +
//! cacheRead × cacheReadPrice + cacheWrite × cacheWritePrice`, prices per
//! million tokens; then × (1 + margin %). Prices here are in the rate scale
//! per million tokens (10000 = 1.00 USD), so `$2.50 / 1M` is `25_000`, and
//! the result is rounded half up to a whole rate unit (0.0001 USD).

/// Token prices of one model, rate scale (USD) per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPrice {
    pub provider: &'static str,
    pub id: &'static str,
    pub input: i64,
    pub output: i64,
    pub cache_read: i64,
    pub cache_write: i64,
}

const fn m(
    provider: &'static str,
    id: &'static str,
    input: i64,
    output: i64,
    cache_read: i64,
    cache_write: i64,
) -> ModelPrice {
    ModelPrice {
        provider,
        id,
        input,
        output,
        cache_read,
        cache_write,
    }
}

/// The catalog. Fixed sandbox prices (list prices of the providers at the
/// time of writing); the hosted service keeps its own, updated catalog.
pub const MODELS: &[ModelPrice] = &[
    m("openai", "gpt-4o", 25_000, 100_000, 12_500, 25_000),
    m("openai", "gpt-4o-mini", 1_500, 6_000, 750, 1_500),
    m("openai", "gpt-4.1", 20_000, 80_000, 5_000, 20_000),
    m("openai", "gpt-4.1-mini", 4_000, 16_000, 1_000, 4_000),
    m("openai", "gpt-4.1-nano", 1_000, 4_000, 250, 1_000),
    m("openai", "o3", 20_000, 80_000, 5_000, 20_000),
    m("openai", "o4-mini", 11_000, 44_000, 2_750, 11_000),
    m(
        "anthropic",
        "claude-opus-4",
        150_000,
        750_000,
        15_000,
        187_500,
    ),
    m(
        "anthropic",
        "claude-sonnet-4",
        30_000,
        150_000,
        3_000,
        37_500,
    ),
    m(
        "anthropic",
        "claude-3-7-sonnet",
        30_000,
        150_000,
        3_000,
        37_500,
    ),
    m(
        "anthropic",
        "claude-3-5-sonnet",
        30_000,
        150_000,
        3_000,
        37_500,
    ),
    m("anthropic", "claude-3-5-haiku", 8_000, 40_000, 800, 10_000),
    m("google", "gemini-2.5-pro", 12_500, 100_000, 3_125, 12_500),
    m("google", "gemini-2.5-flash", 3_000, 25_000, 750, 3_000),
    m("google", "gemini-2.0-flash", 1_000, 4_000, 250, 1_000),
    m("google", "gemini-1.5-pro", 12_500, 50_000, 3_125, 12_500),
];

/// Finds a model by `id` or `provider/id` (any case). Dated snapshots such
/// as `claude-sonnet-4-20250514` or `gpt-4o-2024-08-06` resolve to their
/// family when the exact id is not listed.
pub fn find(model: &str) -> Option<&'static ModelPrice> {
    let wanted = model.trim().to_ascii_lowercase();
    let (provider, id) = match wanted.split_once('/') {
        Some((p, id)) => (Some(p.to_owned()), id.to_owned()),
        None => (None, wanted),
    };
    let matches_provider = |m: &ModelPrice| provider.as_deref().is_none_or(|p| p == m.provider);
    if let Some(found) = MODELS.iter().find(|m| m.id == id && matches_provider(m)) {
        return Some(found);
    }
    // `family-YYYYMMDD` / `family-YYYY-MM-DD` snapshots: strip a date suffix.
    let base = strip_date(&id)?;
    MODELS.iter().find(|m| m.id == base && matches_provider(m))
}

fn strip_date(id: &str) -> Option<&str> {
    if let Some((base, tail)) = id.rsplit_once('-') {
        if tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()) {
            return Some(base);
        }
    }
    // YYYY-MM-DD: three numeric dash-separated parts at the end.
    let parts: Vec<&str> = id.rsplitn(4, '-').collect();
    if parts.len() == 4
        && parts[0].len() == 2
        && parts[1].len() == 2
        && parts[2].len() == 4
        && parts[..3]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(parts[3]);
    }
    None
}

/// Token counts of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: i64,
    pub output: i64,
    pub cache_read: i64,
    pub cache_write: i64,
}

/// The cost of a call in the rate scale (USD), margin included.
/// `margin_percent` is a percentage (20 = 20 %).
pub fn cost(model: &ModelPrice, t: Tokens, margin_percent: f64) -> i64 {
    let non_cached = (t.input - t.cache_read - t.cache_write).max(0);
    let subtotal: i128 = i128::from(non_cached) * i128::from(model.input)
        + i128::from(t.output) * i128::from(model.output)
        + i128::from(t.cache_read) * i128::from(model.cache_read)
        + i128::from(t.cache_write) * i128::from(model.cache_write);
    // Margin in hundredths of a percent keeps the arithmetic exact.
    let margin_bp = (margin_percent * 100.0).round() as i128;
    let numerator = subtotal * (10_000 + margin_bp);
    let denominator: i128 = 1_000_000 * 10_000;
    let rounded = (numerator + denominator / 2) / denominator;
    i64::try_from(rounded.max(0)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_resolve_by_id_provider_and_snapshot() {
        assert_eq!(find("gpt-4o").map(|m| m.id), Some("gpt-4o"));
        assert_eq!(find("OpenAI/GPT-4o").map(|m| m.id), Some("gpt-4o"));
        assert_eq!(find("anthropic/gpt-4o"), None);
        assert_eq!(
            find("claude-sonnet-4-20250514").map(|m| m.id),
            Some("claude-sonnet-4")
        );
        assert_eq!(find("gpt-4o-2024-08-06").map(|m| m.id), Some("gpt-4o"));
        assert_eq!(find("gpt-9"), None);
    }

    #[test]
    fn token_cost_with_cache_and_margin() {
        let gpt4o = find("gpt-4o").unwrap();
        let t = Tokens {
            input: 500,
            output: 150,
            cache_read: 200,
            cache_write: 0,
        };
        // 300 × 2.50 + 150 × 10 + 200 × 1.25 per 1M = $0.0025 = 25 rate units.
        assert_eq!(cost(gpt4o, t, 0.0), 25);
        // + 20 % margin = $0.003.
        assert_eq!(cost(gpt4o, t, 20.0), 30);
        let big = Tokens {
            input: 1_000_000,
            output: 1_000_000,
            ..Tokens::default()
        };
        assert_eq!(cost(gpt4o, big, 0.0), 125_000);
    }
}
