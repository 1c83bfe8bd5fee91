//! The handshakes of one endpoint, and how their outcomes become a [`TlsObservation`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionStore, ResolvesClientCert, Resumption, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, NamedGroup, ProtocolVersion, RootCertStore,
    SignatureScheme, SupportedProtocolVersion,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::options::{TlsProbeOptions, TlsTarget, unix_time};
use super::{certs, hello};
use crate::inventory::{ClientAuth, Refusal, TlsObservation, TlsVersion};

/// What every handshake of a run shares.
pub(super) struct Prober {
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
    timeout: Duration,
    refusal_wait: Duration,
    now: i64,
    identity: Option<Arc<CertifiedKey>>,
}

/// An observation with only the target filled in.
pub(super) fn blank(target: &TlsTarget) -> TlsObservation {
    TlsObservation {
        target: target.text.clone(),
        host: target.host.clone(),
        port: target.port,
        sni: target.sni.clone(),
        maps_to: target.maps_to.clone(),
        ..TlsObservation::default()
    }
}

/// How one handshake ended.
struct Outcome {
    /// CA names of the CertificateRequest, when one was seen.
    asked: Option<Vec<Vec<u8>>>,
    /// The presented chain, leaf first.
    chain: Vec<CertificateDer<'static>>,
    result: Result<Session, Failure>,
}

struct Session {
    version: Option<TlsVersion>,
    cipher: Option<String>,
    alpn: Option<String>,
    /// `None` when the client was let in (or it was not asked); the refusal otherwise.
    refused: Option<Refusal>,
}

enum Failure {
    NotTls,
    Alert(u8),
    Closed,
    Timeout,
    Other(String),
}

impl Failure {
    fn describe(&self) -> String {
        match self {
            Failure::NotTls => {
                "the endpoint answered a TLS ClientHello with something else than TLS (plaintext)".to_owned()
            }
            Failure::Alert(code) => format!("the handshake failed with TLS alert {code}"),
            Failure::Closed => "the connection was closed during the handshake".to_owned(),
            Failure::Timeout => "no answer within the handshake timeout".to_owned(),
            Failure::Other(why) => why.clone(),
        }
    }
}

const TLS13_AND_12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];
const TLS12_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];

