/// Reads files with a scope whose roots are the files themselves (their directories).
fn read_all(paths: &[std::path::PathBuf]) -> crate::inventory::Inventory {
    let scope = crate::confine::ReadScope::new(paths, crate::confine::ReadOptions::default());
    super::read_files(&scope, paths)
}
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::include::*;
use super::model::*;
use super::parser::*;
use super::*;
use crate::inventory::{
    BackendTarget, ClientCertMode, Diagnostic, HeaderAction, IdentityHeader, ListenerTls, Proxy,
};

fn parse_str(text: &str) -> (Vec<Directive>, Option<Diagnostic>) {
    parse(text, &Arc::from("t.conf"))
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn one(text: &str) -> Proxy {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "nginx.conf", text);
    let inv = read_all(&[p]);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 1);
    inv.proxies.into_iter().next().unwrap()
}

#[test]
fn tokens_quotes_escapes_comments_and_variables() {
    let (dirs, err) = parse_str(
        "log_format main '$remote_addr \"$request\"' \"a\\\"b\\n\"; # comment { ;\n\
             return 200 ${host}x#y;\nrewrite ^/(a)\\;b$ /x;\nif ($a = \"b\") { return 403; }\n",
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(dirs[0].args, vec!["main", "$remote_addr \"$request\"", "a\"b\n"]);
    assert_eq!(dirs[1].args, vec!["200", "${host}x#y"]);
    assert_eq!(dirs[1].line, 2);
    assert_eq!(dirs[2].args, vec!["^/(a)\\;b$", "/x"]);
    assert_eq!(dirs[3].args, vec!["($a", "=", "b", ")"]);
    assert_eq!(dirs[3].children()[0].name, "return");
}

#[test]
fn lua_blocks_are_skipped_as_lua() {
    let (dirs, err) = parse_str(
        "http {\n content_by_lua_block {\n local t = { a = \"}\" } -- }\n s = [[ { ]] --[==[ } ]==]\n }\n server { listen 80; }\n}\n",
    );
    assert!(err.is_none(), "{err:?}");
    let http = dirs[0].children();
    assert_eq!(http[0].name, "content_by_lua_block");
    assert_eq!(http[1].name, "server");
    assert_eq!(http[1].line, 6);
}

#[test]
fn syntax_errors_have_lines_and_keep_what_was_read() {
    let (dirs, err) = parse_str("events {}\nhttp {\n  server {\n    listen 80\n  }\n}\n");
    let err = err.unwrap();
    assert_eq!(err.source.line, 4);
    assert_eq!(err.reason, "column 5: unexpected \"}\": the \"listen\" directive has no \";\"");
    assert_eq!(dirs.len(), 2);
    let (_, err) = parse_str("http {\n server {\n }\n");
    let err = err.unwrap();
    assert_eq!(err.source.line, 1);
    assert_eq!(
        err.reason,
        "column 1: unexpected end of file, expecting \"}\": the \"http\" block is not closed"
    );
    let (_, err) = parse_str("a \"b\"c;\n");
    assert_eq!(
        err.unwrap().reason,
        "column 6: unexpected a letter after a quoted string, expecting a blank, \";\" or \"{\""
    );
    let (_, err) = parse_str("a \"b\"|;\n");
    assert!(err.unwrap().reason.starts_with("column 6: unexpected \"|\" after a quoted string"));
    let (_, err) = parse_str("}\n");
    assert_eq!(err.unwrap().reason, "column 1: unexpected \"}\": no block is open");
    let (_, err) = parse_str("events {}\n  ;\n");
    let err = err.unwrap();
    assert_eq!(
        (err.source.line, err.reason.as_str()),
        (2, "column 3: unexpected \";\", expecting a directive name")
    );
    // Columns count characters, not bytes.
    let (_, err) = parse_str("# é\nhttp { a \"é\"é; }\n");
    assert_eq!(err.unwrap().reason.split(':').next(), Some("column 13"));
    let (_, err) = parse_str("server {\n  return 200 'x\n");
    let err = err.unwrap();
    assert_eq!(err.source.line, 2);
    assert_eq!(err.reason, "column 14: unexpected end of file: the string opened here with ' is not closed");
    let (_, err) = parse_str("server {\n content_by_lua_block { x = 1\n");
    let err = err.unwrap();
    assert_eq!(err.source.line, 2);
    assert_eq!(err.reason, "column 23: unexpected end of file in a Lua block, expecting \"}\"");
}

/// A line that is not nginx (a secret pasted in) gives a diagnostic that names the file, the
/// line and the column and what was expected, never the line's text.
#[test]
fn syntax_errors_never_quote_the_input() {
    const CANARY: &str = "canary123secret";
    for (text, line, col) in [
        // Before a closing brace, at the end of the file, as a block's name.
        ("server {\n  listen 80;\n  API_KEY=canary123secret\n}\n", 3, 3),
        ("server {\n  listen 80;\n}\nAPI_KEY=canary123secret\n", 4, 1),
        ("server {\n  listen 80;\n}\n  canary123secret", 4, 3),
        ("server {\n  listen 80;\n}\nAPI_KEY=canary123secret {\n", 4, 1),
        ("http {\n  \"API_KEY=canary123secret\"x;\n}\n", 2, 28),
        ("http {\n  x \"canary123secret\n", 2, 5),
        ("http {\n  x 'canary123secret\"\n}\n", 2, 5),
    ] {
        let (_, err) = parse_str(text);
        let err = err.unwrap_or_else(|| panic!("no error for {text:?}"));
        assert_eq!(err.source.line, line, "{text:?}: {err}");
        assert!(err.reason.starts_with(&format!("column {col}: ")), "{text:?}: {err}");
        assert!(!err.reason.contains(CANARY) && !err.reason.contains("API_KEY"), "{text:?}: {err}");
    }
    let (_, err) = parse_str("server {\n  listen 80;\n  API_KEY=canary123secret\n}\n");
    assert_eq!(err.unwrap().reason, "column 3: unexpected \"}\": an unknown directive has no \";\"");
    // A name with the shape of a directive is named.
    let (_, err) = parse_str("server {\n  more_set_headers x\n}\n");
    assert_eq!(
        err.unwrap().reason,
        "column 3: unexpected \"}\": the \"more_set_headers\" directive has no \";\""
    );
    let (_, err) = parse_str("API_KEY=canary123secret {\n");
    assert_eq!(
        err.unwrap().reason,
        "column 1: unexpected end of file, expecting \"}\": an unknown block is not closed"
    );
}

#[test]
fn broken_file_is_reported_and_others_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "a/bad.conf",
        "server {\n  listen 80;\n  location / {\n    proxy_pass http://x\n  }\n}\n",
    );
    let good = write(dir.path(), "b/good.conf", "server {\n  listen 8080;\n}\n");
    let inv = read_all(&[bad.clone(), good]);
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert_eq!(&*inv.diagnostics[0].source.file, bad.display().to_string());
    assert_eq!(inv.diagnostics[0].source.line, 4);
    let ports: Vec<Option<u32>> =
        inv.proxies.iter().flat_map(|p| p.listeners.iter().map(|l| l.port)).collect();
    assert_eq!(ports, vec![Some(80), Some(8080)]);
}

