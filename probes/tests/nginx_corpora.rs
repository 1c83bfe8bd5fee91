//! The nginx reader against real configuration: h5bp/server-configs-nginx and the nginx.conf
//! files of kubernetes/ingress-nginx (copied verbatim under `shared/corpora`), and the small
//! estate of `fixtures/proxies/nginx/edge`. Every fact asserted here was read from the files
//! themselves. The corpus tests are skipped when the corpora are absent
//! (under CI they fail).

mod common;

use std::path::{Path, PathBuf};

use ztpath_probes::{
    BackendTarget, ClientCertMode, HeaderAction, IdentityHeader, Inventory, ListenerTls, Proxy, ProxyKind,
    ProxyListener, read_paths,
};

use common::corpus;

fn nginx(inv: &Inventory) -> Vec<&Proxy> {
    inv.proxies.iter().filter(|p| p.kind == ProxyKind::Nginx).collect()
}

/// The proxy whose root file ends with `suffix`.
fn root<'a>(inv: &'a Inventory, suffix: &str) -> &'a Proxy {
    nginx(inv)
        .into_iter()
        .find(|p| p.source.file.ends_with(suffix))
        .unwrap_or_else(|| panic!("no nginx proxy rooted at {suffix}"))
}

fn summary(p: &Proxy) -> Vec<(&str, Option<u32>, ListenerTls, ClientCertMode, u32)> {
    p.listeners.iter().map(|l| (l.name.as_str(), l.port, l.tls, l.client_cert, l.line)).collect()
}

#[test]
fn h5bp_roots_includes_and_listeners() {
    let Some(dir) = corpus("h5bp__server-configs-nginx") else { return };
    let inv = read_paths(std::slice::from_ref(&dir));
    // The corpus holds only part of h5bp's tree: every include it lacks is said (21 of them, in
    // 6 files), none other, and each named file is really absent.
    assert_eq!(inv.diagnostics.len(), 21, "{:#?}", inv.diagnostics);
    for d in &inv.diagnostics {
        let target = d
            .reason
            .strip_prefix("include ")
            .and_then(|t| t.strip_suffix(": not found in the scanned tree; not read"))
            .unwrap_or_else(|| panic!("unexpected diagnostic {d}"));
        assert!(d.source.line > 0, "{d}");
        assert!(!dir.join(target).exists(), "{target} exists, yet: {d}");
    }
    // 16 `.conf` files, `conf.d/.default.conf` hidden (skipped by the walk, and by nginx's glob).
    assert_eq!(inv.files_read, 15);
    // Roots: nginx.conf, the two templates and the four test vhosts. conf.d/no-ssl.default.conf
    // is included by nginx.conf (`include conf.d/*.conf;`, line 190); h5bp/tls/*.conf and
    // h5bp/basic.conf are fragments without a server block.
    let mut roots: Vec<&str> = nginx(&inv).iter().map(|p| p.name.as_str()).collect();
    roots.sort_unstable();
    assert_eq!(
        roots,
        vec![
            "default",
            "example.com",
            "nginx",
            "no-ssl.example.com",
            "secure.server.localhost",
            "server.localhost",
            "www-server.localhost"
        ]
    );
    // No proxy_pass and no ssl_verify_client anywhere in h5bp: static sites, no client certs.
    for p in nginx(&inv) {
        for l in &p.listeners {
            assert!(l.routes.is_empty(), "{}: {:?}", p.name, l.routes);
            assert_eq!(l.client_cert, ClientCertMode::None);
            assert!(l.identity_headers.is_empty());
        }
    }

    // nginx.conf: its servers come from conf.d/no-ssl.default.conf (lines 19-20:
    // `listen [::]:80 default_server deferred;` and `listen 80 default_server deferred;`).
    let main = root(&inv, "h5bp__server-configs-nginx/nginx.conf");
    assert_eq!(
        summary(main),
        vec![
            ("_", Some(80), ListenerTls::Plaintext, ClientCertMode::None, 19),
            ("_", Some(80), ListenerTls::Plaintext, ClientCertMode::None, 20)
        ]
    );
    assert!(
        main.listeners
            .iter()
            .all(|l| l.file.as_deref().is_some_and(|f| f.ends_with("conf.d/no-ssl.default.conf")))
    );
    assert_eq!(main.attrs.get("files").map(String::as_str), Some("2"));
    // Five includes of nginx.conf are not in the copy of the repository; `custom.d/*.conf`
    // (line 53) is a glob that matches nothing, which nginx accepts.
    let unresolved = &main.attrs["unresolved_includes"];
    assert!(
        unresolved.starts_with("h5bp/security/server_software_information.conf (nginx.conf:58)"),
        "{unresolved}"
    );
    assert_eq!(unresolved.matches(", ").count(), 4);
    assert!(!unresolved.contains("custom.d"));

    // test/vhosts/default.conf: `listen [::]:80` / `listen 80` (lines 2-3), then
    // `listen [::]:443 ssl http2 default_server;` / `listen 443 ssl http2 default_server;`
    // (lines 12-13). Its h5bp/tls/*.conf includes resolve against the prefix two levels up.
    let vhost = root(&inv, "test/vhosts/default.conf");
    assert_eq!(
        summary(vhost),
        vec![
            ("_", Some(80), ListenerTls::Plaintext, ClientCertMode::None, 2),
            ("_", Some(80), ListenerTls::Plaintext, ClientCertMode::None, 3),
            ("_", Some(443), ListenerTls::Terminate, ClientCertMode::None, 12),
            ("_", Some(443), ListenerTls::Terminate, ClientCertMode::None, 13),
        ]
    );
    assert_eq!(vhost.attrs.get("files").map(String::as_str), Some("4"));
    assert!(!vhost.attrs.contains_key("unresolved_includes"));

    // secure.server.localhost.conf: two TLS servers; reads ssl_engine, certificate_files,
    // policy_balanced, basic.conf and strict-transport-security.conf besides itself.
    let secure = root(&inv, "test/vhosts/secure.server.localhost.conf");
    let hosts: Vec<&str> = secure.listeners.iter().map(|l| l.hosts[0].as_str()).collect();
    assert_eq!(
        hosts,
        vec![
            "www.secure.server.localhost",
            "www.secure.server.localhost",
            "secure.server.localhost",
            "secure.server.localhost"
        ]
    );
    assert!(secure.listeners.iter().all(|l| l.tls == ListenerTls::Terminate && l.port == Some(443)));
    assert_eq!(secure.attrs.get("files").map(String::as_str), Some("6"));
    // The only include of the file that is missing from the copy (line 27).
    assert!(
        secure.attrs["unresolved_includes"]
            .contains("h5bp/errors/custom_errors.conf (test/vhosts/secure.server.localhost.conf:27)")
    );

    // The plain-HTTP template serves www.example.com and example.com on port 80 only.
    let plain = root(&inv, "conf.d/templates/no-ssl.example.com.conf");
    assert!(plain.listeners.iter().all(|l| l.tls == ListenerTls::Plaintext && l.port == Some(80)));
    assert_eq!(plain.listeners.len(), 4);
}

