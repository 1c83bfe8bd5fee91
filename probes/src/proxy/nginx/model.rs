//! The proxy model: one [`Proxy`](crate::inventory::Proxy) per root configuration, with its
//! listeners, routes, backends and identity headers.

use super::parser::Directive;

use crate::inventory::{
    BackendTarget, ClientCertMode, HeaderAction, IdentityHeader, JwtCheck, ListenerTls, PortTls, Proxy,
    ProxyBackend, ProxyKind, ProxyListener, ProxyRoute, Source, StringMap,
};
use crate::proxy::headers::identity_name;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// The upstream modules whose settings are inherited separately.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Module {
    Proxy,
    Grpc,
    Uwsgi,
    Other,
}

impl Module {
    pub(super) fn of(pass: &str) -> Option<Module> {
        match pass {
            "proxy_pass" => Some(Module::Proxy),
            "grpc_pass" => Some(Module::Grpc),
            "uwsgi_pass" => Some(Module::Uwsgi),
            "fastcgi_pass" | "scgi_pass" | "memcached_pass" => Some(Module::Other),
            _ => None,
        }
    }

    pub(super) fn index(self) -> usize {
        match self {
            Module::Proxy => 0,
            Module::Grpc => 1,
            Module::Uwsgi => 2,
            Module::Other => 3,
        }
    }

    /// The module's directive prefix (`proxy`, `grpc`, `uwsgi`).
    pub(super) fn prefix(self) -> &'static str {
        match self {
            Module::Proxy => "proxy",
            Module::Grpc => "grpc",
            Module::Uwsgi => "uwsgi",
            Module::Other => "",
        }
    }
}

/// A level's `*_set_header` directives (all-or-nothing inheritance).
#[derive(Clone)]
pub(super) struct HeaderLevel<'a> {
    pub(super) at_location: bool,
    pub(super) dirs: Vec<&'a Directive>,
}

