//! Variable names: how ztpath normalises them and reads what they are for (an address, a
//! credential, the peer they belong to).

/// A variable or key name as compared here: upper case, `-` and `.` as `_`.
pub fn normalise(name: &str) -> String {
    name.to_ascii_uppercase().replace(['-', '.'], "_")
}

/// Env or key names that carry an address.
pub fn url_name(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let n = name.to_ascii_uppercase();
    ["URL", "URI", "HOST", "ADDR", "ENDPOINT", "SERVER", "DSN", "CONNECTION", "BROKERS", "UPSTREAM"]
        .iter()
        .any(|k| n.contains(k))
}

/// Env or key names that carry a credential.
pub fn credential_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    if n.ends_with("_FILE")
        || n.ends_with("_PATH")
        || n.ends_with("_DIR")
        || n.ends_with("_ID")
        || n.ends_with("_NAME")
        || n.ends_with("_USER")
        || n.ends_with("_USERNAME")
    {
        return false;
    }
    if n.contains("AUTHOR")
        || [
            "_URL",
            "_URI",
            "_HOST",
            "_ADDR",
            "_ADDRESS",
            "_ENDPOINT",
            "_SERVER",
            "_PORT",
            "_MODE",
            "_ENABLED",
            "_TYPE",
            "_ISSUER",
            "_AUDIENCE",
            "_PROVIDER",
            "_METHOD",
            "_TTL",
            "_TIMEOUT",
        ]
        .iter()
        .any(|s| n.ends_with(s))
    {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "API_KEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH",
        "PASSPHRASE",
        "CLIENT_KEY",
    ]
    .iter()
    .any(|k| n.contains(k))
        || n.ends_with("_KEY")
        || n == "KEY"
        || n.ends_with("_PASS")
        || n.ends_with("_PWD")
}

/// The shared part of two related env names: `PAYMENTS_API_KEY` and `PAYMENTS_URL` → `PAYMENTS`.
pub(crate) fn name_base(name: &str) -> String {
    const SUFFIXES: &[&str] = &[
        "_API_KEY",
        "_APIKEY",
        "_ACCESS_KEY",
        "_SECRET_KEY",
        "_KEY",
        "_TOKEN",
        "_PASSWORD",
        "_PASS",
        "_PWD",
        "_SECRET",
        "_CREDENTIALS",
        "_CREDENTIAL",
        "_AUTH",
        "_URL",
        "_URI",
        "_HOST",
        "_ADDR",
        "_ADDRESS",
        "_ENDPOINT",
        "_SERVER",
        "_DSN",
        "_BASE",
        "_SERVICE",
        "_API",
    ];
    let mut n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    while let Some(s) = SUFFIXES.iter().find(|s| n.ends_with(*s) && n.len() > s.len()) {
        n.truncate(n.len() - s.len());
    }
    n
}

/// The last word of the name says the value is a password or secret (`DB_PASSWORD`,
/// `JWT_SECRET`, `API_TOKEN`, `PIN`), not a setting about one (`PASSWORD_MIN_LENGTH`).
pub fn names_a_password(name: &str) -> bool {
    let n = normalise(name);
    let last = n.rsplit('_').next().unwrap_or(&n);
    matches!(
        last,
        "PASSWORD"
            | "PASSWD"
            | "PASS"
            | "PWD"
            | "SECRET"
            | "TOKEN"
            | "APIKEY"
            | "PASSPHRASE"
            | "PIN"
            | "CREDENTIAL"
            | "CREDENTIALS"
    )
}
