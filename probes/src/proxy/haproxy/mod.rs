//! HAProxy configuration: a line-oriented parser (sections `global`, `defaults`, `frontend`,
//! `backend`, `listen`, …; keywords with arguments; `#` comments; `"…"` and `'…'` quoting and
//! backslash escapes) and the proxy model built from it.
//!
//! One [`Proxy`] per file (named after the file stem). Each `frontend` and `listen` gives one
//! [`ProxyListener`] per `bind` line; `use_backend` / `default_backend` (and a `listen`
//! section's own servers) give one [`ProxyRoute`] per `server` of the backend. The defaults
//! that matter are HAProxy's (docs/semantics.md#haproxy):
//! - `mode tcp` is the default mode; a `bind` without `ssl` in TCP mode passes TLS through;
//! - `bind … verify` defaults to `none` (no client certificate requested); `optional` lets
//!   clients without a certificate in;
//! - a `server … ssl` verifies the server by default (`verify required`) unless the global
//!   section sets `ssl-server-verify none`;
//! - `http-request set-header` replaces a client-supplied header, `add-header` appends to it
//!   (the client's value survives), `del-header` removes it;
//! - `send-proxy-v2-ssl-cn` passes the client certificate's CN only (no SAN, no SPIFFE ID).
//!
//! A line that cannot be read (an unmatched quote, a keyword outside any section) becomes a
//! [`Diagnostic`] with its file and line, and the rest of the file is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::confine::ReadScope;
use crate::inventory::{
    BackendTarget, ClientCertMode, Diagnostic, HeaderAction, IdentityHeader, Inventory, ListenerTls, PortTls,
    Proxy, ProxyBackend, ProxyKind, ProxyListener, ProxyRoute, Source, StringMap,
};
use crate::proxy::headers::identity_name;

/// Section keywords.
const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "userlist",
    "peers",
    "resolvers",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "crt-store",
    "log-forward",
    "fcgi-app",
    "traces",
    "acme",
];

/// Is this file one for the HAProxy reader? In a directory walk, `.cfg` files (and
/// `haproxy*.conf`) whose first statement opens an HAProxy section; a file named on the command
/// line is taken when it reads that way, whatever its name.
pub(crate) fn is_candidate(
    name: &str,
    ext: &str,
    explicit: bool,
    prefix: &dyn Fn() -> Option<String>,
) -> bool {
    let named = name.starts_with("haproxy") && ext == "conf";
    if !explicit && ext != "cfg" && !named {
        return false;
    }
    prefix().is_some_and(|text| looks_like_haproxy(&text))
}

/// Does the first statement of the text open an HAProxy section?
fn looks_like_haproxy(text: &str) -> bool {
    for raw in text.lines() {
        let Ok(words) = tokenize(raw) else { return false };
        let Some(first) = words.first() else { continue };
        return SECTIONS.contains(&first.as_str()) && !raw.contains(['{', ';', '=']);
    }
    false
}

/// Reads HAProxy configuration files, through the scan's [`ReadScope`] (the walk has reserved
/// their bytes).
pub(crate) fn read_files(scope: &ReadScope, paths: &[PathBuf]) -> Inventory {
    let mut inventory = Inventory::default();
    for path in paths {
        let file: Arc<str> = path.display().to_string().into();
        let text = match scope.read(path, true) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(refusal) => {
                inventory
                    .diagnostics
                    .push(Diagnostic { source: Source { file, line: 0 }, reason: refusal.to_string() });
                continue;
            }
        };
        inventory.files_read += 1;
        let (proxy, diagnostics) = read_text(&file, path, &text);
        inventory.proxies.push(proxy);
        inventory.diagnostics.extend(diagnostics);
    }
    inventory
}

/// Reads one file's text.
fn read_text(file: &Arc<str>, path: &Path, text: &str) -> (Proxy, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let sections = parse(text, file, &mut diagnostics);
    let proxy = build(&sections, file, path, &mut diagnostics);
    (proxy, diagnostics)
}