/// Settings inherited from the outer levels (http → server → location).
#[derive(Clone, Default)]
pub(super) struct Settings<'a> {
    pub(super) ssl_on: bool,
    pub(super) verify_client: Option<&'a Directive>,
    pub(super) client_ca: bool,
    /// `*_ssl_verify` per module.
    pub(super) upstream_verify: [Option<&'a Directive>; 4],
    /// `*_ssl_certificate` per module.
    pub(super) upstream_cert: [Option<&'a Directive>; 4],
    /// `proxy_set_header` / `grpc_set_header`.
    pub(super) headers: [Option<HeaderLevel<'a>>; 2],
    /// Stream `proxy_ssl on`.
    pub(super) stream_ssl: bool,
    /// Stream `ssl_preread on`: the server reads the ClientHello (to route on its SNI).
    pub(super) ssl_preread: bool,
    pub(super) auth_request: Option<&'a Directive>,
    pub(super) auth_basic: Option<&'a Directive>,
    pub(super) auth_jwt: Option<&'a Directive>,
}

impl<'a> Settings<'a> {
    /// The settings of a level: the outer ones overridden by the level's own directives.
    pub(super) fn apply(&self, dirs: &'a [Directive], at_location: bool) -> Settings<'a> {
        let mut s = self.clone();
        let mut headers: [Vec<&'a Directive>; 2] = [Vec::new(), Vec::new()];
        for d in dirs.iter().filter(|d| d.block.is_none()) {
            match d.name.as_str() {
                "ssl" => s.ssl_on = d.arg(0) == "on",
                "ssl_verify_client" => s.verify_client = Some(d),
                "ssl_client_certificate" | "ssl_trusted_certificate" => s.client_ca = true,
                "proxy_ssl" => s.stream_ssl = d.arg(0) == "on",
                "ssl_preread" => s.ssl_preread = d.arg(0) == "on",
                "proxy_set_header" => headers[0].push(d),
                "grpc_set_header" => headers[1].push(d),
                "auth_request" => s.auth_request = Some(d),
                "auth_basic" => s.auth_basic = Some(d),
                "auth_jwt" => s.auth_jwt = Some(d),
                name => {
                    for m in [Module::Proxy, Module::Grpc, Module::Uwsgi] {
                        if let Some(rest) = name.strip_prefix(m.prefix()) {
                            match rest {
                                "_ssl_verify" => s.upstream_verify[m.index()] = Some(d),
                                "_ssl_certificate" => s.upstream_cert[m.index()] = Some(d),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        for (i, list) in headers.into_iter().enumerate() {
            if !list.is_empty() {
                s.headers[i] = Some(HeaderLevel { at_location, dirs: list });
            }
        }
        s
    }
}

/// What `proxy_set_header NAME VALUE` does to an identity header, or None when it is not one.
pub(super) fn header_action(name: &str, value: &str) -> Option<HeaderAction> {
    let from_cert = value.contains("$ssl_client_") || value.contains("${ssl_client_");
    if !from_cert && !identity_name(name) {
        return None;
    }
    Some(if value.is_empty() {
        HeaderAction::Remove
    } else if value.contains("$http_") || value.contains("${http_") {
        // The client's own request header copied over.
        HeaderAction::PassThrough
    } else {
        HeaderAction::Set { from_client_cert: from_cert }
    })
}

/// The identity headers of one level's `*_set_header` directives, with lines in `file`.
pub(super) fn identity_headers(
    level: Option<&HeaderLevel<'_>>,
    file: &str,
    fallback: u32,
) -> Vec<IdentityHeader> {
    let Some(level) = level else { return Vec::new() };
    level
        .dirs
        .iter()
        .filter_map(|d| {
            let action = header_action(d.arg(0), d.arg(1))?;
            Some(IdentityHeader { name: d.arg(0).to_owned(), action, line: d.line_in(file, fallback) })
        })
        .collect()
}

/// A fixed credential set by the proxy in place of the caller's (`proxy_set_header
/// Authorization "Bearer …"`), described without its value.
pub(super) fn fixed_credential(level: Option<&HeaderLevel<'_>>) -> Option<String> {
    let level = level?;
    level.dirs.iter().find_map(|d| {
        let value = d.arg(1);
        (d.arg(0).eq_ignore_ascii_case("authorization") && !value.is_empty() && !value.contains("$http_"))
            .then(|| format!("nginx sets its own Authorization header ({}:{})", d.file, d.line))
    })
}

/// `listen` address: normalised address (for sharing `ssl` between servers) and port.
pub(super) fn parse_listen(arg: &str, stream: bool) -> (String, Option<u32>) {
    if arg.starts_with("unix:") {
        return (arg.to_owned(), None);
    }
    let default_port = if stream { None } else { Some(80) };
    if arg.bytes().all(|b| b.is_ascii_digit()) {
        return (format!("*:{arg}"), arg.parse().ok());
    }
    let (host, port) = split_host_port(arg);
    let host = if host.is_empty() || host == "0.0.0.0" { "*".to_owned() } else { host };
    let port = match port {
        Some(p) => p.parse().ok(),
        None => default_port,
    };
    (format!("{host}:{}", port.map_or_else(String::new, |p: u32| p.to_string())), port)
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, `host`.
pub(super) fn split_host_port(s: &str) -> (String, Option<String>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').map(str::to_owned);
            return (format!("[{h}]"), port);
        }
        return (s.to_owned(), None);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p.to_owned())),
        _ => (s.to_owned(), None),
    }
}

/// One `listen` of a server: port, TLS, bound to loopback or a Unix socket only, the address it
/// names (not a wildcard), and its line.
struct Listen {
    port: Option<u32>,
    ssl: bool,
    local_only: bool,
    address: Option<String>,
    line: u32,
}

/// The context a server is built in.
pub(super) struct Ctx<'a> {
    pub(super) upstreams: HashMap<&'a str, &'a Directive>,
    pub(super) maps: HashMap<&'a str, &'a Directive>,
    pub(super) stream: bool,
}

/// Builds the proxy of one expanded root.
pub(super) fn build(tree: &[Directive], file: &Arc<str>, root: &Path) -> Proxy {
    let name =
        root.file_stem().map_or_else(|| root.display().to_string(), |s| s.to_string_lossy().into_owned());
    let mut proxy = Proxy {
        kind: ProxyKind::Nginx,
        name,
        namespace: None,
        source: Source { file: Arc::clone(file), line: 1 },
        runs_on: None,
        listeners: Vec::new(),
        attrs: StringMap::new(),
        credentials: Vec::new(),
    };
    let base = Settings::default();
    // `server` blocks at the top of a fragment are http servers.
    let mut contexts: Vec<(&[Directive], bool)> = vec![(tree, false)];
    for d in tree {
        match (d.name.as_str(), &d.block) {
            ("http", Some(block)) => contexts.push((block, false)),
            ("stream", Some(block)) => contexts.push((block, true)),
            _ => {}
        }
    }
    for (dirs, stream) in contexts {
        let ctx = Ctx {
            upstreams: blocks(dirs, "upstream"),
            maps: dirs
                .iter()
                .filter(|d| d.name == "map" && d.block.is_some())
                .filter_map(|d| Some((d.args.get(1)?.strip_prefix('$')?, d)))
                .collect(),
            stream,
        };
        let settings = base.apply(dirs, false);
        let servers: Vec<&Directive> =
            dirs.iter().filter(|d| d.name == "server" && d.block.is_some()).collect();
        // `ssl` on any server's listen makes the address TLS for all servers on it.
        let mut tls_addresses: HashSet<String> = HashSet::new();
        for server in &servers {
            for l in server.children().iter().filter(|d| d.name == "listen") {
                if l.args.iter().skip(1).any(|a| a == "ssl") {
                    tls_addresses.insert(parse_listen(l.arg(0), stream).0);
                }
            }
        }
        for server in servers {
            build_server(server, &settings, &ctx, &tls_addresses, &mut proxy);
        }
    }
    proxy
}

pub(super) fn blocks<'a>(dirs: &'a [Directive], name: &str) -> HashMap<&'a str, &'a Directive> {
    dirs.iter()
        .filter(|d| d.name == name && d.block.is_some())
        .filter_map(|d| Some((d.args.first()?.as_str(), d)))
        .collect()
}

pub(super) fn build_server(
    server: &Directive,
    outer: &Settings<'_>,
    ctx: &Ctx<'_>,
    tls_addresses: &HashSet<String>,
    proxy: &mut Proxy,
) {
    let dirs = server.children();
    let s = outer.apply(dirs, false);
    let sfile: &str = &server.file;
    let server_names: Vec<String> = dirs
        .iter()
        .filter(|d| d.name == "server_name")
        .flat_map(|d| d.args.iter().cloned())
        .filter(|n| !n.is_empty())
        .collect();
    let name = server_names.first().cloned().unwrap_or_else(|| "server".to_owned());

    // Routes and authorization, from the locations (http) or the server itself (stream).
    let mut routes = Vec::new();
    let mut authz = Vec::new();
    let mut jwt = Vec::new();
    if ctx.stream {
        for d in dirs.iter().filter(|d| d.name == "proxy_pass") {
            routes.extend(pass_routes(d, &s, String::new(), ctx, sfile, server.line));
        }
    } else {
        describe_auth(&s, None, None, sfile, server.line, &mut authz, &mut jwt);
        for loc in dirs.iter().filter(|d| d.name == "location" && d.block.is_some()) {
            walk_location(loc, &s, ctx, sfile, server.line, &mut routes, &mut authz, &mut jwt);
        }
    }

    let identity = identity_headers(s.headers[0].as_ref(), sfile, server.line);
    let listens: Vec<&Directive> = dirs.iter().filter(|d| d.name == "listen").collect();
    let mut specs: Vec<Listen> = Vec::new();
    if listens.is_empty() && !ctx.stream {
        // nginx's default: `listen *:80`.
        let ssl = s.ssl_on || tls_addresses.contains("*:80");
        specs.push(Listen { port: Some(80), ssl, local_only: false, address: None, line: server.line });
    }
    for l in listens {
        let (address, port) = parse_listen(l.arg(0), ctx.stream);
        // `quic` (HTTP/3) is TLS 1.3 on its own UDP socket.
        let ssl = s.ssl_on || tls_addresses.contains(&address) || l.args.iter().skip(1).any(|a| a == "quic");
        let host = if address.starts_with("unix:") {
            address.as_str()
        } else {
            address.rsplit_once(':').map_or(address.as_str(), |(h, _)| h)
        };
        let local = crate::proxy::address::is_local_host(host);
        let bound = crate::proxy::address::bound_host(host);
        specs.push(Listen {
            port,
            ssl,
            local_only: local,
            address: bound,
            line: l.line_in(sfile, server.line),
        });
    }
    let client_cert = client_cert_mode(&s, proxy);
    // A stream server that originates TLS to every backend wraps the client's bytes in its own.
    let originates_tls = !routes.is_empty() && routes.iter().all(|r| r.backend.tls);
    for Listen { port, ssl, local_only, address, line } in specs {
        let tls = if ssl {
            ListenerTls::Terminate
        } else if ctx.stream && s.ssl_preread && !originates_tls {
            // Reading the ClientHello to route on its SNI: TLS passes through.
            ListenerTls::Passthrough
        } else if ctx.stream && !originates_tls {
            // Bytes forwarded as they come, TLS or not.
            ListenerTls::Layer4
        } else {
            ListenerTls::Plaintext
        };
        proxy.listeners.push(ProxyListener {
            name: name.clone(),
            port,
            hosts: server_names.clone(),
            tls,
            client_cert: if ssl { client_cert } else { ClientCertMode::None },
            xfcc: None,
            identity_headers: identity.clone(),
            jwt: jwt.clone(),
            authz: authz.clone(),
            routes: routes.clone(),
            local_only,
            address,
            line,
            file: (server.file != proxy.source.file).then(|| Arc::clone(&server.file)),
        });
    }
}

pub(super) fn client_cert_mode(s: &Settings<'_>, proxy: &mut Proxy) -> ClientCertMode {
    let Some(d) = s.verify_client else { return ClientCertMode::None };
    match d.arg(0) {
        "on" => {
            if !s.client_ca {
                proxy.attrs.insert(
                    format!("note {}:{}", d.file, d.line),
                    "ssl_verify_client on without ssl_client_certificate or ssl_trusted_certificate: nginx \
                     refuses this configuration"
                        .to_owned(),
                );
            }
            ClientCertMode::Required
        }
        "optional" => ClientCertMode::Optional,
        "optional_no_ca" => ClientCertMode::Unverified,
        _ => ClientCertMode::None,
    }
}

/// Describes the `auth_request` / `auth_basic` / `auth_jwt` in effect at a level, leaving out
/// those already in effect at the outer level (`outer`).
pub(super) fn describe_auth(
    s: &Settings<'_>,
    outer: Option<&Settings<'_>>,
    location: Option<&str>,
    file: &str,
    fallback: u32,
    authz: &mut Vec<String>,
    jwt: &mut Vec<JwtCheck>,
) {
    fn new<'d>(d: Option<&'d Directive>, before: Option<&Directive>) -> Option<&'d Directive> {
        d.filter(|d| d.arg(0) != "off" && !before.is_some_and(|b| std::ptr::eq(*d, b)))
    }
    let at = location.map_or_else(String::new, |l| format!(" on location {l}"));
    if let Some(d) = new(s.auth_request, outer.and_then(|o| o.auth_request)) {
        authz.push(format!("auth_request {}{at} (line {})", d.arg(0), d.line_in(file, fallback)));
    }
    if let Some(d) = new(s.auth_basic, outer.and_then(|o| o.auth_basic)) {
        authz.push(format!("auth_basic{at} (line {})", d.line_in(file, fallback)));
    }
    if let Some(d) = new(s.auth_jwt, outer.and_then(|o| o.auth_jwt)) {
        let line = d.line_in(file, fallback);
        jwt.push(JwtCheck { issuer: None, audiences: Vec::new(), enforced: true, verified: true, line });
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn walk_location(
    loc: &Directive,
    outer: &Settings<'_>,
    ctx: &Ctx<'_>,
    file: &str,
    fallback: u32,
    routes: &mut Vec<ProxyRoute>,
    authz: &mut Vec<String>,
    jwt: &mut Vec<JwtCheck>,
) {
    let s = outer.apply(loc.children(), true);
    let matches = loc.args.join(" ");
    let loc_line = loc.line_in(file, fallback);
    describe_auth(&s, Some(outer), Some(&matches), file, loc_line, authz, jwt);
    for d in loc.children() {
        if Module::of(&d.name).is_some() {
            routes.extend(pass_routes(d, &s, matches.clone(), ctx, file, loc_line));
        } else if matches!(d.name.as_str(), "if" | "limit_except") {
            let cond = format!("{matches} {} {}", d.name, d.args.join(" "));
            for inner in d.children().iter().filter(|i| Module::of(&i.name).is_some()) {
                routes.extend(pass_routes(inner, &s, cond.clone(), ctx, file, loc_line));
            }
        } else if d.name == "location" && d.block.is_some() {
            walk_location(d, &s, ctx, file, loc_line, routes, authz, jwt);
        }
    }
}

/// The routes of one `*_pass` directive: one per upstream server, or one to its address.
pub(super) fn pass_routes(
    d: &Directive,
    s: &Settings<'_>,
    matches: String,
    ctx: &Ctx<'_>,
    file: &str,
    fallback: u32,
) -> Vec<ProxyRoute> {
    let module = if ctx.stream { Module::Proxy } else { Module::of(&d.name).unwrap_or(Module::Other) };
    let line = d.line_in(file, fallback);
    // A `user:password@` in the URL is the proxy's credential, never part of a name.
    let (url, credential) = crate::urls::split_userinfo(d.arg(0));
    let url = url.as_str();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (String::new(), url),
    };
    let tls = if ctx.stream { s.stream_ssl } else { matches!(scheme.as_str(), "https" | "grpcs" | "suwsgi") };
    let default_port = match scheme.as_str() {
        "http" | "grpc" => Some(80),
        "https" | "grpcs" => Some(443),
        _ => None,
    };
    let verify =
        if tls { Some(s.upstream_verify[module.index()].is_some_and(|v| v.arg(0) == "on")) } else { None };
    let cert = s.upstream_cert[module.index()].filter(|c| tls && c.arg(0) != "off");
    let header_level = match module {
        Module::Proxy if !ctx.stream => s.headers[0].as_ref(),
        Module::Grpc => s.headers[1].as_ref(),
        _ => None,
    };
    let substitutes = match cert {
        Some(c) => {
            Some(format!("nginx presents its own client certificate {} ({}:{})", c.arg(0), c.file, c.line))
        }
        None if module == Module::Proxy && !ctx.stream => fixed_credential(header_level),
        None => None,
    };
    let identity = match module {
        Module::Proxy if ctx.stream => None,
        Module::Proxy => {
            header_level.filter(|l| l.at_location).map(|l| identity_headers(Some(l), file, fallback))
        }
        Module::Grpc => Some(identity_headers(header_level, file, fallback)),
        // FastCGI, uwsgi, SCGI: client headers reach the backend as HTTP_* parameters.
        Module::Uwsgi | Module::Other => Some(Vec::new()),
    };
    let route = |target: BackendTarget, line_of_target: u32, matches: String| ProxyRoute {
        matches,
        backend: ProxyBackend {
            target,
            tls,
            verify_server: verify,
            client_cert: cert.is_some(),
            substitutes_identity: substitutes.clone(),
            credential: credential.clone(),
            port_tls: PortTls::Unknown,
            line: line_of_target,
        },
        identity_headers: identity.clone(),
        line,
    };

    // `unix:/path` (after the scheme) and the host:port part.
    let hostport = if let Some(socket) = rest.strip_prefix("unix:") {
        let path_end = socket.find(':').map_or(rest.len(), |i| i + 5);
        &rest[..path_end]
    } else {
        rest.split('/').next().unwrap_or("")
    };
    if hostport.is_empty() {
        return vec![route(BackendTarget::Named(url.to_owned()), line, matches)];
    }
    if hostport.starts_with("unix:") {
        return vec![route(BackendTarget::Address { host: hostport.to_owned(), port: None }, line, matches)];
    }
    // `$var` mapped by a `map` block: one route per value.
    if let Some(var) = hostport.strip_prefix('$').map(|v| v.trim_start_matches('{').trim_end_matches('}'))
        && let Some(map) = ctx.maps.get(var)
    {
        let mut out = Vec::new();
        for entry in map.children().iter().filter(|e| !e.args.is_empty()) {
            if matches!(entry.name.as_str(), "hostnames" | "volatile" | "include") {
                continue;
            }
            let value = entry.arg(0);
            let m = format!("{matches} {} {}", map.arg(0), entry.name).trim().to_owned();
            let entry_line = entry.line_in(file, line);
            for (target, target_line) in resolve_target(value, default_port, ctx, file, entry_line) {
                out.push(route(target, target_line, m.clone()));
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    if hostport.contains('$') {
        return vec![route(BackendTarget::Named(url.to_owned()), line, matches)];
    }
    resolve_target(hostport, default_port, ctx, file, line)
        .into_iter()
        .map(|(target, target_line)| route(target, target_line, matches.clone()))
        .collect()
}

/// An upstream name (one target per server) or `host[:port]`.
pub(super) fn resolve_target(
    hostport: &str,
    default_port: Option<u32>,
    ctx: &Ctx<'_>,
    file: &str,
    line: u32,
) -> Vec<(BackendTarget, u32)> {
    if hostport.contains('$') {
        return vec![(BackendTarget::Named(hostport.to_owned()), line)];
    }
    if let Some(upstream) = ctx.upstreams.get(hostport) {
        let dynamic = upstream.children().iter().any(|d| d.name == "balancer_by_lua_block");
        let servers: Vec<&Directive> = upstream
            .children()
            .iter()
            .filter(|d| d.name == "server" && d.block.is_none() && !d.args.iter().any(|a| a == "down"))
            .collect();
        if dynamic || servers.is_empty() {
            // ingress-nginx's `upstream_balancer`: the servers are chosen in Lua at run time.
            return vec![(BackendTarget::Named(hostport.to_owned()), line)];
        }
        return servers
            .into_iter()
            .map(|srv| {
                let addr = srv.arg(0);
                let target = if addr.starts_with("unix:") {
                    BackendTarget::Address { host: addr.to_owned(), port: None }
                } else {
                    let (host, port) = split_host_port(addr);
                    BackendTarget::Address { host, port: port.and_then(|p| p.parse().ok()).or(Some(80)) }
                };
                (target, srv.line_in(file, line))
            })
            .collect();
    }
    let (host, port) = split_host_port(hostport);
    let port = match port {
        Some(p) => p.parse().ok(),
        None => default_port,
    };
    vec![(BackendTarget::Address { host, port }, line)]
}
