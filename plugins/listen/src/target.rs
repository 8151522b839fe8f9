//! Where events are forwarded: `3000`, `localhost:3000/webhooks` or a URL.

/// Turns the `<url>` argument into a full URL.
pub fn parse(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("the target is empty".into());
    }
    if let Ok(port) = raw.parse::<u32>() {
        return check_port(port).map(|p| format!("http://localhost:{p}/"));
    }
    let with_scheme = if raw.starts_with("http://") || raw.starts_with("https://") {
        raw.to_owned()
    } else if raw.contains("://") {
        return Err(format!(
            "'{raw}' uses an unsupported scheme; use http:// or https://"
        ));
    } else {
        format!("http://{raw}")
    };
    let after_scheme = with_scheme
        .split_once("://")
        .map(|x| x.1)
        .unwrap_or_default();
    let (authority, path) = match after_scheme.find('/') {
        Some(i) => (&after_scheme[..i], &after_scheme[i..]),
        None => (after_scheme, "/"),
    };
    if authority.is_empty() {
        return Err(format!("'{raw}' has no host"));
    }
    if let Some((_, port)) = authority.rsplit_once(':') {
        let port: u32 = port
            .parse()
            .map_err(|_| format!("'{port}' in '{raw}' is not a port number"))?;
        check_port(port)?;
    }
    let scheme = with_scheme.split_once("://").map(|x| x.0).unwrap_or("http");
    Ok(format!("{scheme}://{authority}{path}"))
}

fn check_port(port: u32) -> Result<u32, String> {
    if (1..=65535).contains(&port) {
        Ok(port)
    } else {
        Err(format!("port {port} is out of range (1-65535)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_documented_forms() {
        assert_eq!(parse("3000").unwrap(), "http://localhost:3000/");
        assert_eq!(
            parse("localhost:3000/webhooks").unwrap(),
            "http://localhost:3000/webhooks"
        );
        assert_eq!(
            parse("http://local.commet.co:3010/api").unwrap(),
            "http://local.commet.co:3010/api"
        );
        assert_eq!(parse("https://x.dev").unwrap(), "https://x.dev/");
    }

    #[test]
    fn bad_targets_say_why() {
        assert!(parse("70000").unwrap_err().contains("out of range"));
        assert!(parse("localhost:abc").unwrap_err().contains("not a port"));
        assert!(parse("ftp://x").unwrap_err().contains("scheme"));
        assert!(parse("").is_err());
    }
}
