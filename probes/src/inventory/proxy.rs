//! Proxies and load balancers (Envoy, nginx, HAProxy, Ingress, Gateway API, Istio Gateway, AWS):
//! the hops that traffic crosses on its way to a backend.

use std::sync::Arc;

use super::shared::{ObjectMeta, Source, StringMap, Userinfo};

// ---------------------------------------------------------------------------------------------
// Proxies and load balancers (Envoy, nginx, HAProxy, Ingress, Gateway API, Istio Gateway, AWS)
// ---------------------------------------------------------------------------------------------

/// What kind of proxy or load balancer a [`Proxy`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProxyKind {
    /// An Envoy bootstrap / static configuration.
    Envoy,
    /// An nginx configuration file (and its includes).
    Nginx,
    /// An HAProxy configuration file.
    Haproxy,
    /// A Kubernetes Ingress served by ingress-nginx (class `nginx` or ingress-nginx annotations).
    IngressNginx,
    /// A Kubernetes Ingress served by the AWS Load Balancer Controller (an ALB).
    IngressAlb,
    /// A Kubernetes Ingress of another or unknown class.
    Ingress,
    /// A Gateway API `Gateway` with its routes.
    Gateway,
    /// An Istio `Gateway` (networking.istio.io) with its VirtualServices.
    IstioGateway,
    /// An AWS Application Load Balancer (from AWS Config or annotations).
    AwsAlb,
    /// An AWS Network Load Balancer.
    AwsNlb,
    /// A Service of type LoadBalancer (cloud annotations decide the kind of LB).
    ServiceLoadBalancer,
}

/// One proxy or load balancer: a hop that traffic crosses on its way to a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct Proxy {
    /// Kind.
    pub kind: ProxyKind,
    /// Name (object name, file stem, ARN resource name, …).
    pub name: String,
    /// Namespace for Kubernetes objects.
    pub namespace: Option<String>,
    /// Where it is defined (the file, or the object's document).
    pub source: Source,
    /// Pods that run this proxy when known (Istio Gateway `selector`), so that paths can join it to
    /// the workload that is the proxy.
    pub runs_on: Option<StringMap>,
    /// Listeners (ports it accepts traffic on).
    pub listeners: Vec<ProxyListener>,
    /// Class, controller or other facts worth showing (e.g. `ingressClassName`), sorted by key.
    pub attrs: StringMap,
    /// Credentials found in URLs of the configuration outside the backends (an ingress-nginx
    /// `auth-url`, …), taken out of the text that held them by the finish step (`urls::scrub_proxies`).
    pub credentials: Vec<ProxyCredential>,
}

/// A credential written in a URL of a proxy's configuration, with the host it is sent to.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyCredential {
    /// The URL's host and port (`auth.example`, `auth.example:8443`).
    pub peer: String,
    /// The userinfo.
    pub credential: Userinfo,
    /// Line of the listener whose configuration holds it (0: the proxy's own line).
    pub line: u32,
    /// That listener's file, when not the proxy's.
    pub file: Option<Arc<str>>,
}

/// How a listener handles TLS from its clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListenerTls {
    /// No TLS: clients connect in plaintext.
    Plaintext,
    /// TLS terminated here (the proxy decrypts).
    Terminate,
    /// TLS passed through undecrypted, routed by SNI: only a TLS ClientHello gets a route
    /// (Istio `PASSTHROUGH`, Gateway API `Passthrough`, ingress-nginx `ssl-passthrough`, an Envoy
    /// filter chain matching server names, HAProxy on `req.ssl_sni`, nginx `ssl_preread`).
    Passthrough,
    /// Bytes forwarded at layer 4 without looking at them (a `LoadBalancer` Service, an NLB TCP
    /// listener, a TCP proxy or TCP route): TLS or not, as the backend port speaks. The engine
    /// decides which from the backend ([`PortTls`]); nothing here says that TLS is involved.
    Layer4,
}