// ---------------------------------------------------------------------------------------------
// Lines and sections
// ---------------------------------------------------------------------------------------------

/// Splits a line into words: blanks separate, `#` outside quotes starts a comment, `"…"` and
/// `'…'` quote (no escapes inside single quotes), `\` escapes a blank, `#`, a quote or `\`.
/// The error names the column of the quote that is not closed, never the line's text.
fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut started = false;
    // The open quote and its column (1-based, in characters).
    let mut quote: Option<(char, usize)> = None;
    let mut chars = line.chars().enumerate();
    while let Some((i, c)) = chars.next() {
        match (quote.map(|(q, _)| q), c) {
            (None, ' ' | '\t' | '\r' | '\n') => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, '#') => break,
            (None | Some('"'), '\\') => {
                started = true;
                match chars.next().map(|(_, n)| n) {
                    Some(n @ (' ' | '\t' | '\\' | '#' | '\'' | '"' | '$')) => word.push(n),
                    Some('n') => word.push('\n'),
                    Some('r') => word.push('\r'),
                    Some('t') => word.push('\t'),
                    Some(n) => {
                        word.push('\\');
                        word.push(n);
                    }
                    None => word.push('\\'),
                }
            }
            (None, '"' | '\'') => {
                quote = Some((c, i + 1));
                started = true;
            }
            (Some(q), _) if c == q => quote = None,
            _ => {
                word.push(c);
                started = true;
            }
        }
    }
    if let Some((q, col)) = quote {
        return Err(format!("column {col}: unmatched {q} quote, expecting a closing {q}"));
    }
    if started {
        words.push(word);
    }
    Ok(words)
}

/// A keyword line inside a section.
#[derive(Debug)]
struct Line {
    words: Vec<String>,
    line: u32,
}

impl Line {
    fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }
}

/// A section with its lines.
#[derive(Debug)]
struct Section {
    kind: String,
    name: String,
    /// `from <defaults>`.
    from: Option<String>,
    /// The address of the legacy `listen <name> <address>` form.
    address: Option<String>,
    line: u32,
    body: Vec<Line>,
}

impl Section {
    fn lines<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.body.iter().filter(move |l| l.word(0) == keyword)
    }

    fn last(&self, keyword: &str) -> Option<&Line> {
        self.body.iter().rfind(|l| l.word(0) == keyword)
    }
}

fn parse(text: &str, file: &Arc<str>, diagnostics: &mut Vec<Diagnostic>) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    let mut diag = |line: u32, reason: String| {
        diagnostics.push(Diagnostic { source: Source { file: Arc::clone(file), line }, reason });
    };
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let words = match tokenize(raw) {
            Ok(w) => w,
            Err(reason) => {
                diag(line, reason);
                continue;
            }
        };
        let Some(first) = words.first() else { continue };
        if first.starts_with('.') {
            // `.if` / `.elif` / `.else` / `.endif` / `.notice` …: every branch is read.
            continue;
        }
        if SECTIONS.contains(&first.as_str()) {
            let kind = first.clone();
            let name = words.get(1).cloned().unwrap_or_default();
            if name.is_empty() && matches!(kind.as_str(), "frontend" | "backend" | "listen") {
                diag(line, format!("the {kind} section has no name"));
            }
            let (from, address) = match words.get(2).map(String::as_str) {
                Some("from") => (words.get(3).cloned(), None),
                Some(addr) if matches!(kind.as_str(), "listen" | "frontend") => (None, Some(addr.to_owned())),
                _ => (None, None),
            };
            sections.push(Section { kind, name, from, address, line, body: Vec::new() });
            continue;
        }
        match sections.last_mut() {
            Some(section) => section.body.push(Line { words, line }),
            None => {
                // The first word as HAProxy would name it, or its kind: the line may be a secret.
                let col = raw.chars().take_while(|c| c.is_whitespace()).count() + 1;
                let keyword = if crate::common::keyword_shaped(first, b"-.") {
                    format!("keyword \"{first}\"")
                } else {
                    "an unknown keyword".to_owned()
                };
                diag(
                    line,
                    format!("column {col}: {keyword} is outside of any section, expecting a section first"),
                );
            }
        }
    }
    sections
}

