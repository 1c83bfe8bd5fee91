//! What gives a credential written in clear away: its shape. Rules decide on the variant; the
//! [`Display`](std::fmt::Display) form is for messages (and part of the ZT005 finding key, so it
//! must not change).

use std::collections::BTreeSet;
use std::fmt;

use ztpath_probes::Sensitive;

use crate::discover::names::{credential_name, names_a_password, normalise};

/// The shape of a leaked credential value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LeakShape {
    /// Any real value of a credential-named variable (`DB_PASSWORD: hunter2`).
    CredentialNamed,
    /// A literal equal to the value of a credential key of some Secret.
    SecretCopy,
    /// A password given on a server's command line (`--requirepass`).
    PasswordInArguments,
    /// The password of a URL's userinfo (`scheme://user:password@host`).
    PasswordInUrl,
    /// A token as a URL's user name (`https://<token>@host`).
    TokenInUrl,
    /// A PEM private key block.
    PemPrivateKey,
    /// An AWS access key id (`AKIA…`, `ASIA…`).
    AwsAccessKeyId,
    /// A GitHub token (`ghp_…`, `github_pat_…`).
    GitHubToken,
    /// A GitLab personal access token (`glpat-…`).
    GitLabToken,
    /// A Slack token (`xoxb-…`).
    SlackToken,
    /// A Stripe secret or restricted key (`sk_live_…`).
    StripeSecretKey,
    /// A Google API key (`AIza…`).
    GoogleApiKey,
    /// A SendGrid API key (`SG.…`).
    SendGridKey,
    /// A JSON Web Token.
    Jwt,
}

impl LeakShape {
    /// Found inside a URL (the fingerprint is the credential's, not the whole URL's).
    pub fn in_url(self) -> bool {
        matches!(self, LeakShape::PasswordInUrl | LeakShape::TokenInUrl)
    }

    /// The words for a message.
    pub fn as_str(self) -> &'static str {
        match self {
            LeakShape::CredentialNamed => "credential-named value",
            LeakShape::SecretCopy => "copy of a Secret value",
            LeakShape::PasswordInArguments => "password in arguments",
            LeakShape::PasswordInUrl => "password in URL",
            LeakShape::TokenInUrl => "token in URL",
            LeakShape::PemPrivateKey => "PEM private key",
            LeakShape::AwsAccessKeyId => "AWS access key id",
            LeakShape::GitHubToken => "GitHub token",
            LeakShape::GitLabToken => "GitLab token",
            LeakShape::SlackToken => "Slack token",
            LeakShape::StripeSecretKey => "Stripe secret key",
            LeakShape::GoogleApiKey => "Google API key",
            LeakShape::SendGridKey => "SendGrid key",
            LeakShape::Jwt => "JWT",
        }
    }
}

impl fmt::Display for LeakShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The credential a URL's userinfo holds: its password, or its user name when that is a token
/// of a known format (`https://<token>@host`).
pub fn url_credential(info: &ztpath_probes::Userinfo) -> Option<(Sensitive, LeakShape)> {
    match info.password() {
        Some(p) => Some((p.clone(), LeakShape::PasswordInUrl)),
        None => token_shape(info.user.expose()).map(|_| (info.user.clone(), LeakShape::TokenInUrl)),
    }
}

/// The credential after an Authorization header's scheme (`Bearer …`, `Basic …`, `Token …`).
pub(crate) fn strip_auth_scheme(v: &str) -> &str {
    ["Bearer ", "bearer ", "Basic ", "basic ", "Token ", "token "]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .map_or(v, str::trim)
}

/// Is this value a credential written in clear? Returns the shape that says so: a well-known
/// credential format; any real value of a credential-named variable (short values and dictionary
/// words included; only syntactic placeholders, paths, URLs without a password and settings are
/// not values); or, whatever its name and look, the value of a credential key of some Secret
/// (`secret_values`, fingerprints).
pub fn leaked_shape(name: &str, value: &Sensitive, secret_values: &BTreeSet<String>) -> Option<LeakShape> {
    let v = strip_auth_scheme(value.expose().trim());
    if let Some(shape) = token_shape(v) {
        return Some(shape);
    }
    // A password is a password however short; a short value under a name where the credential
    // word only qualifies another (`AUTH_STRATEGY`, `TOKEN_ALGORITHM`, `ROUTING_KEY`) is a setting.
    let short_ok = names_a_password(name)
        || normalise(name).ends_with("KEY") && ztpath_probes::k8s::well_known_default(v);
    if credential_name(name)
        && !ztpath_probes::k8s::looks_like_placeholder(v)
        && !v.contains(char::is_whitespace)
        && v.len() <= 4096
        && (v.len() >= 6 || short_ok)
        && !looks_like_reference(name, v)
    {
        return Some(LeakShape::CredentialNamed);
    }
    if !value.expose().is_empty() && secret_values.contains(&value.fingerprint().0) {
        return Some(LeakShape::SecretCopy);
    }
    None
}

