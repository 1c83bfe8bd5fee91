//! What live TLS handshakes saw at an endpoint (`ztpath probe tls`, `ztpath scan --tls`): facts
//! observed on the wire, with no judgement. The prober (`crate::tls`, feature `tls-live`) fills
//! them; the engine compares them with what the configuration says.
//!
//! Text here is either the user's (targets) or parsed certificate fields; nothing is copied from
//! what a server sent otherwise. Times are Unix seconds (UTC).

/// One endpoint as the handshakes saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsObservation {
    /// The target as given (`host:port`, `host:port=SNI`).
    pub target: String,
    /// Host part of the target.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The server name sent (SNI) and checked against the certificate, when not the host.
    pub sni: Option<String>,
    /// The address connected to (`ip:port`).
    pub address: Option<String>,
    /// Whether the endpoint speaks TLS: `Some(false)` when it answered a ClientHello with
    /// something that is not TLS (plaintext); `None` when that could not be told.
    pub tls: Option<bool>,
    /// Negotiated protocol version (of the first handshake, which offers 1.3 and 1.2).
    pub version: Option<TlsVersion>,
    /// Negotiated cipher suite (IANA name as rustls spells it).
    pub cipher: Option<String>,
    /// Negotiated ALPN protocol.
    pub alpn: Option<String>,
    /// Whether a TLS 1.2-only handshake is accepted too.
    pub tls12_accepted: Option<bool>,
    /// A cipher suite without forward secrecy (RSA key exchange) that the server chose when a
    /// TLS 1.2 ClientHello offered only such suites.
    pub non_forward_secret_cipher: Option<String>,
    /// Client authentication.
    pub client_auth: Option<ClientAuth>,
    /// How a client without a certificate was refused, when it was.
    pub refusal: Option<Refusal>,
    /// Distinguished names of the CAs the server's CertificateRequest names (RFC 4514).
    pub ca_names: Vec<String>,
    /// The chain the server presented, leaf first.
    pub certificates: Vec<CertificateInfo>,
    /// Chain verified against the roots (system roots or `--tls-ca`) at the reference time,
    /// valid at that time, and valid for the name.
    pub verified: Option<bool>,
    /// Whether the chain leads to a trusted root (judged within the leaf's validity).
    pub trusted: Option<bool>,
    /// Whether the leaf is valid for the server name.
    pub name_valid: Option<bool>,
    /// With `--tls-client-cert`: whether a handshake with that identity was let in.
    pub client_cert_accepted: Option<bool>,
    /// What went wrong, in ztpath's words (never the server's).
    pub error: Option<String>,
    /// The estate object the user mapped the target to (`--tls-target host:port=Kind/ns/name`).
    pub maps_to: Option<EstateRef>,
    /// Where a recorded observation (a `TlsObservation` document) was read; `None` when live.
    pub source: Option<super::shared::Source>,
}

impl TlsObservation {
    /// The leaf certificate, if any was presented.
    pub fn leaf(&self) -> Option<&CertificateInfo> {
        self.certificates.first()
    }
}

/// A TLS protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// `TLSv1.2`, `TLSv1.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }
}

/// Whether the server asks for a client certificate, and whether it lets a client in without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientAuth {
    /// A CertificateRequest was sent and a client without a certificate was refused (a TLS alert,
    /// the connection closed, or nginx's HTTP 400 for a missing certificate).
    Required,
    /// A CertificateRequest was sent, and a client without a certificate was let in.
    Optional,
    /// No CertificateRequest.
    NotRequested,
}

impl ClientAuth {
    /// `required`, `optional`, `not-requested`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::Required => "required",
            ClientAuth::Optional => "optional",
            ClientAuth::NotRequested => "not-requested",
        }
    }
}

/// How a server refused a client that sent no certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// A fatal TLS alert (its code: 40 `handshake_failure`, 116 `certificate_required`, …).
    Alert(u8),
    /// The connection was closed (or reset) without an alert.
    Closed,
    /// The TLS handshake succeeded, and the HTTP response said a client certificate is required
    /// (nginx `ssl_verify_client on`: 400, internally 496).
    Http(u16),
}

/// An object of the estate, as `Kind/namespace/name` (or `Kind/name`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EstateRef {
    /// Kind (`Deployment`, `Service`, `Nginx`, …), as the user wrote it.
    pub kind: String,
    /// Namespace, when given.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// The key of a certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, or the algorithm's OID.
    pub algorithm: String,
    /// Size in bits (RSA modulus, EC field), when known.
    pub bits: Option<u32>,
    /// EC curve name (`P-256`, …).
    pub curve: Option<String>,
}

/// One certificate of a presented chain, as parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject DN (RFC 4514), control characters escaped.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// DNS SANs.
    pub dns_sans: Vec<String>,
    /// IP SANs.
    pub ip_sans: Vec<String>,
    /// URI SANs (SPIFFE IDs among them).
    pub uri_sans: Vec<String>,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// Key.
    pub key: KeyInfo,
    /// Signature algorithm (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`, or the OID).
    pub signature_algorithm: String,
    /// Issuer equals subject (and the key identifiers agree, where present).
    pub self_signed: bool,
    /// Basic constraints say CA.
    pub is_ca: bool,
}

impl CertificateInfo {
    /// Lifetime in seconds.
    pub fn lifetime_seconds(&self) -> i64 {
        self.not_after.saturating_sub(self.not_before)
    }

    /// The SPIFFE IDs among the URI SANs (`spiffe://` scheme, compared case-insensitively).
    pub fn spiffe_ids(&self) -> impl Iterator<Item = &str> {
        self.uri_sans
            .iter()
            .map(String::as_str)
            .filter(|u| u.get(..9).is_some_and(|s| s.eq_ignore_ascii_case("spiffe://")))
    }
}