// ---------------------------------------------------------------------------------------------
// The proxy model
// ---------------------------------------------------------------------------------------------

/// Server settings that matter, merged from `default-server` and `server` keywords.
#[derive(Clone, Debug, Default)]
struct ServerOpts {
    ssl: bool,
    verify: Option<String>,
    crt: Option<String>,
    send_cn: bool,
    disabled: bool,
}

/// Server keywords that take one argument (skipped so that their value is not read as a flag).
const SERVER_ARGS: &[&str] = &[
    "addr",
    "agent-addr",
    "agent-inter",
    "agent-port",
    "agent-send",
    "alpn",
    "ca-file",
    "check-alpn",
    "check-proto",
    "check-sni",
    "ciphers",
    "ciphersuites",
    "cookie",
    "crl-file",
    "crt",
    "curves",
    "downinter",
    "error-limit",
    "fall",
    "fastinter",
    "id",
    "init-addr",
    "inter",
    "log-proto",
    "maxconn",
    "maxqueue",
    "minconn",
    "namespace",
    "npn",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "port",
    "proto",
    "proxy-v2-options",
    "redir",
    "resolve-net",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "rise",
    "shard",
    "sigalgs",
    "client-sigalgs",
    "slowstart",
    "sni",
    "source",
    "ssl-max-ver",
    "ssl-min-ver",
    "socks4",
    "tcp-ut",
    "track",
    "verify",
    "verifyhost",
    "weight",
    "usesrc",
    "guid",
    "hash-key",
    "set-proxy-v2-tlv-fmt",
    "idle-ping",
    "strict-maxconn",
];

fn apply_server_words(opts: &mut ServerOpts, words: &[String]) {
    let mut i = 0;
    while i < words.len() {
        let value = words.get(i + 1).cloned();
        match words[i].as_str() {
            "ssl" => opts.ssl = true,
            "no-ssl" => opts.ssl = false,
            "verify" => opts.verify = value,
            "crt" => opts.crt = value,
            "send-proxy-v2-ssl-cn" => opts.send_cn = true,
            "no-send-proxy-v2-ssl-cn" => opts.send_cn = false,
            "disabled" => opts.disabled = true,
            "enabled" => opts.disabled = false,
            _ => {}
        }
        i += if SERVER_ARGS.contains(&words[i].as_str()) { 2 } else { 1 };
    }
}

/// Bind keywords that take one argument.
const BIND_ARGS: &[&str] = &[
    "accept-netscaler-cip",
    "alpn",
    "backlog",
    "ca-file",
    "ca-ignore-err",
    "ca-sign-file",
    "ca-sign-pass",
    "ca-verify-file",
    "ciphers",
    "ciphersuites",
    "crl-file",
    "crt",
    "crt-ignore-err",
    "crt-list",
    "curves",
    "ecdhe",
    "expose-fd",
    "gid",
    "group",
    "id",
    "interface",
    "label",
    "level",
    "maxconn",
    "mode",
    "mss",
    "name",
    "namespace",
    "nice",
    "npn",
    "process",
    "proto",
    "severity-output",
    "shards",
    "sigalgs",
    "client-sigalgs",
    "ssl-max-ver",
    "ssl-min-ver",
    "tcp-ut",
    "thread",
    "tls-ticket-keys",
    "uid",
    "user",
    "verify",
    "guid-prefix",
    "idle-ping",
    "default-crt",
    "quic-cc-algo",
    "ocsp-update",
];

