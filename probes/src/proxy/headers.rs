//! Identity headers: the request headers that carry a caller's identity to a backend, shared by
//! the nginx and HAProxy readers.

/// Does a header name look like it carries a caller's identity?
pub(crate) fn identity_name(name: &str) -> bool {
    const MARKERS: &[&str] = &[
        "ssl-client",
        "client-cert",
        "x-ssl",
        "x-client",
        "x-forwarded-client-cert",
        "x-amzn-mtls",
        "remote-user",
        "forwarded-user",
        "auth-request-user",
        "forwarded-email",
    ];
    let n = name.to_ascii_lowercase().replace('_', "-");
    MARKERS.iter().any(|m| n.contains(m))
}