/// Whether a port is known to speak TLS: a three-valued fact, never a guess. `Unknown` when the
/// input shows neither (a `tcp` port name, no probe, no server configuration of the backend).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortTls {
    /// Known to speak TLS.
    Tls,
    /// Known to speak plaintext.
    Plaintext,
    /// Not known from the input.
    Unknown,
}

/// Whether a TLS-terminating listener asks for and checks a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClientCertMode {
    /// Not requested.
    None,
    /// Requested, not required (nginx `optional`, HAProxy `verify optional`, Istio `OPTIONAL_MUTUAL`,
    /// Envoy without `require_client_certificate`, Gateway `AllowInsecureFallback`).
    Optional,
    /// Requested but not verified against a CA (nginx `optional_no_ca`, Envoy without `trusted_ca`,
    /// ALB mTLS `passthrough`).
    Unverified,
    /// Required and verified.
    Required,
}

/// What a listener does with a request header that carries a caller identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderAction {
    /// The proxy overwrites it (nginx `proxy_set_header`, HAProxy `set-header`), from the client
    /// certificate when `from_client_cert`.
    Set {
        /// The value comes from the verified client certificate (e.g. `$ssl_client_s_dn`).
        from_client_cert: bool,
    },
    /// The proxy appends to it (HAProxy `add-header`): a client-supplied value survives.
    Append,
    /// The proxy removes it.
    Remove,
    /// The proxy lets a client-supplied value through unchanged.
    PassThrough,
}

/// An identity header and what the listener does with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityHeader {
    /// Header name as written (e.g. `X-SSL-Client-DN`, `x-forwarded-client-cert`).
    pub name: String,
    /// What happens to it.
    pub action: HeaderAction,
    /// Line of the directive.
    pub line: u32,
}

/// Envoy's `forward_client_cert_details` (Envoy numbering; Istio's enum is offset by one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum XfccMode {
    /// Strip XFCC (Envoy's default).
    Sanitize,
    /// Forward the client's XFCC if the connection is mTLS.
    ForwardOnly,
    /// Append this hop's element if mTLS, forward earlier elements.
    AppendForward,
    /// Replace XFCC with this hop's element if mTLS.
    SanitizeSet,
    /// Forward the client's XFCC whatever the transport.
    AlwaysForwardOnly,
}

/// A JWT check on a listener or route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtCheck {
    /// Issuer checked (`None`: not checked).
    pub issuer: Option<String>,
    /// Audiences checked (empty: not checked).
    pub audiences: Vec<String>,
    /// False when requests without a valid token still pass (`allow_missing_or_failed`, …).
    pub enforced: bool,
    /// False when the signature is not verified (`extract_only_without_validation`).
    pub verified: bool,
    /// Line.
    pub line: u32,
}

/// A listener: a port a proxy accepts traffic on, and where it sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyListener {
    /// Name (Envoy listener name, nginx `server_name`, HAProxy frontend, Gateway listener, …).
    pub name: String,
    /// Port, when known.
    pub port: Option<u32>,
    /// Host names it serves (SNI / Host).
    pub hosts: Vec<String>,
    /// TLS from clients.
    pub tls: ListenerTls,
    /// Client certificates, for `Terminate` listeners.
    pub client_cert: ClientCertMode,
    /// XFCC handling (Envoy / Istio), when set.
    pub xfcc: Option<XfccMode>,
    /// Identity headers set, cleared or passed through.
    pub identity_headers: Vec<IdentityHeader>,
    /// JWT checks.
    pub jwt: Vec<JwtCheck>,
    /// An authorization filter (Envoy RBAC, ext_authz, nginx `auth_request`, …), described.
    pub authz: Vec<String>,
    /// Routes to backends.
    pub routes: Vec<ProxyRoute>,
    /// Bound only to loopback addresses (127.0.0.0/8, `::1`, `localhost`) or a Unix socket: only
    /// processes of its own pod (or host) can connect to it.
    pub local_only: bool,
    /// The address it is bound to, when the configuration names one (`listen 10.0.0.5:443`,
    /// `bind edge.example.com:443`, an Envoy `socket_address`): an IP address or host name, never
    /// a wildcard. `scan --tls` connects there.
    pub address: Option<String>,
    /// Line of the listener.
    pub line: u32,
    /// File that `line` (and the lines of this listener's routes, backends and headers) refer
    /// to, when it is not the proxy's own `source.file`: an nginx `server` block in an included
    /// file. `None`: the proxy's file.
    pub file: Option<Arc<str>>,
}