#[test]
fn unreadable_root_is_one_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let inv = read_all(&[dir.path().join("nginx.conf")]);
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert_eq!(inv.diagnostics[0].reason, "not found");
    assert!(inv.proxies.is_empty());
}

#[test]
fn includes_and_upstreams_are_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let root = write(
        dir.path(),
        "nginx.conf",
        "events {}\nhttp {\n  include upstreams.conf;\n  include conf.d/*.conf;\n  include missing.conf;\n}\n",
    );
    let ups = write(
        dir.path(),
        "upstreams.conf",
        "upstream app {\n  server 10.0.0.1:8080;\n  server app-2;\n  server 10.0.0.3 down;\n}\n",
    );
    let site = write(
        dir.path(),
        "conf.d/site.conf",
        "server {\n  listen 443 ssl;\n  server_name api.example.com;\n  include snippets/mtls.conf;\n  location / {\n    proxy_pass http://app;\n  }\n}\n",
    );
    let snippet =
        write(dir.path(), "snippets/mtls.conf", "ssl_verify_client on;\nssl_client_certificate /ca.pem;\n");
    let hidden = write(dir.path(), "conf.d/.hidden.conf", "server { listen 9999; }\n");
    let inv = read_all(&[hidden, root.clone(), site.clone(), snippet, ups]);
    // A missing include is said, with where it is.
    let said: Vec<String> = inv.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        said,
        [format!("{}:5: include missing.conf: not found in the scanned tree; not read", root.display())]
    );
    // The included files are not roots; the hidden file is not matched by the glob.
    assert_eq!(inv.proxies.len(), 2, "{:?}", inv.proxies.iter().map(|p| &p.source).collect::<Vec<_>>());
    let p = inv.proxies.iter().find(|p| p.name == "nginx").unwrap();
    assert_eq!(p.attrs.get("files").map(String::as_str), Some("4"));
    assert!(p.attrs["unresolved_includes"].starts_with("missing.conf ("));
    assert_eq!(p.listeners.len(), 1);
    let l = &p.listeners[0];
    assert_eq!(l.file.as_deref(), Some(&*site.display().to_string()));
    assert_eq!(
        (l.port, l.tls, l.client_cert, l.line),
        (Some(443), ListenerTls::Terminate, ClientCertMode::Required, 2)
    );
    assert_eq!(l.hosts, vec!["api.example.com"]);
    let targets: Vec<(&BackendTarget, u32)> =
        l.routes.iter().map(|r| (&r.backend.target, r.backend.line)).collect();
    assert_eq!(
        targets,
        vec![
            (&BackendTarget::Address { host: "10.0.0.1".into(), port: Some(8080) }, 6),
            (&BackendTarget::Address { host: "app-2".into(), port: Some(80) }, 6),
        ]
    );
    assert!(l.routes.iter().all(|r| r.matches == "/" && r.line == 6 && !r.backend.tls));
    assert_eq!(l.routes[0].backend.verify_server, None);
}