/// What a `bind` line says about TLS from clients.
#[derive(Debug, Default)]
struct BindOpts {
    ssl: bool,
    ca_file: bool,
    verify: Option<String>,
    /// `ca-ignore-err all` / `crt-ignore-err all`: verification errors are ignored.
    ignore_all_errors: bool,
}

fn bind_opts(words: &[String]) -> BindOpts {
    let mut opts = BindOpts::default();
    let mut i = 0;
    while i < words.len() {
        let value = words.get(i + 1).map(String::as_str);
        match words[i].as_str() {
            "ssl" => opts.ssl = true,
            "ca-file" | "ca-verify-file" => opts.ca_file = true,
            "verify" => opts.verify = value.map(str::to_owned),
            "ca-ignore-err" | "crt-ignore-err" if value == Some("all") => opts.ignore_all_errors = true,
            _ => {}
        }
        i += if BIND_ARGS.contains(&words[i].as_str()) { 2 } else { 1 };
    }
    opts
}

/// Address prefixes of sockets that have no port.
const PORTLESS: &[&str] = &["unix@", "abns@", "abnsz@", "fd@", "sockpair@", "/"];

/// The host and port of an address (`ipv4@`/`quic4@`-style prefixes removed; a port range
/// gives its first port).
fn split_address(address: &str) -> (String, Option<u32>) {
    let first = address.split(',').next().unwrap_or("");
    if PORTLESS.iter().any(|p| first.starts_with(p)) {
        return (first.to_owned(), None);
    }
    let bare = first.split_once('@').map_or(first, |(_, rest)| rest);
    let (host, port) = if let Some(rest) = bare.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, after)) => (format!("[{h}]"), after.strip_prefix(':').unwrap_or("")),
            None => (bare.to_owned(), ""),
        }
    } else {
        match bare.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p),
            None => (bare.to_owned(), ""),
        }
    };
    let port = port.split('-').next().unwrap_or("").trim_start_matches('+').parse().ok();
    (host, port)
}

/// HAProxy's address-family prefixes (`ipv4@`, `unix@`, …).
const FAMILIES: &[&str] = &[
    "ipv4", "ipv6", "udp", "udp4", "udp6", "quic4", "quic6", "tcp", "tcp4", "tcp6", "unix", "abns", "abnsz",
    "fd", "sockpair", "uxst", "uxdg", "rhttp", "mptcp", "mptcp4", "mptcp6",
];

/// A server address without a `user:password@` (which HAProxy does not take, and which must not
/// end up in a name): anything before an `@` that is not an address family.
fn server_userinfo(address: &str) -> (String, Option<crate::inventory::Userinfo>) {
    match address.split_once('@') {
        Some((family, _)) if FAMILIES.contains(&family.to_ascii_lowercase().as_str()) => {
            (address.to_owned(), None)
        }
        Some(_) => crate::urls::split_userinfo(address),
        None => (address.to_owned(), None),
    }
}

/// What an `http-request` rule does to an identity header: (name, action, condition).
fn header_rule(l: &Line) -> Option<(String, HeaderAction, String)> {
    if l.word(0) != "http-request" {
        return None;
    }
    let name = l.word(2).to_owned();
    let (action, value, rest) = match l.word(1) {
        "set-header" => (None, l.word(3), 4),
        "add-header" => (Some(HeaderAction::Append), l.word(3), 4),
        "del-header" => {
            let mut rest = 3;
            let mut name = name.clone();
            if l.word(3) == "-m" {
                // `-m beg|sub|reg|str`: shown as a pattern.
                name = match l.word(4) {
                    "beg" => format!("{name}*"),
                    "sub" => format!("*{name}*"),
                    _ => name,
                };
                rest = 5;
            }
            if !identity_name(&name) {
                return None;
            }
            return Some((name, HeaderAction::Remove, l.words.get(rest..).unwrap_or_default().join(" ")));
        }
        _ => return None,
    };
    let from_cert = value.contains("ssl_c_");
    if !from_cert && !identity_name(&name) {
        return None;
    }
    let condition = l.words.get(rest..).unwrap_or_default().join(" ");
    let action = action.unwrap_or(if value.contains("hdr(") {
        // The client's own header copied over.
        HeaderAction::PassThrough
    } else {
        HeaderAction::Set { from_client_cert: from_cert }
    });
    Some((name, action, condition))
}