#[test]
fn ingress_nginx_conf_files() {
    let Some(dir) = corpus("kubernetes__ingress-nginx") else { return };
    let inv = read_paths(&[dir]);

    // rootfs/etc/nginx/nginx.conf: "A very simple nginx configuration file that forces nginx
    // to start": `events {}` and `http {}`, no server.
    let bare = root(&inv, "rootfs/etc/nginx/nginx.conf");
    assert!(bare.listeners.is_empty());

    // The e2e echo server: `listen 80 default_server reuseport;` (line 62), `server_name _;`, and
    // Lua blocks whose long strings hold `{%` / `{*` braces (read as Lua, not as nginx).
    let echo = root(&inv, "images/e2e-test-echo/rootfs/nginx.conf");
    assert_eq!(summary(echo), vec![("_", Some(80), ListenerTls::Plaintext, ClientCertMode::None, 62)]);
    assert!(echo.listeners[0].routes.is_empty(), "content_by_lua_block answers itself");

    // test/data/cleanConf.*.conf are truncated: the `http {` block is never closed. Reported at
    // the line of `http {`, and what was read before the end is kept.
    let mut diags: Vec<(String, u32)> = inv
        .diagnostics
        .iter()
        .filter(|d| d.source.file.ends_with(".conf"))
        .map(|d| (d.source.file.rsplit('/').next().unwrap_or("").to_owned(), d.source.line))
        .collect();
    diags.sort();
    assert_eq!(
        diags,
        vec![("cleanConf.expected.conf".to_owned(), 20), ("cleanConf.src.conf".to_owned(), 37)]
    );
    assert!(inv.diagnostics.iter().any(|d| d.reason.contains("\"http\" block is not closed")));
    // cleanConf.src.conf lines 133-134: `listen 80 default_server reuseport backlog=4096 ;` and
    // `listen 443 default_server reuseport backlog=4096 ssl http2 ;`.
    let src = root(&inv, "test/data/cleanConf.src.conf");
    assert_eq!(
        summary(src),
        vec![
            ("_", Some(80), ListenerTls::Plaintext, ClientCertMode::None, 133),
            ("_", Some(443), ListenerTls::Terminate, ClientCertMode::None, 134)
        ]
    );
    let expected = root(&inv, "test/data/cleanConf.expected.conf");
    assert_eq!(expected.listeners.iter().map(|l| l.line).collect::<Vec<_>>(), vec![96, 97]);
    // Four nginx roots in that repository; the nginx.tmpl Go template is not a .conf file.
    assert_eq!(nginx(&inv).len(), 4);
}

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/proxies").join(relative)
}

