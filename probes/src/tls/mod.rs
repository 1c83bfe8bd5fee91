//! Live TLS handshakes with endpoints (feature `tls-live`): what each one speaks, presents and
//! demands of its clients, as [`TlsObservation`]s.
//!
//! Per endpoint, with rustls (ring) on tokio:
//! 1. a handshake offering TLS 1.3 and 1.2 and no client certificate, with a verifier that
//!    records the chain and accepts it (the chain is judged apart, against the roots, at the
//!    reference time) and a client-certificate resolver that records whether it was asked
//!    (rustls calls it only on a CertificateRequest) and the CA names of the request. A request
//!    seen, the prober then finds out whether the server lets a client without a certificate in:
//!    in TLS 1.2 a refusal fails the handshake; in TLS 1.3 it comes after it, so the prober reads
//!    before writing until an alert, a close, a session ticket (sent once the server has accepted
//!    the client's last flight) or a short wait; then, over HTTP/1.1, one `GET /`, whose answer
//!    tells nginx's `ssl_verify_client on` (400 for a missing certificate) from `optional`;
//! 2. when 1.3 was negotiated, a TLS 1.2-only handshake (is 1.2 still accepted?);
//! 3. when 1.2 is accepted and the leaf key is RSA, a hand-built TLS 1.2 ClientHello offering
//!    only RSA key-exchange suites (no forward secrecy), read up to the ServerHello;
//! 4. with a client identity, a handshake presenting it (is mutual TLS with it let in?).
//!
//! Nothing but those bytes is sent. Bytes a server sends are classified (TLS or not, alert code,
//! HTTP status), never copied into an observation.

mod certs;
mod handshake;
mod hello;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use crate::inventory::{EstateRef, TlsObservation};

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
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
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
fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
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

/// Probes every target, at most `options.concurrency` at once, and returns one observation per
/// target in the order given. `progress(done, total)` is called as endpoints finish.
pub fn probe_all(
    targets: &[TlsTarget],
    options: &TlsProbeOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<TlsObservation>, String> {
    let roots = Arc::new(load_roots(&options.roots)?);
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get).min(8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the TLS prober: {e}"))?;
    let prober = Arc::new(handshake::Prober::new(roots, options)?);
    Ok(runtime.block_on(run(targets, options, prober, progress)))
}

async fn run(
    targets: &[TlsTarget],
    options: &TlsProbeOptions,
    prober: Arc<handshake::Prober>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<TlsObservation> {
    let deadline = tokio::time::Instant::now() + options.deadline;
    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, target) in targets.iter().enumerate() {
        let target = target.clone();
        let prober = Arc::clone(&prober);
        let semaphore = Arc::clone(&semaphore);
        let resolve = options.resolve.clone();
        set.spawn(async move {
            let Ok(_permit) = semaphore.acquire_owned().await else { return (i, None) };
            let address = resolve_target(&target, &resolve).await;
            (i, Some(prober.probe(&target, address).await))
        });
    }
    let total = targets.len();
    let done = AtomicUsize::new(0);
    let mut results: Vec<Option<TlsObservation>> = vec![None; total];
    loop {
        match tokio::time::timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((i, observation)))) => {
                results[i] = observation;
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            }
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    results
        .into_iter()
        .zip(targets)
        .map(|(r, t)| {
            r.unwrap_or_else(|| {
                let mut o = handshake::blank(t);
                o.error = Some("not probed before the deadline".to_owned());
                o
            })
        })
        .collect()
}

/// The address of a target: its pin, its literal, or the first the resolver gives.
async fn resolve_target(
    target: &TlsTarget,
    pins: &BTreeMap<(String, u16), std::net::IpAddr>,
) -> Result<SocketAddr, String> {
    if let Some(ip) = pins.get(&(target.host.to_ascii_lowercase(), target.port)) {
        return Ok(SocketAddr::new(*ip, target.port));
    }
    if let Ok(ip) = target.host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, target.port));
    }
    match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
        Ok(mut addrs) => addrs.next().ok_or_else(|| "the host name resolves to no address".to_owned()),
        Err(_) => Err("the host name does not resolve".to_owned()),
    }
}

fn load_roots(roots: &Roots) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (_added, _ignored) = store.add_parsable_certificates(found.certs);
        }
        Roots::Files(files) => {
            for file in files {
                let certs = read_pem_certs(file)?;
                let (added, _) = store.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!("{}: no usable CA certificate", file.display()));
                }
            }
        }
    }
    Ok(store)
}

/// The reference time as rustls wants it (times before 1970 are taken as 1970).
fn unix_time(seconds: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = TlsTarget::parse("api.example.com:8443=internal.example.com").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.sni.as_deref()),
            ("api.example.com", 8443, Some("internal.example.com"))
        );
        let t = TlsTarget::parse("[::1]:443=Deployment/shop/api").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.maps_to.unwrap().namespace.as_deref(), Some("shop"));
        let t = TlsTarget::parse("10.0.0.1:443=a.example=Nginx/edge").unwrap();
        assert_eq!(t.sni.as_deref(), Some("a.example"));
        assert_eq!(t.maps_to.unwrap().kind, "Nginx");
        for bad in ["host", "host:0", "host:99999", ":443", "h:1=a/b/c/d", "h:1=", "h:1=x=y"] {
            assert!(TlsTarget::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_resolve("a.example:443:127.0.0.1").unwrap().1.to_string(), "127.0.0.1");
        assert!(parse_resolve("a.example:443:nope").is_err());
    }
}