impl Prober {
    pub(super) fn new(roots: Arc<RootCertStore>, options: &TlsProbeOptions) -> Result<Prober, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let identity = match &options.client_identity {
            Some(id) => {
                let key = provider
                    .key_provider
                    .load_private_key(id.key.clone_key())
                    .map_err(|_| "the client private key is not of a supported type".to_owned())?;
                Some(Arc::new(CertifiedKey::new(id.chain.clone(), key)))
            }
            None => None,
        };
        Ok(Prober {
            provider,
            roots,
            timeout: options.timeout,
            refusal_wait: options.refusal_wait,
            now: options.now,
            identity,
        })
    }

    /// Every handshake of one endpoint.
    pub(super) async fn probe(
        &self,
        target: &TlsTarget,
        address: Result<SocketAddr, String>,
    ) -> TlsObservation {
        let mut o = blank(target);
        let addr = match address {
            Ok(a) => a,
            Err(e) => {
                o.error = Some(e);
                return o;
            }
        };
        o.address = Some(addr.to_string());
        let Ok(name) = ServerName::try_from(target.server_name().to_owned()) else {
            o.error = Some("the server name is not a DNS name or an address".to_owned());
            return o;
        };
        let first = self.handshake(addr, &name, TLS13_AND_12, None).await;
        o.certificates = first.chain.iter().filter_map(|c| certs::parse(c)).collect();
        if let Some(names) = &first.asked {
            o.ca_names = names.iter().map(|n| certs::distinguished_name(n)).collect();
        }
        if !first.chain.is_empty() {
            self.judge_chain(&first.chain, &name, &mut o);
        }
        match first.result {
            Ok(session) => {
                o.tls = Some(true);
                o.version = session.version;
                o.cipher = session.cipher;
                o.alpn = session.alpn;
                o.refusal = session.refused;
                o.client_auth = Some(match (&first.asked, session.refused) {
                    (None, _) => ClientAuth::NotRequested,
                    (Some(_), None) => ClientAuth::Optional,
                    (Some(_), Some(_)) => ClientAuth::Required,
                });
            }
            Err(failure) => {
                match (&failure, &first.asked) {
                    // A TLS 1.2 server that asked for a certificate and got none refuses in the
                    // handshake.
                    (Failure::Alert(code), Some(_)) => {
                        o.tls = Some(true);
                        o.client_auth = Some(ClientAuth::Required);
                        o.refusal = Some(Refusal::Alert(*code));
                        o.version = Some(TlsVersion::Tls12);
                    }
                    (Failure::Closed, Some(_)) => {
                        o.tls = Some(true);
                        o.client_auth = Some(ClientAuth::Required);
                        o.refusal = Some(Refusal::Closed);
                        o.version = Some(TlsVersion::Tls12);
                    }
                    (Failure::NotTls, _) => o.tls = Some(false),
                    (Failure::Alert(_), None) => {
                        o.tls = Some(true);
                        o.error = Some(failure.describe());
                    }
                    _ => o.error = Some(failure.describe()),
                }
                if o.tls != Some(true) || o.client_auth.is_none() {
                    if o.tls == Some(false) {
                        o.error = Some(failure.describe());
                    }
                    return o;
                }
            }
        }
        // TLS 1.2 alongside 1.3?
        o.tls12_accepted = match o.version {
            Some(TlsVersion::Tls12) => Some(true),
            Some(TlsVersion::Tls13) => {
                let second = self.handshake(addr, &name, TLS12_ONLY, None).await;
                // A server that sent its certificate or a CertificateRequest had agreed on 1.2,
                // whether it then refused the certificate-less client or not.
                Some(second.result.is_ok() || second.asked.is_some() || !second.chain.is_empty())
            }
            None => None,
        };
        if o.tls12_accepted == Some(true) && o.leaf().is_some_and(|l| l.key.algorithm == "RSA") {
            let sni = target.server_name();
            o.non_forward_secret_cipher =
                hello::non_forward_secret(addr, Some(sni), self.timeout).await.map(str::to_owned);
        }
        if let Some(identity) = &self.identity {
            let with = self.handshake(addr, &name, TLS13_AND_12, Some(Arc::clone(identity))).await;
            o.client_cert_accepted = Some(matches!(with.result, Ok(Session { refused: None, .. })));
        }
        o
    }

    /// Trust, name and validity of a chain at the reference time.
    fn judge_chain(&self, chain: &[CertificateDer<'static>], name: &ServerName<'_>, o: &mut TlsObservation) {
        let Ok(parsed) = rustls::server::ParsedCertificate::try_from(&chain[0]) else {
            o.trusted = Some(false);
            o.verified = Some(false);
            return;
        };
        let algs = self.provider.signature_verification_algorithms.all;
        let check = |at: i64| {
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &parsed,
                &self.roots,
                &chain[1..],
                unix_time(at),
                algs,
            )
        };
        let at_now = check(self.now);
        let dated = |e: &rustls::Error| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(
                    CertificateError::Expired
                        | CertificateError::ExpiredContext { .. }
                        | CertificateError::NotValidYet
                        | CertificateError::NotValidYetContext { .. }
                )
            )
        };
        o.trusted = Some(match &at_now {
            Ok(()) => true,
            Err(e) if dated(e) => {
                // Judge the trust within the leaf's own validity.
                let within = o.leaf().map_or(self.now, |l| l.not_before.saturating_add(1));
                check(within).is_ok()
            }
            Err(_) => false,
        });
        let name_ok = rustls::client::verify_server_name(&parsed, name).is_ok();
        o.name_valid = Some(name_ok);
        o.verified = Some(at_now.is_ok() && name_ok);
    }

    /// One handshake; `identity` is presented when asked for. When a certificate was asked for,
    /// finds out whether the client was let in.
    async fn handshake(
        &self,
        addr: SocketAddr,
        name: &ServerName<'static>,
        versions: &[&'static SupportedProtocolVersion],
        identity: Option<Arc<CertifiedKey>>,
    ) -> Outcome {
        let recorder = Arc::new(RequestRecorder { asked: Mutex::new(None), identity });
        let verifier = Arc::new(RecordingVerifier {
            provider: Arc::clone(&self.provider),
            chain: Mutex::new(Vec::new()),
        });
        let tickets = Arc::new(TicketSignal::default());
        let config = ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(versions)
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
                    .with_client_cert_resolver(Arc::clone(&recorder) as Arc<dyn ResolvesClientCert>)
            });
        let mut config = match config {
            Ok(c) => c,
            Err(e) => {
                return outcome(&recorder, &verifier, Err(Failure::Other(format!("TLS configuration: {e}"))));
            }
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config.resumption = Resumption::store(Arc::clone(&tickets) as Arc<dyn ClientSessionStore>);
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

        let tcp = match tokio::time::timeout(self.timeout, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return outcome(
                    &recorder,
                    &verifier,
                    Err(Failure::Other(format!("cannot connect: {}", e.kind()))),
                );
            }
            Err(_) => {
                return outcome(
                    &recorder,
                    &verifier,
                    Err(Failure::Other("cannot connect: timed out".to_owned())),
                );
            }
        };
        let _ = tcp.set_nodelay(true);
        let first_bytes = Arc::new(Mutex::new(Vec::new()));
        let sniff = Sniff { inner: tcp, seen: Arc::clone(&first_bytes) };
        let connected = tokio::time::timeout(self.timeout, connector.connect(name.clone(), sniff)).await;
        let mut stream = match connected {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                let seen = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
                return outcome(&recorder, &verifier, Err(classify(&e, &seen)));
            }
            Err(_) => {
                let seen = first_bytes.lock().map(|b| b.clone()).unwrap_or_default();
                let failure = if !seen.is_empty() && !looks_like_tls(&seen) {
                    Failure::NotTls
                } else {
                    Failure::Timeout
                };
                return outcome(&recorder, &verifier, Err(failure));
            }
        };
        let conn = stream.get_ref().1;
        let version = match conn.protocol_version() {
            Some(ProtocolVersion::TLSv1_3) => Some(TlsVersion::Tls13),
            Some(ProtocolVersion::TLSv1_2) => Some(TlsVersion::Tls12),
            _ => None,
        };
        let cipher = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite()));
        let alpn = conn.alpn_protocol().map(|p| certs::clean(&String::from_utf8_lossy(p)));
        let asked = recorder.asked.lock().map(|a| a.is_some()).unwrap_or(false);
        let mut refused = None;
        if asked {
            if version == Some(TlsVersion::Tls13) {
                refused = self.await_refusal(&mut stream, &tickets).await;
            }
            if refused.is_none() && alpn.as_deref() != Some("h2") {
                refused = self.http_refusal(&mut stream, name).await;
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(50), stream.shutdown()).await;
        outcome(&recorder, &verifier, Ok(Session { version, cipher, alpn, refused }))
    }

    /// After a TLS 1.3 handshake that asked for a certificate: reads before writing until an
    /// alert or a close (refused), a session ticket or the first byte (let in), or the wait ends.
    async fn await_refusal<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut tokio_rustls::client::TlsStream<S>,
        tickets: &TicketSignal,
    ) -> Option<Refusal> {
        let mut byte = [0u8; 1];
        tokio::select! {
            r = stream.read(&mut byte) => match r {
                Ok(0) => Some(Refusal::Closed),
                Ok(_) => None,
                Err(e) => Some(refusal_of(&e)),
            },
            () = tickets.notify.notified() => None,
            () = tokio::time::sleep(self.refusal_wait) => None,
        }
    }

    /// Over HTTP/1.1: one `GET /`; a 400 (or 495/496) that says the certificate is missing or bad
    /// is a refusal (nginx `ssl_verify_client on`). The answer is only classified.
    async fn http_refusal<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: &mut tokio_rustls::client::TlsStream<S>,
        name: &ServerName<'static>,
    ) -> Option<Refusal> {
        let host = match name {
            ServerName::DnsName(d) => d.as_ref().to_owned(),
            ServerName::IpAddress(ip) => match std::net::IpAddr::from(*ip) {
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            },
            _ => "localhost".to_owned(),
        };
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ztpath-probe\r\nConnection: close\r\n\r\n"
        );
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            return alert_code(&e).map(Refusal::Alert);
        }
        let _ = stream.flush().await;
        let mut answer = Vec::with_capacity(1024);
        let read = async {
            let mut buf = [0u8; 2048];
            while answer.len() < 8192 {
                match stream.read(&mut buf).await {
                    Ok(0) => return None,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                    Err(e) => return Some(e),
                }
            }
            None
        };
        let error = tokio::time::timeout(self.timeout, read).await.ok().flatten();
        if answer.is_empty() {
            return error.as_ref().and_then(alert_code).map(Refusal::Alert);
        }
        let status = http_status(&answer)?;
        let about_certificate = contains_ignore_case(&answer, b"ssl certificate");
        match status {
            495 | 496 => Some(Refusal::Http(status)),
            400 if about_certificate => Some(Refusal::Http(status)),
            _ => None,
        }
    }
}