/// Values that point at a credential instead of being one (a path, a URL without password,
/// a boolean setting), and numbers under names whose last word is not a credential (`TOKEN_TTL`,
/// `PASSWORD_MIN_LENGTH`): `DB_PASSWORD: "1234"` is a password.
fn looks_like_reference(name: &str, v: &str) -> bool {
    v.starts_with('/')
        || v.starts_with("./")
        || v.contains("://") && !v.contains('@')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "enabled" | "disabled" | "yes" | "no" | "bearer" | "basic" | "none"
        )
        || v.bytes().all(|b| b.is_ascii_digit()) && !names_a_password(name)
}

/// The credentials in the userinfo of every URL in a text (`scheme://user:password@host`, or a
/// token as the user name), whatever the host.
pub fn url_credentials(text: &str) -> Vec<(Sensitive, LeakShape)> {
    url_tokens(text)
        .filter_map(|token| {
            let rest = &token[token.find("://")? + 3..];
            let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
            authority.contains('@').then_some(())?;
            ztpath_probes::urls::split_userinfo(rest).1.as_ref().and_then(url_credential)
        })
        .collect()
}

/// The words of a text that may be URLs or addresses.
pub(crate) fn url_tokens(text: &str) -> impl Iterator<Item = &str> {
    let is_token = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '.' | '-' | '_' | ':' | '/' | '@' | '%' | '+' | '~' | '!' | '$' | '&' | '*' | '?' | '#' | '='
            )
    };
    text.split(move |c: char| !is_token(c)).filter(|t| t.len() >= 2 && t.len() <= 2048)
}

/// Recognises well-known credential formats regardless of the name they are stored under.
pub fn token_shape(v: &str) -> Option<LeakShape> {
    // Every format below is at least 20 characters long; most values are short settings.
    if v.len() < 20 {
        return None;
    }
    let alnum_upper = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY-----") {
        return Some(LeakShape::PemPrivateKey);
    }
    for prefix in ["AKIA", "ASIA"] {
        if let Some(i) = v.find(prefix) {
            let rest = &v[i..];
            if rest.len() >= 20 && alnum_upper(&rest[..20]) {
                return Some(LeakShape::AwsAccessKeyId);
            }
        }
    }
    let prefixed: &[(&str, LeakShape, usize)] = &[
        ("ghp_", LeakShape::GitHubToken, 36),
        ("gho_", LeakShape::GitHubToken, 36),
        ("ghs_", LeakShape::GitHubToken, 36),
        ("github_pat_", LeakShape::GitHubToken, 30),
        ("glpat-", LeakShape::GitLabToken, 20),
        ("xoxb-", LeakShape::SlackToken, 20),
        ("xoxp-", LeakShape::SlackToken, 20),
        ("xoxa-", LeakShape::SlackToken, 20),
        ("sk_live_", LeakShape::StripeSecretKey, 20),
        ("rk_live_", LeakShape::StripeSecretKey, 20),
        ("AIza", LeakShape::GoogleApiKey, 35),
        ("SG.", LeakShape::SendGridKey, 40),
    ];
    for (p, shape, min) in prefixed {
        if let Some(i) = v.find(p) {
            let rest = &v[i + p.len()..];
            let len = rest
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                .count();
            if len >= *min {
                return Some(*shape);
            }
        }
    }
    // A JWT: three base64url segments, the first two JSON objects.
    if let Some(i) = v.find("eyJ") {
        let rest = &v[i..];
        let tok: &str = &rest[..rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(rest.len())];
        let segs: Vec<&str> = tok.split('.').collect();
        if segs.len() == 3 && segs[1].starts_with("eyJ") && segs.iter().all(|s| s.len() >= 10) {
            return Some(LeakShape::Jwt);
        }
    }
    None
}