/// The identity-header rules of a section (after its defaults'), noting conditional ones.
fn identity_rules(sections: &[&Section], file: &str, attrs: &mut StringMap) -> Vec<IdentityHeader> {
    let mut out = Vec::new();
    for s in sections {
        for l in &s.body {
            let Some((name, action, condition)) = header_rule(l) else { continue };
            if !condition.is_empty() && matches!(action, HeaderAction::Set { .. } | HeaderAction::Remove) {
                attrs.insert(
                    format!("note {file}:{}", l.line),
                    format!(
                        "{} {name} only {condition}: otherwise a client-supplied {name} reaches the backend",
                        l.word(1)
                    ),
                );
            }
            out.push(IdentityHeader { name, action, line: l.line });
        }
    }
    out
}

/// Access-control rules of a section, described.
fn authz_rules(section: &Section) -> Vec<String> {
    section
        .body
        .iter()
        .filter(|l| match (l.word(0), l.word(1)) {
            ("http-request", "auth" | "deny" | "reject" | "tarpit" | "silent-drop") => true,
            ("tcp-request", "connection" | "content" | "session") => {
                matches!(l.word(2), "reject" | "silent-drop")
            }
            _ => false,
        })
        .map(|l| format!("{} (line {})", l.words.join(" "), l.line))
        .collect()
}

/// Does a section route on the TLS ClientHello (`req.ssl_sni`, `req.ssl_hello_type`)?
fn routes_on_sni(section: &Section) -> bool {
    const FETCHES: &[&str] = &["req.ssl_sni", "req_ssl_sni", "req.ssl_hello_type", "req_ssl_hello_type"];
    section.body.iter().any(|l| {
        l.words.iter().any(|w| {
            let w = w.trim_start_matches('{').to_ascii_lowercase();
            FETCHES.iter().any(|f| w.starts_with(f))
        })
    })
}

/// Host names from ACLs on SNI or Host.
fn acl_hosts(section: &Section) -> Vec<String> {
    const FETCHES: &[&str] = &[
        "req_ssl_sni",
        "req.ssl_sni",
        "ssl_fc_sni",
        "hdr(host)",
        "req.hdr(host)",
        "hdr_dom(host)",
        "hdr_end(host)",
        "hdr_beg(host)",
        "req.hdr(host),lower",
        "hdr(host),lower",
    ];
    let mut hosts = Vec::new();
    for l in section.lines("acl") {
        let fetch = l.word(2);
        if !FETCHES.iter().any(|f| fetch.eq_ignore_ascii_case(f)) {
            continue;
        }
        let mut i = 3;
        while i < l.words.len() {
            match l.word(i) {
                "-i" | "-n" | "--" => i += 1,
                "-m" | "-f" | "-M" => i += 2,
                w => {
                    if !hosts.iter().any(|h| h == w) {
                        hosts.push(w.to_owned());
                    }
                    i += 1;
                }
            }
        }
    }
    hosts
}

/// The backends and defaults a file defines.
struct Model<'a> {
    file: &'a Arc<str>,
    /// `backend` and `listen` sections by name, with their defaults section.
    backends: HashMap<&'a str, (&'a Section, Option<&'a Section>)>,
    /// `ssl-server-verify none` in `global`.
    server_verify_none: bool,
}

fn mode_of(section: &Section, defaults: Option<&Section>) -> String {
    section
        .last("mode")
        .or_else(|| defaults.and_then(|d| d.last("mode")))
        .map_or("tcp", |l| l.word(1))
        .to_owned()
}

