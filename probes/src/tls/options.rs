//! What the prober is given: targets, options, roots and a client identity (a leaf module that
//! the handshakes and the run both use).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use crate::inventory::EstateRef;

/// How to probe.
#[derive(Clone, Debug)]
pub struct TlsProbeOptions {
    /// Handshakes in flight at once.
    pub concurrency: usize,
    /// Bound of one connection attempt and handshake.
    pub timeout: Duration,
    /// How long to wait, after a TLS 1.3 handshake that asked for a certificate, for a refusal.
    pub refusal_wait: Duration,
    /// Bound of the whole run: endpoints not done by then are reported as such.
    pub deadline: Duration,
    /// Reference time of certificate validity checks (Unix seconds).
    pub now: i64,
    /// Roots to verify chains against: `--tls-ca` files, else the system's.
    pub roots: Roots,
    /// `HOST:PORT` → address, as curl's `--resolve`.
    pub resolve: BTreeMap<(String, u16), std::net::IpAddr>,
    /// A client identity to confirm mutual TLS with.
    pub client_identity: Option<ClientIdentity>,
}

impl Default for TlsProbeOptions {
    fn default() -> Self {
        TlsProbeOptions {
            concurrency: 64,
            timeout: Duration::from_secs(5),
            refusal_wait: Duration::from_millis(300),
            deadline: Duration::from_secs(300),
            now: 0,
            roots: Roots::System,
            resolve: BTreeMap::new(),
            client_identity: None,
        }
    }
}

/// Where trust anchors come from.
#[derive(Clone, Debug)]
pub enum Roots {
    /// The system's certificate store (rustls-native-certs).
    System,
    /// Certificates of these PEM files.
    Files(Vec<std::path::PathBuf>),
}

/// A client certificate chain and its key (the key is never shown).
#[derive(Clone)]
pub struct ClientIdentity {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) key: Arc<PrivateKeyDer<'static>>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientIdentity({} certificate(s), key withheld)", self.chain.len())
    }
}

impl ClientIdentity {
    /// Reads a PEM certificate chain and a PEM private key. Errors name the file, never its content.
    pub fn load(cert: &Path, key: &Path) -> Result<ClientIdentity, String> {
        let chain = read_pem_certs(cert)?;
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|_| format!("{}: no readable PEM private key", key.display()))?;
        Ok(ClientIdentity { chain, key: Arc::new(key) })
    }
}

/// The PEM certificates of a file.
pub(super) fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|_| format!("{}: cannot read PEM certificates", path.display()))?
        .collect();
    match certs {
        Ok(c) if !c.is_empty() => Ok(c),
        _ => Err(format!("{}: no readable PEM certificate", path.display())),
    }
}

/// One endpoint to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsTarget {
    /// As written.
    pub text: String,
    /// Host name or address literal (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Server name to send, when not the host.
    pub sni: Option<String>,
    /// The estate object it belongs to.
    pub maps_to: Option<EstateRef>,
}

impl TlsTarget {
    /// Parses `host:port`, `host:port=SNI`, `host:port=Kind/ns/name` or
    /// `host:port=SNI=Kind/ns/name` (`[v6]:port` for IPv6). The error never quotes the text.
    pub fn parse(text: &str) -> Result<TlsTarget, String> {
        let text = text.trim();
        let mut parts = text.split('=');
        let endpoint = parts.next().unwrap_or_default();
        let (host, port) = split_host_port(endpoint)?;
        let mut sni = None;
        let mut maps_to = None;
        for part in parts {
            if part.contains('/') {
                if maps_to.is_some() {
                    return Err("more than one estate object (Kind/namespace/name)".to_owned());
                }
                maps_to = Some(parse_object_ref(part)?);
            } else {
                if sni.is_some() || maps_to.is_some() {
                    return Err("expected host:port[=SNI][=Kind/namespace/name]".to_owned());
                }
                if part.is_empty() || rustls::pki_types::ServerName::try_from(part).is_err() {
                    return Err("the server name after `=` is not a DNS name or an address".to_owned());
                }
                sni = Some(part.to_owned());
            }
        }
        Ok(TlsTarget { text: text.to_owned(), host, port, sni, maps_to })
    }

    /// The name checked against the certificate (and sent as SNI when a DNS name).
    pub fn server_name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }
}

fn split_host_port(endpoint: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = endpoint.strip_prefix('[') {
        let (h, p) = rest.split_once("]:").ok_or("expected [address]:port")?;
        (h, p)
    } else {
        endpoint.rsplit_once(':').ok_or("expected host:port")?
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("the host is empty or holds spaces".to_owned());
    }
    let port: u16 = port.parse().map_err(|_| "the port is not a number from 1 to 65535".to_owned())?;
    if port == 0 {
        return Err("the port is not a number from 1 to 65535".to_owned());
    }
    Ok((host.to_owned(), port))
}

fn parse_object_ref(text: &str) -> Result<EstateRef, String> {
    let bad = || "the estate object is not Kind/namespace/name or Kind/name".to_owned();
    let pieces: Vec<&str> = text.split('/').collect();
    if pieces.iter().any(|p| p.is_empty() || p.chars().any(char::is_control)) {
        return Err(bad());
    }
    match pieces.as_slice() {
        [kind, name] => Ok(EstateRef { kind: (*kind).to_owned(), namespace: None, name: (*name).to_owned() }),
        [kind, ns, name] => Ok(EstateRef {
            kind: (*kind).to_owned(),
            namespace: Some((*ns).to_owned()),
            name: (*name).to_owned(),
        }),
        _ => Err(bad()),
    }
}

/// Whether `name` can be sent as a server name and connected to: a DNS name or an IP address
/// (no wildcard).
pub fn is_server_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('*') && rustls::pki_types::ServerName::try_from(name).is_ok()
}

/// Parses `HOST:PORT:ADDR` (curl's `--resolve`; ADDR may be `[v6]`).
pub fn parse_resolve(text: &str) -> Result<((String, u16), std::net::IpAddr), String> {
    let bad = || "expected HOST:PORT:ADDRESS".to_owned();
    let (host, rest) = text.split_once(':').ok_or_else(bad)?;
    let (port, addr) = rest.split_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr: std::net::IpAddr = addr.parse().map_err(|_| "the address is not an IP address".to_owned())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok(((host.to_ascii_lowercase(), port), addr))
}

/// The reference time as rustls wants it (times before 1970 are taken as 1970).
pub(super) fn unix_time(seconds: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}