#[test]
fn absolute_includes_are_rerooted_under_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let root = write(
        dir.path(),
        "nginx.conf",
        "http {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n  include /etc/nginx/proxy_params;\n}\n",
    );
    write(dir.path(), "conf.d/a.conf", "server { listen 81; }\n");
    write(dir.path(), "proxy_params", "proxy_set_header X-Client-Verify $ssl_client_verify;\n");
    write(dir.path(), "other.conf", "server { listen 82; }\n");
    let inv = read_all(&[root]);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    let p = &inv.proxies[0];
    // conf.d/a.conf found under the prefix; `sites-enabled/*` does not fall back to `*`.
    assert_eq!(p.listeners.iter().map(|l| l.port).collect::<Vec<_>>(), vec![Some(81)]);
    assert_eq!(p.listeners[0].identity_headers.len(), 1);
    assert_eq!(p.attrs.get("files").map(String::as_str), Some("3"));
}

#[test]
fn include_cycles_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.conf", "include b.conf;\nserver { listen 81; }\n");
    let b = write(dir.path(), "b.conf", "include a.conf;\n");
    let inv = read_all(&[a, b]);
    assert_eq!(inv.proxies.len(), 1);
    assert_eq!(inv.proxies[0].listeners.len(), 1);
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert!(inv.diagnostics[0].reason.contains("include cycle"));
}

#[test]
fn proxy_set_header_inheritance_is_all_or_nothing() {
    let p = one(
        "http {\n server {\n  listen 443 ssl;\n  ssl_verify_client on;\n  ssl_client_certificate ca.pem;\n\
             \x20 proxy_set_header X-SSL-Client-DN $ssl_client_s_dn;\n  proxy_set_header X-Real-IP $remote_addr;\n\
             \x20 location /a {\n    proxy_pass http://a:8080;\n  }\n\
             \x20 location /b {\n    proxy_set_header Host $host;\n    proxy_pass http://b:8080;\n  }\n\
             \x20 location /c {\n    proxy_set_header X-Client-Cert \"\";\n    proxy_set_header X-SSL-Client-Verify $http_x_ssl_client_verify;\n    proxy_pass http://c;\n  }\n }\n}\n",
    );
    let l = &p.listeners[0];
    assert_eq!(
        l.identity_headers,
        vec![IdentityHeader {
            name: "X-SSL-Client-DN".into(),
            action: HeaderAction::Set { from_client_cert: true },
            line: 6
        }]
    );
    let by = |m: &str| l.routes.iter().find(|r| r.matches == m).unwrap();
    assert_eq!(by("/a").identity_headers, None);
    // The location's own `proxy_set_header Host` discards the server's X-SSL-Client-DN.
    assert_eq!(by("/b").identity_headers, Some(Vec::new()));
    assert_eq!(
        by("/c").identity_headers,
        Some(vec![
            IdentityHeader { name: "X-Client-Cert".into(), action: HeaderAction::Remove, line: 16 },
            IdentityHeader {
                name: "X-SSL-Client-Verify".into(),
                action: HeaderAction::PassThrough,
                line: 17
            },
        ])
    );
    assert_eq!(by("/c").backend.target, BackendTarget::Address { host: "c".into(), port: Some(80) });
}

