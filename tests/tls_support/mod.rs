//! rustls servers for the live TLS tests, started in the test process on loopback, with
//! certificates made by rcgen and dated around the reference date 2026-11-25 (the tests pass
//! `--now 2026-11-25`, so nothing depends on the real date).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A certificate and its key.
pub(crate) struct Leaf {
    pub(crate) der: CertificateDer<'static>,
    pub(crate) pem: String,
    pub(crate) key_der: Vec<u8>,
    pub(crate) key_pem: String,
}

/// A test CA that issues leaves.
pub(crate) struct Ca {
    pub(crate) pem: String,
    pub(crate) der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

macro_rules! at {
    ($y:expr, $m:expr, $d:expr, $h:expr) => {
        rcgen::date_time_ymd($y, $m, $d) + Duration::from_secs($h * 3600)
    };
}

impl Ca {
    pub(crate) fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(DnType::OrganizationName, "ztpath tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = at!(2026, 1, 1, 0);
        params.not_after = at!(2028, 1, 1, 0);
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("CA");
        Ca { pem: cert.pem(), der: cert.der().clone(), issuer: Issuer::new(params, key) }
    }

    /// A leaf for `dns` names with optional SPIFFE ID, valid from `from` to `to` ((y, m, d, hour)).
    pub(crate) fn leaf(
        &self,
        dns: &[&str],
        spiffe: Option<&str>,
        from: (i32, u8, u8, u64),
        to: (i32, u8, u8, u64),
    ) -> Leaf {
        let (params, key) = leaf_params(dns, spiffe, from, to);
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        Leaf {
            der: cert.der().clone(),
            pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn leaf_params(
    dns: &[&str],
    spiffe: Option<&str>,
    from: (i32, u8, u8, u64),
    to: (i32, u8, u8, u64),
) -> (CertificateParams, KeyPair) {
    let mut params =
        CertificateParams::new(dns.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>()).expect("params");
    params.distinguished_name.push(DnType::CommonName, dns.first().copied().unwrap_or("workload"));
    if let Some(id) = spiffe {
        params.subject_alt_names.push(SanType::URI(id.try_into().expect("ia5")));
    }
    params.not_before = at!(from.0, from.1, from.2, from.3);
    params.not_after = at!(to.0, to.1, to.2, to.3);
    (params, KeyPair::generate().expect("key"))
}

/// A self-signed leaf (no CA).
pub(crate) fn self_signed(dns: &[&str]) -> Leaf {
    let (params, key) = leaf_params(dns, None, (2026, 1, 1, 0), (2027, 12, 1, 0));
    let cert = params.self_signed(&key).expect("self-signed");
    Leaf {
        der: cert.der().clone(),
        pem: cert.pem(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    }
}

/// An estate whose namespace `shop` is STRICT mTLS, with the Deployment `api` (service account
/// `api`, port 8443) and the Deployment `web` (no account of its own, port 8080).
pub(crate) const STRICT_SHOP: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n---\n\
apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec: {mtls: {mode: STRICT}}\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: api\n      containers: [{name: api, image: api:1, ports: [{containerPort: 8443}]}]\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]\n";

/// A day-long certificate for `api.shop.svc` that presents the SPIFFE ID of another service
/// account (`shop/payments`): identity substitution, against [`STRICT_SHOP`].
pub(crate) fn substituted_leaf(ca: &Ca) -> Leaf {
    ca.leaf(
        &["api.shop.svc"],
        Some("spiffe://cluster.local/ns/shop/sa/payments"),
        (2026, 11, 24, 12),
        (2026, 11, 25, 12),
    )
}

/// A TLS 1.3 server that asks for a client certificate of `clients` and lets a client without one in.
pub(crate) fn admits_anyone<'a>(leaf: &'a Leaf, clients: &'a Ca) -> Spec<'a> {
    Spec { leaf, auth: ClientAuth::Optional, versions: Versions::Tls13Only, client_ca: Some(clients) }
}

/// Client authentication of a test server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    Off,
    Optional,
    Required,
}

/// Protocol versions of a test server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Versions {
    Tls13Only,
    Tls12Only,
    Both,
}

/// What to start.
pub(crate) struct Spec<'a> {
    pub(crate) leaf: &'a Leaf,
    pub(crate) auth: ClientAuth,
    pub(crate) versions: Versions,
    /// The CA client certificates must chain to.
    pub(crate) client_ca: Option<&'a Ca>,
}

/// Servers running on a runtime of their own; dropped, they stop.
pub(crate) struct Servers {
    runtime: Option<tokio::runtime::Runtime>,
    pub(crate) addrs: Vec<SocketAddr>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn server_config(spec: &Spec<'_>) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match spec.versions {
        Versions::Tls13Only => &[&rustls::version::TLS13],
        Versions::Tls12Only => &[&rustls::version::TLS12],
        Versions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .expect("versions");
    let builder = match spec.auth {
        ClientAuth::Off => builder.with_no_client_auth(),
        auth => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(spec.client_ca.expect("a client CA").der.clone()).expect("root");
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier =
                if auth == ClientAuth::Optional { verifier.allow_unauthenticated() } else { verifier };
            builder.with_client_cert_verifier(verifier.build().expect("verifier"))
        }
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(spec.leaf.key_der.clone()));
    builder.with_single_cert(vec![spec.leaf.der.clone()], key).expect("server cert")
}

/// Starts one rustls server per spec, and `plaintext` HTTP servers, on 127.0.0.1.
pub(crate) fn start(specs: &[Spec<'_>], plaintext: usize) -> Servers {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut addrs = Vec::new();
    for spec in specs {
        let config = Arc::new(server_config(spec));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        addrs.push(listener.local_addr().expect("addr"));
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let mut tls = match acceptor.accept(tcp).into_fallible().await {
                        Ok(tls) => tls,
                        Err((_, mut tcp)) => {
                            // Refused (the alert is sent): read what the client still sends
                            // before closing, as servers do (nginx's lingering close). Closing
                            // with unread bytes resets the connection, and a reset can reach the
                            // client before the alert does.
                            let mut buf = [0u8; 1024];
                            let drain = async { while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {} };
                            let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                            return;
                        }
                    };
                    let mut buf = [0u8; 1024];
                    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut buf)).await
                        && n > 0
                    {
                        let _ = tls
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                            .await;
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
    }
    for _ in 0..plaintext {
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
        addrs.push(listener.local_addr().expect("addr"));
        runtime.spawn(async move {
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else { continue };
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = tcp.read(&mut buf).await;
                    let _ = tcp
                        .write_all(
                            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
    }
    Servers { runtime: Some(runtime), addrs }
}