impl ProxyListener {
    /// A listener with nothing but its address and TLS mode; the readers fill in the rest.
    pub fn new(
        name: String,
        port: Option<u32>,
        hosts: Vec<String>,
        tls: ListenerTls,
        line: u32,
    ) -> ProxyListener {
        ProxyListener {
            name,
            port,
            hosts,
            tls,
            client_cert: ClientCertMode::None,
            xfcc: None,
            identity_headers: Vec::new(),
            jwt: Vec::new(),
            authz: Vec::new(),
            routes: Vec::new(),
            local_only: false,
            address: None,
            line,
            file: None,
        }
    }
}

/// A TargetGroupBinding (`elbv2.k8s.aws`): an AWS target group registered with the pods behind a
/// Service.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupBinding {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The target group's name (from `targetGroupName`, or the name part of `targetGroupARN`).
    pub target_group: String,
    /// `serviceRef.name` (in the binding's namespace).
    pub service: String,
    /// `serviceRef.port` (number or name).
    pub port: Option<String>,
}

/// A route from a listener to a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyRoute {
    /// What it matches (host and path prefix, as written).
    pub matches: String,
    /// Where it goes.
    pub backend: ProxyBackend,
    /// Identity headers handled for this route only (nginx `location` level), overriding the
    /// listener's when `Some` (nginx inheritance is all-or-nothing per level).
    pub identity_headers: Option<Vec<IdentityHeader>>,
    /// Line.
    pub line: u32,
}

/// The target of a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendTarget {
    /// A Kubernetes Service.
    Service {
        /// Namespace (the route's own when not given).
        namespace: String,
        /// Name.
        name: String,
        /// Port (number or name) when given.
        port: Option<String>,
    },
    /// A host (DNS name or address) and port.
    Address {
        /// Host.
        host: String,
        /// Port.
        port: Option<u32>,
    },
    /// A named upstream, cluster, backend or target group not resolved to addresses.
    Named(String),
}

/// How the proxy talks to a backend.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyBackend {
    /// Target.
    pub target: BackendTarget,
    /// TLS to the backend.
    pub tls: bool,
    /// Whether the backend's certificate is verified (`None`: not applicable or unknown).
    pub verify_server: Option<bool>,
    /// Whether the proxy presents a client certificate to the backend.
    pub client_cert: bool,
    /// The backend receives the proxy's own identity in place of the caller's (mTLS with the
    /// proxy's certificate, a fixed credential, …), described.
    pub substitutes_identity: Option<String>,
    /// Credentials written in the backend's URL or address (`user:password@`), taken out of
    /// `target`: the proxy presents them to the backend.
    pub credential: Option<Userinfo>,
    /// What the backend port speaks as far as the reader's own input shows (an AWS target
    /// group's health check on the traffic port); `Unknown` otherwise. The engine adds what the
    /// rest of the estate shows (Service ports, probes, the servers the pods run).
    pub port_tls: PortTls,
    /// Line.
    pub line: u32,
}

impl ProxyBackend {
    /// A backend reached in plaintext, with no credential of the proxy's.
    pub fn plain(target: BackendTarget, line: u32) -> ProxyBackend {
        ProxyBackend {
            target,
            tls: false,
            verify_server: None,
            client_cert: false,
            substitutes_identity: None,
            credential: None,
            port_tls: PortTls::Unknown,
            line,
        }
    }
}