fn listener<'a>(p: &'a Proxy, host: &str) -> &'a ProxyListener {
    p.listeners
        .iter()
        .find(|l| l.hosts.iter().any(|h| h == host))
        .unwrap_or_else(|| panic!("no listener {host}"))
}

#[test]
fn fixture_edge_is_read_from_a_directory_walk() {
    let inv = read_paths(&[fixture("nginx/edge")]);
    // `mime.types` ships with nginx, not with the configuration: its absence is said.
    let said: Vec<(u32, &str)> = inv.diagnostics.iter().map(|d| (d.source.line, d.reason.as_str())).collect();
    assert_eq!(said, [(11, "include mime.types: not found in the scanned tree; not read")]);
    // Five files, one root (the others are included by it).
    assert_eq!(inv.files_read, 5);
    assert_eq!(inv.proxies.len(), 1);
    let p = &inv.proxies[0];
    assert_eq!(p.attrs.get("files").map(String::as_str), Some("5"));
    assert!(p.attrs["unresolved_includes"].starts_with("mime.types (nginx.conf:11)"));

    // partners: mTLS required (from the included snippet), identity headers set from the
    // verified certificate.
    let partners = listener(p, "partners.shop.example");
    assert_eq!(
        (partners.port, partners.tls, partners.client_cert, partners.line),
        (Some(443), ListenerTls::Terminate, ClientCertMode::Required, 2)
    );
    assert!(partners.file.as_deref().is_some_and(|f| f.ends_with("conf.d/partners.conf")));
    assert_eq!(
        partners.identity_headers,
        vec![
            IdentityHeader {
                name: "X-SSL-Client-DN".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 9
            },
            IdentityHeader {
                name: "X-SSL-Client-Verify".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 10
            },
        ]
    );
    // /orders/: the `orders` upstream (two servers up, one down), HTTPS not verified, the edge's
    // own client certificate.
    let orders: Vec<_> = partners.routes.iter().filter(|r| r.matches == "/orders/").collect();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        orders[0].backend.target,
        BackendTarget::Address { host: "10.0.1.10".into(), port: Some(8443) }
    );
    assert!(
        orders
            .iter()
            .all(|r| r.backend.tls && r.backend.verify_server == Some(false) && r.backend.client_cert)
    );
    assert!(orders.iter().all(|r| r.identity_headers.is_none() && r.line == 14));
    // /catalog/: its own `proxy_set_header Host` drops the server's identity headers.
    let catalog = partners.routes.iter().find(|r| r.matches == "/catalog/").unwrap();
    assert_eq!(catalog.identity_headers, Some(Vec::new()));
    assert_eq!(
        catalog.backend.target,
        BackendTarget::Address { host: "catalog.shop.svc.cluster.local".into(), port: Some(8080) }
    );
    assert!(!partners.routes.iter().any(|r| r.matches == "/healthz"));

    // public: optional_no_ca is not verification; auth_request on `/`; upstream verified.
    let public = listener(p, "public.shop.example");
    assert_eq!((public.port, public.client_cert), (Some(8443), ClientCertMode::Unverified));
    assert_eq!(public.authz, vec!["auth_request /_auth on location / (line 10)"]);
    let to_catalog = &public.routes[0].backend;
    assert_eq!((to_catalog.tls, to_catalog.verify_server), (true, Some(true)));
    let auth = public.routes.iter().find(|r| r.matches == "= /_auth").unwrap();
    assert_eq!(
        auth.backend.target,
        BackendTarget::Address { host: "auth.shop.svc.cluster.local".into(), port: Some(9000) }
    );
}