fn outcome(
    recorder: &RequestRecorder,
    verifier: &RecordingVerifier,
    result: Result<Session, Failure>,
) -> Outcome {
    Outcome {
        asked: recorder.asked.lock().ok().and_then(|a| a.clone()),
        chain: verifier.chain.lock().map(|c| c.clone()).unwrap_or_default(),
        result,
    }
}

/// A TLS record starts with a content type 20–24 and a major version 3.
fn looks_like_tls(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(0x14..=0x18)) && bytes.get(1).is_none_or(|v| *v == 3)
}

fn classify(e: &std::io::Error, seen: &[u8]) -> Failure {
    if !seen.is_empty() && !looks_like_tls(seen) {
        return Failure::NotTls;
    }
    if let Some(code) = alert_code(e) {
        return Failure::Alert(code);
    }
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => Failure::Closed,
        _ => match rustls_error(e) {
            Some(rustls::Error::InvalidMessage(_)) if !seen.is_empty() => {
                Failure::Other("the server's answer is not valid TLS".to_owned())
            }
            Some(err) => Failure::Other(format!("TLS: {}", certs::clean(&err.to_string()))),
            None => Failure::Other(format!("I/O: {}", e.kind())),
        },
    }
}

fn rustls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

fn alert_code(e: &std::io::Error) -> Option<u8> {
    match rustls_error(e) {
        Some(rustls::Error::AlertReceived(alert)) => Some(u8::from(*alert)),
        _ => None,
    }
}