fn build(sections: &[Section], file: &Arc<str>, path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Proxy {
    let name =
        path.file_stem().map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned());
    let mut attrs = StringMap::new();

    // Which defaults section each section uses: `from NAME`, else the last one before it.
    let mut defaults_of: Vec<Option<&Section>> = Vec::with_capacity(sections.len());
    let mut named: HashMap<&str, &Section> = HashMap::new();
    let mut last: Option<&Section> = None;
    for s in sections {
        let d = match &s.from {
            Some(from) => {
                let found = named.get(from.as_str()).copied();
                if found.is_none() {
                    diagnostics.push(Diagnostic {
                        source: Source { file: Arc::clone(file), line: s.line },
                        reason: format!(
                            "defaults section \"{from}\" is not defined before this {} section",
                            s.kind
                        ),
                    });
                }
                found
            }
            None => last,
        };
        defaults_of.push(d);
        if s.kind == "defaults" {
            if !s.name.is_empty() {
                named.insert(&s.name, s);
            }
            last = Some(s);
        }
    }

    let server_verify_none = sections
        .iter()
        .filter(|s| s.kind == "global")
        .filter_map(|s| s.last("ssl-server-verify"))
        .next_back()
        .is_some_and(|l| l.word(1) == "none");
    if server_verify_none {
        attrs.insert("ssl-server-verify".into(), "none".into());
    }
    let model = Model {
        file,
        backends: sections
            .iter()
            .zip(&defaults_of)
            .filter(|(s, _)| matches!(s.kind.as_str(), "backend" | "listen"))
            .map(|(s, d)| (s.name.as_str(), (s, *d)))
            .collect(),
        server_verify_none,
    };

    let mut listeners = Vec::new();
    let mut unbound = Vec::new();
    let mut send_cn = Vec::new();
    for (section, defaults) in sections.iter().zip(&defaults_of) {
        if !matches!(section.kind.as_str(), "frontend" | "listen") {
            continue;
        }
        let http = mode_of(section, *defaults) == "http";
        let mut levels: Vec<&Section> = Vec::new();
        levels.extend(*defaults);
        levels.push(section);
        let identity = if http { identity_rules(&levels, file, &mut attrs) } else { Vec::new() };
        let authz: Vec<String> = levels.iter().flat_map(|s| authz_rules(s)).collect();
        let hosts = acl_hosts(section);

        // Routes: use_backend rules in order, then default_backend, then a listen's own servers.
        let mut routes = Vec::new();
        for l in section.lines("use_backend") {
            let mut condition = l.words.get(2..).unwrap_or_default().to_vec();
            if condition.first().is_some_and(|w| w == "if") {
                condition.remove(0);
            }
            routes.extend(backend_routes(
                &model,
                l.word(1),
                condition.join(" "),
                l.line,
                &identity,
                &mut send_cn,
                &mut attrs,
                diagnostics,
            ));
        }
        let default =
            section.last("default_backend").or_else(|| defaults.and_then(|d| d.last("default_backend")));
        if let Some(l) = default {
            routes.extend(backend_routes(
                &model,
                l.word(1),
                "default".into(),
                l.line,
                &identity,
                &mut send_cn,
                &mut attrs,
                diagnostics,
            ));
        }
        if section.kind == "listen" && section.lines("server").next().is_some() {
            routes.extend(server_routes(
                &model,
                section,
                *defaults,
                "default",
                section.line,
                &identity,
                &mut send_cn,
                &mut attrs,
            ));
        }

        let mut binds: Vec<(String, Vec<String>, u32)> = Vec::new();
        if let Some(address) = &section.address {
            binds.push((address.clone(), Vec::new(), section.line));
        }
        for l in section.lines("bind") {
            if l.words.len() < 2 {
                diagnostics.push(Diagnostic {
                    source: Source { file: Arc::clone(file), line: l.line },
                    reason: "bind needs an address".to_owned(),
                });
                continue;
            }
            binds.push((l.word(1).to_owned(), l.words[2..].to_vec(), l.line));
        }
        if binds.is_empty() {
            unbound.push(section.name.clone());
        }
        // A TCP frontend that routes on the ClientHello's SNI only gets TLS through those routes;
        // one that does not forwards whatever bytes come, TLS or not.
        let sni = routes_on_sni(section);
        // A TCP frontend whose every route originates TLS wraps the client's bytes in its own
        // TLS: the client side is plaintext.
        let originates_tls = !routes.is_empty() && routes.iter().all(|r| r.backend.tls);
        for (address, words, line) in binds {
            let opts = bind_opts(&words);
            if let Some(i) = words.iter().position(|w| w == "crt-list") {
                attrs.insert(
                    format!("note {file}:{line}"),
                    format!(
                        "crt-list {}: per-certificate options (verify, ca-file) live in that file and are not read",
                        words.get(i + 1).map_or("", String::as_str)
                    ),
                );
            }
            let quic = address.starts_with("quic");
            let (bound, port) = split_address(&address);
            let bound = crate::proxy::address::bound_host(&bound);
            let terminate = opts.ssl || quic;
            let tls = if terminate {
                ListenerTls::Terminate
            } else if http || originates_tls {
                ListenerTls::Plaintext
            } else if sni {
                ListenerTls::Passthrough
            } else {
                ListenerTls::Layer4
            };
            // Every address of the line (`bind 127.0.0.1:80,[::1]:80`) on loopback or a socket.
            let local_only =
                address.split(',').all(|a| crate::proxy::address::is_local_host(&split_address(a).0));
            let client_cert = if !terminate {
                ClientCertMode::None
            } else {
                match opts.verify.as_deref() {
                    Some("required") if opts.ca_file && !opts.ignore_all_errors => ClientCertMode::Required,
                    Some("required") => ClientCertMode::Unverified,
                    Some("optional") if opts.ignore_all_errors => ClientCertMode::Unverified,
                    Some("optional") => ClientCertMode::Optional,
                    _ => ClientCertMode::None,
                }
            };
            listeners.push(ProxyListener {
                name: section.name.clone(),
                port,
                hosts: hosts.clone(),
                tls,
                client_cert,
                xfcc: None,
                identity_headers: identity.clone(),
                jwt: Vec::new(),
                authz: authz.clone(),
                routes: routes.clone(),
                local_only,
                address: bound.clone(),
                line,
                file: None,
            });
        }
    }
    if !unbound.is_empty() {
        attrs.insert("frontends_without_bind".into(), unbound.join(", "));
    }
    if !send_cn.is_empty() {
        send_cn.dedup();
        attrs.insert(
            "send-proxy-v2-ssl-cn".into(),
            format!(
                "{}: the PROXY protocol header carries the client certificate's CN only (no SAN, no SPIFFE ID)",
                send_cn.join(", ")
            ),
        );
    }
    Proxy {
        kind: ProxyKind::Haproxy,
        name,
        namespace: None,
        source: Source { file: Arc::clone(file), line: 1 },
        runs_on: None,
        listeners,
        attrs,
        credentials: Vec::new(),
    }
}

