//! What live TLS handshakes saw (`ztpath probe tls`, `ztpath scan --tls`): [`TlsEndpoint`]s,
//! in [`crate::Report::tls`], and their table.
//!
//! Every field of an endpoint is written, `null` when not known, so that readers of the JSON
//! can rely on the keys (docs/tls.md). Text is the user's targets or parsed certificate fields;
//! the renderers escape it like any other input.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{Subject, text};

/// One endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsEndpoint {
    /// The target as given (`host:port`, `host:port=SNI`, with its estate object).
    pub target: String,
    /// The address connected to (`ip:port`).
    pub address: Option<String>,
    /// Whether it speaks TLS (`false`: it answered a ClientHello with plaintext).
    pub tls: Option<bool>,
    /// `TLSv1.3`, `TLSv1.2`.
    pub version: Option<String>,
    /// Negotiated cipher suite.
    pub cipher: Option<String>,
    /// Negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// Whether a TLS 1.2-only handshake is accepted too.
    pub tls12_accepted: Option<bool>,
    /// A suite without forward secrecy the server accepts in TLS 1.2.
    pub non_forward_secret_cipher: Option<String>,
    /// `required`, `optional`, `not-requested`.
    pub client_auth: Option<String>,
    /// How a client without a certificate was refused (`alert 116`, `closed`, `http 400`).
    pub refusal: Option<String>,
    /// CA names of the server's CertificateRequest.
    pub ca_names: Vec<String>,
    /// The presented chain, leaf first.
    pub certificates: Vec<TlsCertificate>,
    /// Trusted, valid at the reference time and valid for the name.
    pub verified: Option<bool>,
    /// The chain leads to a trusted root.
    pub trusted: Option<bool>,
    /// The leaf is valid for the server name.
    pub name_valid: Option<bool>,
    /// With a client identity: whether mutual TLS with it was let in.
    pub client_cert_accepted: Option<bool>,
    /// The estate object the endpoint belongs to.
    pub maps_to: Option<Subject>,
    /// What went wrong.
    pub error: Option<String>,
}

/// One certificate of a chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsCertificate {
    /// Subject DN (RFC 4514).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial, hex.
    pub serial: String,
    /// DNS SANs.
    pub dns_sans: Vec<String>,
    /// IP SANs.
    pub ip_sans: Vec<String>,
    /// URI SANs (SPIFFE IDs).
    pub uri_sans: Vec<String>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_before: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_after: String,
    /// Lifetime in whole days.
    pub lifetime_days: i64,
    /// Lifetime in whole hours.
    pub lifetime_hours: i64,
    /// Whole days from the reference date to `not_after` (negative once expired).
    pub days_left: i64,
    /// Key: `EC P-256`, `RSA 2048`, `Ed25519`.
    pub key: String,
    /// Signature algorithm.
    pub signature_algorithm: String,
    /// Issuer equals subject.
    pub self_signed: bool,
    /// A CA certificate.
    pub is_ca: bool,
}

/// The table section of the endpoints (empty when there are none).
pub(crate) fn section(endpoints: &[TlsEndpoint]) -> String {
    if endpoints.is_empty() {
        return String::new();
    }
    let mut s = format!("TLS endpoints ({})\n", endpoints.len());
    let yes = |b: Option<bool>, y: &'static str, n: &'static str| match b {
        Some(true) => y,
        Some(false) => n,
        None => "?",
    };
    for e in endpoints {
        let _ = write!(s, "  {}", text::escape(&e.target));
        if let Some(a) = &e.address {
            let _ = write!(s, " ({})", text::escape(a));
        }
        s.push('\n');
        if let Some(err) = &e.error {
            let _ = writeln!(s, "    error: {}", text::escape(err));
        }
        if e.tls == Some(false) {
            s.push_str("    plaintext: no TLS\n");
            continue;
        }
        if e.tls.is_none() {
            continue;
        }
        let _ = writeln!(
            s,
            "    {} {} alpn {}; TLS 1.2 {}{}",
            e.version.as_deref().unwrap_or("?"),
            e.cipher.as_deref().unwrap_or("?"),
            text::escape(e.alpn.as_deref().unwrap_or("-")),
            yes(e.tls12_accepted, "accepted", "refused"),
            e.non_forward_secret_cipher
                .as_deref()
                .map(|c| format!(" (also {c}, no forward secrecy)"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "    client auth: {}{}{}",
            e.client_auth.as_deref().unwrap_or("?"),
            e.refusal.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
            match e.client_cert_accepted {
                Some(true) => "; the given client certificate is let in",
                Some(false) => "; the given client certificate is refused",
                None => "",
            }
        );
        if !e.ca_names.is_empty() {
            let names: Vec<_> = e.ca_names.iter().map(|n| text::escape(n).into_owned()).collect();
            let _ = writeln!(s, "    accepted client CAs: {}", names.join("; "));
        }
        let _ = writeln!(
            s,
            "    chain: {}, trusted {}, name {}",
            yes(e.verified, "verified", "not verified"),
            yes(e.trusted, "yes", "no"),
            yes(e.name_valid, "valid", "not valid")
        );
        for (i, c) in e.certificates.iter().enumerate() {
            let mut sans: Vec<String> = Vec::new();
            sans.extend(c.dns_sans.iter().map(|d| format!("DNS:{}", text::escape(d))));
            sans.extend(c.ip_sans.iter().map(|d| format!("IP:{d}")));
            sans.extend(c.uri_sans.iter().map(|d| format!("URI:{}", text::escape(d))));
            let _ = writeln!(
                s,
                "    [{i}] {} (issuer {}){}\n        {} .. {} ({} days, {} left), {}, {}{}",
                text::escape(&c.subject),
                text::escape(&c.issuer),
                if sans.is_empty() { String::new() } else { format!(" {}", sans.join(", ")) },
                c.not_before,
                c.not_after,
                c.lifetime_days,
                c.days_left,
                c.key,
                c.signature_algorithm,
                if c.self_signed { ", self-signed" } else { "" }
            );
        }
    }
    s
}