fn refusal_of(e: &std::io::Error) -> Refusal {
    alert_code(e).map_or(Refusal::Closed, Refusal::Alert)
}

fn http_status(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|b| *b == b'\n').next()?;
    let mut words = line.split(|b| *b == b' ');
    let version = words.next()?;
    if !version.starts_with(b"HTTP/1.") {
        return None;
    }
    std::str::from_utf8(words.next()?).ok()?.trim().parse().ok()
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Records the server's chain and accepts it; handshake signatures are still checked.
#[derive(Debug)]
struct RecordingVerifier {
    provider: Arc<CryptoProvider>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            chain.clear();
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().take(16).map(|c| c.clone().into_owned()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// rustls asks for a client certificate only on a CertificateRequest: a call proves one, and
/// brings the CA names it lists.
#[derive(Debug)]
struct RequestRecorder {
    asked: Mutex<Option<Vec<Vec<u8>>>>,
    identity: Option<Arc<CertifiedKey>>,
}

impl ResolvesClientCert for RequestRecorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        if let Ok(mut asked) = self.asked.lock() {
            *asked = Some(root_hint_subjects.iter().take(64).map(|s| s.to_vec()).collect());
        }
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A session store that keeps nothing and says when a TLS 1.3 ticket arrived (servers send
/// tickets once they have accepted the client's last flight).
#[derive(Debug, Default)]
struct TicketSignal {
    notify: tokio::sync::Notify,
}

impl ClientSessionStore for TicketSignal {
    fn set_kx_hint(&self, _: ServerName<'static>, _: NamedGroup) {}
    fn kx_hint(&self, _: &ServerName<'_>) -> Option<NamedGroup> {
        None
    }
    fn set_tls12_session(&self, _: ServerName<'static>, _: Tls12ClientSessionValue) {}
    fn tls12_session(&self, _: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        None
    }
    fn remove_tls12_session(&self, _: &ServerName<'static>) {}
    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: Tls13ClientSessionValue) {
        self.notify.notify_one();
    }
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<Tls13ClientSessionValue> {
        None
    }
}

/// A TCP stream that keeps the first bytes the server sends, to tell plaintext from TLS.
struct Sniff {
    inner: TcpStream,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Sniff {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Ok(mut seen) = self.seen.lock()
            && seen.len() < 8
        {
            let new = &buf.filled()[before..];
            let room = 8 - seen.len();
            seen.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl AsyncWrite for Sniff {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