#[test]
fn client_cert_modes_and_inheritance() {
    let p = one("http {\n ssl_verify_client optional_no_ca;\n\
             \x20server { listen 443 ssl; server_name a; }\n\
             \x20server { listen 8443 ssl; server_name b; ssl_verify_client optional; ssl_client_certificate ca; }\n\
             \x20server { listen 9443 ssl; server_name c; ssl_verify_client off; }\n\
             \x20server { listen 80; server_name d; }\n\
             \x20server { listen 7443; ssl on; server_name e; ssl_verify_client on; }\n}\n");
    let modes: Vec<(&str, ListenerTls, ClientCertMode)> =
        p.listeners.iter().map(|l| (l.name.as_str(), l.tls, l.client_cert)).collect();
    assert_eq!(
        modes,
        vec![
            ("a", ListenerTls::Terminate, ClientCertMode::Unverified),
            ("b", ListenerTls::Terminate, ClientCertMode::Optional),
            ("c", ListenerTls::Terminate, ClientCertMode::None),
            ("d", ListenerTls::Plaintext, ClientCertMode::None),
            ("e", ListenerTls::Terminate, ClientCertMode::Required),
        ]
    );
    assert!(p.attrs.keys().any(|k| k.starts_with("note ")), "{:?}", p.attrs);
}

#[test]
fn ssl_on_an_address_applies_to_every_server_on_it() {
    let p = one(
        "http {\n server { listen 443 ssl; server_name a; }\n server { listen 443; server_name b; }\n}\n",
    );
    assert!(p.listeners.iter().all(|l| l.tls == ListenerTls::Terminate));
}

#[test]
fn upstream_tls_defaults_to_unverified() {
    let p = one("http {\n proxy_ssl_certificate /etc/nginx/client.pem;\n server {\n  listen 80;\n\
             \x20 location /a { proxy_pass https://a.internal; }\n\
             \x20 location /b { proxy_ssl_verify on; proxy_pass https://b.internal:8443/x; }\n\
             \x20 location /c { grpc_pass grpcs://c:50051; }\n\
             \x20 location /d { auth_request /auth; uwsgi_pass unix:/run/app.sock; }\n\
             \x20 location = /e { return 204; }\n }\n}\n");
    let l = &p.listeners[0];
    assert_eq!(l.routes.len(), 4);
    let a = &l.routes[0].backend;
    assert_eq!(a.target, BackendTarget::Address { host: "a.internal".into(), port: Some(443) });
    assert_eq!((a.tls, a.verify_server, a.client_cert), (true, Some(false), true));
    assert!(a.substitutes_identity.as_deref().unwrap().contains("client.pem"));
    let b = &l.routes[1].backend;
    assert_eq!(
        (b.tls, b.verify_server, b.target.clone()),
        (true, Some(true), BackendTarget::Address { host: "b.internal".into(), port: Some(8443) })
    );
    let c = &l.routes[2].backend;
    assert_eq!((c.tls, c.verify_server, c.client_cert), (true, Some(false), false));
    let d = &l.routes[3].backend;
    assert_eq!(d.target, BackendTarget::Address { host: "unix:/run/app.sock".into(), port: None });
    assert_eq!(l.authz, vec!["auth_request /auth on location /d (line 8)"]);
}

#[test]
fn variables_maps_and_stream() {
    let p = one(
        "stream {\n upstream db { server 10.1.0.1:5432; }\n map $ssl_preread_server_name $be {\n  a.example.com db;\n  default 10.9.9.9:443;\n }\n\
             \x20server { listen 443; ssl_preread on; proxy_pass $be; }\n\
             \x20server { listen 6443 ssl; proxy_ssl on; proxy_pass k8s:6443; }\n}\n\
             http { server { listen 80; location / { proxy_pass http://$host$request_uri; } } }\n",
    );
    let l = &p.listeners[0];
    assert_eq!((l.tls, l.port), (ListenerTls::Passthrough, Some(443)));
    let targets: Vec<(&str, &BackendTarget)> =
        l.routes.iter().map(|r| (r.matches.as_str(), &r.backend.target)).collect();
    assert_eq!(
        targets,
        vec![
            (
                "$ssl_preread_server_name a.example.com",
                &BackendTarget::Address { host: "10.1.0.1".into(), port: Some(5432) }
            ),
            (
                "$ssl_preread_server_name default",
                &BackendTarget::Address { host: "10.9.9.9".into(), port: Some(443) }
            ),
        ]
    );
    let k = &p.listeners[1];
    assert_eq!(
        (k.tls, k.routes[0].backend.tls, k.routes[0].backend.verify_server),
        (ListenerTls::Terminate, true, Some(false))
    );
    let h = &p.listeners[2];
    assert_eq!(h.routes[0].backend.target, BackendTarget::Named("http://$host$request_uri".into()));
}