/// Routes to a backend named by `use_backend` / `default_backend`.
#[allow(clippy::too_many_arguments)]
fn backend_routes(
    model: &Model<'_>,
    name: &str,
    matches: String,
    line: u32,
    identity: &[IdentityHeader],
    send_cn: &mut Vec<String>,
    attrs: &mut StringMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ProxyRoute> {
    let named = |target: BackendTarget| ProxyRoute {
        matches: matches.clone(),
        backend: ProxyBackend::plain(target, line),
        identity_headers: None,
        line,
    };
    if name.contains("%[") || name.is_empty() {
        // A name computed per request (`%[var(txn.path_match),field(1,.)]`).
        return vec![named(BackendTarget::Named(name.to_owned()))];
    }
    let Some((backend, defaults)) = model.backends.get(name) else {
        diagnostics.push(Diagnostic {
            source: Source { file: Arc::clone(model.file), line },
            reason: format!("backend \"{name}\" is not defined"),
        });
        return vec![named(BackendTarget::Named(name.to_owned()))];
    };
    let routes = server_routes(model, backend, *defaults, &matches, line, identity, send_cn, attrs);
    if routes.is_empty() { vec![named(BackendTarget::Named(name.to_owned()))] } else { routes }
}

/// One route per enabled `server` (and `server-template`) of a backend or listen section.
#[allow(clippy::too_many_arguments)]
fn server_routes(
    model: &Model<'_>,
    backend: &Section,
    defaults: Option<&Section>,
    matches: &str,
    line: u32,
    frontend_identity: &[IdentityHeader],
    send_cn: &mut Vec<String>,
    attrs: &mut StringMap,
) -> Vec<ProxyRoute> {
    let mut base = ServerOpts::default();
    for l in defaults.iter().flat_map(|d| d.lines("default-server")).chain(backend.lines("default-server")) {
        apply_server_words(&mut base, &l.words[1..]);
    }
    // Backend rules run after the frontend's: the route sees both.
    let identity = if backend.kind == "backend" && mode_of(backend, defaults) == "http" {
        let own = identity_rules(&[backend], model.file, attrs);
        (!own.is_empty()).then(|| frontend_identity.iter().cloned().chain(own).collect())
    } else {
        None
    };
    let mut routes = Vec::new();
    for l in &backend.body {
        let (address, params) = match l.word(0) {
            "server" if l.words.len() >= 3 => (l.word(2), &l.words[3..]),
            "server-template" if l.words.len() >= 4 => (l.word(3), &l.words[4..]),
            _ => continue,
        };
        let mut opts = base.clone();
        apply_server_words(&mut opts, params);
        if opts.disabled {
            continue;
        }
        if opts.send_cn {
            send_cn.push(format!("{}/{} (line {})", backend.name, l.word(1), l.line));
        }
        let (address, credential) = server_userinfo(address);
        let (host, port) = split_address(&address);
        let verify = opts.tls_verify(model.server_verify_none);
        let client_cert = opts.ssl && opts.crt.is_some();
        routes.push(ProxyRoute {
            matches: matches.to_owned(),
            backend: ProxyBackend {
                target: BackendTarget::Address { host, port },
                tls: opts.ssl,
                verify_server: verify,
                client_cert,
                substitutes_identity: client_cert.then(|| {
                    format!(
                        "HAProxy presents its own client certificate {} (line {})",
                        opts.crt.as_deref().unwrap_or_default(),
                        l.line
                    )
                }),
                credential,
                port_tls: PortTls::Unknown,
                line: l.line,
            },
            identity_headers: identity.clone(),
            line,
        });
    }
    routes
}

impl ServerOpts {
    /// Whether the server's certificate is verified: `verify` on the line (or `default-server`),
    /// else `required` unless the global section says `ssl-server-verify none`.
    fn tls_verify(&self, global_none: bool) -> Option<bool> {
        if !self.ssl {
            return None;
        }
        Some(match self.verify.as_deref() {
            Some("none") => false,
            Some(_) => true,
            None => !global_none,
        })
    }
}

/// Reads one HAProxy configuration held in memory, named `name`, without touching the file
/// system. An entry point for the fuzz targets (`fuzz/`) and their tests.
#[doc(hidden)]
pub fn read_str(name: &str, text: &str) -> Inventory {
    let file: Arc<str> = name.into();
    let (proxy, diagnostics) = read_text(&file, Path::new(name), text);
    Inventory { files_read: 1, proxies: vec![proxy], diagnostics, ..Inventory::default() }
}

#[cfg(test)]
mod tests;
