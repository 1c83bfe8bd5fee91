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
mod options;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use options::read_pem_certs;
pub use options::{ClientIdentity, Roots, TlsProbeOptions, TlsTarget, is_server_name, parse_resolve};

use crate::inventory::TlsObservation;

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