#[test]
fn every_truncation_reads_without_panic() {
    let text = "http {\n upstream u { server [::1]:81; server unix:/s; }\n map $host $b { default u; }\n\
                    \x20server {\n  listen [::]:443 ssl; listen unix:/x; server_name \"a b\" 'c';\n\
                    \x20 init_by_lua_block { s = [==[ } ]==] -- }\n x = \"}\" }\n\
                    \x20 location ~ \"^/(\\d{3})$\" { if ($a) { proxy_pass https://$b; } proxy_pass http://unix:/t:/x; }\n\
                    \x20 location / { proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert; grpc_pass grpcs://[::1]; }\n }\n}\n\
                    stream { server { listen 1; proxy_pass $b; } }\n";
    let file: Arc<str> = Arc::from("t.conf");
    for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
        let (tree, _) = parse(&text[..end], &file);
        let _ = build(&tree, &file, Path::new("t.conf"));
    }
    let (tree, err) = parse(text, &file);
    assert!(err.is_none(), "{err:?}");
    let p = build(&tree, &file, Path::new("t.conf"));
    assert_eq!(p.listeners.len(), 3);
    let _ = looks_like_nginx("\u{0}\\\"'{");
}

#[test]
fn candidates_are_sniffed() {
    assert!(looks_like_nginx("server {\n listen 80;\n}\n"));
    assert!(looks_like_nginx("# tls\nssl_protocols TLSv1.2;\n"));
    // `include` alone is not enough (BIND's named.conf has it too).
    assert!(!looks_like_nginx("include \"/etc/rndc.key\";\noptions {\n listen-on port 53 { any; };\n};\n"));
    assert!(!looks_like_nginx("[Resolve]\nDNS=1.1.1.1\n"));
    assert!(!looks_like_nginx("include /etc/ld.so.conf.d/*.conf\n"));
    assert!(!looks_like_nginx("net.ipv4.ip_forward = 1\n"));
    assert!(!looks_like_nginx("/var/log/nginx/*.log {\n daily\n rotate 7\n}\n"));
    assert!(!looks_like_nginx("<VirtualHost *:80>\n ServerName x\n</VirtualHost>\n"));
    assert!(!looks_like_nginx("global\n  daemon\nfrontend fe\n  bind :80\n"));
    assert!(wildcard("*.conf")("site.conf"));
    assert!(!wildcard("*.conf")("site.conf.bak"));
    assert!(wildcard("s?te[0-9].c*")("site1.conf"));
    assert!(!wildcard("[!s]*")("site"));
    assert!(wildcard("[x")("[x"), "not a valid pattern: only itself");
}

#[test]
fn loopback_listens_are_local_and_a_stream_server_without_preread_is_layer4() {
    let p = one(
        "http {\n server { listen 127.0.0.1:8080; listen [::1]:8081; listen localhost:8082; listen unix:/run/n.sock;\n\
                       \x20 listen 8083; listen 10.0.0.1:8084; location / { proxy_pass http://127.0.0.1:9000; } }\n}\n\
                     stream {\n server { listen 5432; proxy_pass db:5432; }\n\
                     \x20server { listen 6443; proxy_ssl on; proxy_pass k8s:6443; }\n}\n",
    );
    let got: Vec<(Option<u32>, bool, ListenerTls)> =
        p.listeners.iter().map(|l| (l.port, l.local_only, l.tls)).collect();
    assert_eq!(
        got,
        vec![
            (Some(8080), true, ListenerTls::Plaintext),
            (Some(8081), true, ListenerTls::Plaintext),
            (Some(8082), true, ListenerTls::Plaintext),
            (None, true, ListenerTls::Plaintext),
            (Some(8083), false, ListenerTls::Plaintext),
            (Some(8084), false, ListenerTls::Plaintext),
            // Bytes forwarded as they come; wrapped in nginx's own TLS: plaintext from clients.
            (Some(5432), false, ListenerTls::Layer4),
            (Some(6443), false, ListenerTls::Plaintext),
        ]
    );
}
