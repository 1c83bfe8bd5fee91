/// Reads files with a scope whose roots are the files themselves (their directories).
fn read_all(paths: &[std::path::PathBuf]) -> crate::inventory::Inventory {
    let scope = crate::confine::ReadScope::new(paths, crate::confine::ReadOptions::default());
    super::read_files(&scope, paths)
}
use super::*;

fn read(text: &str) -> (Proxy, Vec<Diagnostic>) {
    read_text(&Arc::from("haproxy.cfg"), Path::new("haproxy.cfg"), text)
}

fn ok(text: &str) -> Proxy {
    let (p, d) = read(text);
    assert!(d.is_empty(), "{d:?}");
    p
}

#[test]
fn words_quotes_comments_and_escapes() {
    assert_eq!(
        tokenize("  bind :443 ssl crt /a.pem # tls").unwrap(),
        vec!["bind", ":443", "ssl", "crt", "/a.pem"]
    );
    assert_eq!(
        tokenize(r#"log-format '%{+Q}o %t' "a\"b" c\ d e\#f ''"#).unwrap(),
        vec!["log-format", "%{+Q}o %t", "a\"b", "c d", "e#f", ""]
    );
    assert_eq!(tokenize(r"acl x path_reg ^/a\.b").unwrap()[3], r"^/a\.b");
    assert!(tokenize("http-request set-header X \"unterminated").is_err());
}

#[test]
fn verify_optional_and_required() {
    let p = ok("frontend fe\n  mode http\n  bind :443 ssl crt /c.pem verify optional ca-file /ca.pem\n\
                    \x20 bind :8443 ssl crt /c.pem verify required ca-file /ca.pem\n\
                    \x20 bind :9443 ssl crt /c.pem verify required\n  bind :10443 ssl crt /c.pem\n  bind *:80\n");
    let modes: Vec<(Option<u32>, ListenerTls, ClientCertMode, u32)> =
        p.listeners.iter().map(|l| (l.port, l.tls, l.client_cert, l.line)).collect();
    assert_eq!(
        modes,
        vec![
            (Some(443), ListenerTls::Terminate, ClientCertMode::Optional, 3),
            (Some(8443), ListenerTls::Terminate, ClientCertMode::Required, 4),
            (Some(9443), ListenerTls::Terminate, ClientCertMode::Unverified, 5),
            (Some(10443), ListenerTls::Terminate, ClientCertMode::None, 6),
            (Some(80), ListenerTls::Plaintext, ClientCertMode::None, 7),
        ]
    );
}

#[test]
fn set_header_replaces_add_header_appends() {
    let p = ok(
        "defaults\n  mode http\nfrontend fe\n  bind :443 ssl crt /c.pem verify required ca-file /ca.pem\n\
                    \x20 http-request del-header X-SSL-Client-Verify\n\
                    \x20 http-request set-header X-SSL-Client-DN %{+Q}[ssl_c_s_dn]\n\
                    \x20 http-request add-header X-Client-CN %[ssl_c_s_dn(cn)]\n\
                    \x20 http-request set-header X-Forwarded-Proto https\n\
                    \x20 http-request set-header X-SSL-Client-Cert %[ssl_c_der,base64] if { ssl_c_used }\n\
                    \x20 default_backend app\nbackend app\n  server a 10.0.0.1:8080\n",
    );
    let l = &p.listeners[0];
    assert_eq!(
        l.identity_headers,
        vec![
            IdentityHeader { name: "X-SSL-Client-Verify".into(), action: HeaderAction::Remove, line: 5 },
            IdentityHeader {
                name: "X-SSL-Client-DN".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 6
            },
            IdentityHeader { name: "X-Client-CN".into(), action: HeaderAction::Append, line: 7 },
            IdentityHeader {
                name: "X-SSL-Client-Cert".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 9
            },
        ]
    );
    assert!(
        p.attrs.get("note haproxy.cfg:9").is_some_and(|n| n.contains("if { ssl_c_used }")),
        "{:?}",
        p.attrs
    );
    assert_eq!(l.routes.len(), 1);
    assert_eq!(l.routes[0].matches, "default");
    assert_eq!(
        l.routes[0].backend.target,
        BackendTarget::Address { host: "10.0.0.1".into(), port: Some(8080) }
    );
}

#[test]
fn tcp_mode_without_ssl_is_passthrough() {
    let p = ok(
        "frontend sni\n  bind :443\n  tcp-request inspect-delay 5s\n  acl a req.ssl_sni -i a.example.com\n\
                    \x20 use_backend be_a if a\n  default_backend be_b\n\
                    backend be_a\n  server a1 10.0.0.1:443 check\n  server a2 10.0.0.2:443 disabled\n\
                    backend be_b\n  server b1 [fd00::1]:8443\n",
    );
    let l = &p.listeners[0];
    assert_eq!((l.tls, l.client_cert, l.port), (ListenerTls::Passthrough, ClientCertMode::None, Some(443)));
    assert_eq!(l.hosts, vec!["a.example.com"]);
    let routes: Vec<(&str, &BackendTarget, u32)> =
        l.routes.iter().map(|r| (r.matches.as_str(), &r.backend.target, r.line)).collect();
    assert_eq!(
        routes,
        vec![
            ("a", &BackendTarget::Address { host: "10.0.0.1".into(), port: Some(443) }, 5),
            ("default", &BackendTarget::Address { host: "[fd00::1]".into(), port: Some(8443) }, 6),
        ]
    );
    assert!(l.routes.iter().all(|r| !r.backend.tls && r.backend.verify_server.is_none()));
}

#[test]
fn server_verification() {
    let p = ok("defaults\n  mode http\n  default-server ssl\nlisten api\n  bind :8443 ssl crt /c.pem\n\
                    \x20 server s1 10.0.0.1:443 verify none\n  server s2 10.0.0.2:443 ca-file /ca.pem\n\
                    \x20 server s3 10.0.0.3:443 crt /client.pem verify required ca-file /ca.pem send-proxy-v2-ssl-cn\n\
                    \x20 server s4 10.0.0.4:80 no-ssl\n");
    let b: Vec<(bool, Option<bool>, bool)> = p.listeners[0]
        .routes
        .iter()
        .map(|r| (r.backend.tls, r.backend.verify_server, r.backend.client_cert))
        .collect();
    assert_eq!(
        b,
        vec![
            (true, Some(false), false),
            (true, Some(true), false),
            (true, Some(true), true),
            (false, None, false)
        ]
    );
    assert!(
        p.listeners[0].routes[2].backend.substitutes_identity.as_deref().unwrap().contains("/client.pem")
    );
    assert!(p.attrs["send-proxy-v2-ssl-cn"].starts_with("api/s3 (line 8)"));
    // `ssl-server-verify none` in global turns the default off.
    let p = ok(
        "global\n  ssl-server-verify none\nbackend b\n  server s 10.0.0.1:443 ssl\nfrontend f\n  bind :80\n  default_backend b\n",
    );
    assert_eq!(p.listeners[0].routes[0].backend.verify_server, Some(false));
    // A TCP frontend that wraps what it forwards in its own TLS takes plaintext.
    assert_eq!(p.listeners[0].tls, ListenerTls::Plaintext);
}

#[test]
fn errors_have_lines_and_the_rest_is_read() {
    let (p, d) = read(
        "bind :80\nfrontend fe\n  mode http\n  bind :80\n  http-request set-header X-SSL-Client \"x\n  use_backend nowhere\n",
    );
    let lines: Vec<(u32, &str)> = d.iter().map(|d| (d.source.line, d.reason.as_str())).collect();
    assert_eq!(
        lines,
        vec![
            (1, "column 1: keyword \"bind\" is outside of any section, expecting a section first"),
            (5, "column 40: unmatched \" quote, expecting a closing \""),
            (6, "backend \"nowhere\" is not defined"),
        ]
    );
    assert_eq!(p.listeners.len(), 1);
    assert_eq!(p.listeners[0].routes[0].backend.target, BackendTarget::Named("nowhere".into()));
}

/// A line holding a secret gives a diagnostic with its line and column, not its text.
#[test]
fn diagnostics_never_quote_the_input() {
    let (_, d) = read(
        "API_KEY=canary123secret\nfrontend fe\n  bind :80\n  API_KEY=\"canary123secret\n  'canary123secret\n",
    );
    let lines: Vec<(u32, &str)> = d.iter().map(|d| (d.source.line, d.reason.as_str())).collect();
    assert_eq!(
        lines,
        vec![
            (1, "column 1: an unknown keyword is outside of any section, expecting a section first"),
            (4, "column 11: unmatched \" quote, expecting a closing \""),
            (5, "column 3: unmatched ' quote, expecting a closing '"),
        ]
    );
}

#[test]
fn broken_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("a.cfg");
    let good = dir.path().join("b.cfg");
    std::fs::write(&bad, "frontend fe\n  bind :80\n  acl x hdr(host) -i \"oops\n").unwrap();
    std::fs::write(&good, "listen l\n  bind :5432\n  server db 10.0.0.9:5432\n").unwrap();
    let inv = read_all(&[bad.clone(), good]);
    assert_eq!(inv.diagnostics.len(), 1);
    assert_eq!(&*inv.diagnostics[0].source.file, bad.display().to_string());
    assert_eq!(inv.diagnostics[0].source.line, 3);
    assert_eq!(inv.proxies.len(), 2);
    assert_eq!(inv.proxies[1].name, "b");
    assert_eq!(inv.proxies[1].listeners[0].routes.len(), 1);
}

#[test]
fn every_truncation_reads_without_panic() {
    let text = "global\n  ssl-server-verify none\ndefaults d\n  mode http\n  default-server ssl verify\n\
                    frontend f from d\n  bind quic4@:443,:444 ssl crt-list /l verify\n  http-request del-header X-SSL -m beg\n\
                    \x20 http-request set-header X-Client-DN '%[ssl_c_s_dn]' unless { ssl_c_verify 0 }\n\
                    \x20 use_backend %[req.hdr(host)]\n  use_backend b\n  default_backend\n\
                    backend b\n  server-template s 3 svc:8443 crt\n  server x\nlisten l :9000\n  server y unix@/s\n";
    for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
        let _ = read(&text[..end]);
    }
    let (p, _) = read(text);
    assert_eq!(p.listeners.len(), 2);
    let _ = looks_like_haproxy("\\");
}

#[test]
fn candidates_are_sniffed() {
    assert!(looks_like_haproxy("# comment\n\nglobal\n  daemon\n"));
    assert!(looks_like_haproxy("frontend fe\n  bind :80\n"));
    assert!(!looks_like_haproxy("[metadata]\nname = x\n"));
    assert!(!looks_like_haproxy("listen 80;\n"));
    assert!(!looks_like_haproxy("server {\n listen 80;\n}\n"));
    assert_eq!(split_address("ipv4@127.0.0.1:8443"), ("127.0.0.1".into(), Some(8443)));
    assert_eq!(split_address(":8000-8010"), ("".into(), Some(8000)));
    assert_eq!(split_address("unix@/run/h.sock"), ("unix@/run/h.sock".into(), None));
    assert_eq!(split_address("backend.svc"), ("backend.svc".into(), None));
}

#[test]
fn loopback_binds_are_local_and_tcp_without_sni_routing_is_layer4() {
    let p = ok("frontend local\n  bind 127.0.0.1:9000\n  bind ipv6@::1:9001\n  default_backend app\n\
                    frontend both\n  bind 127.0.0.1:9100,10.0.0.1:9100\n  default_backend app\n\
                    frontend sock\n  bind unix@/run/haproxy.sock\n  default_backend app\n\
                    frontend open\n  bind :9200\n  default_backend app\n\
                    backend app\n  server a 127.0.0.1:8080\n");
    let got: Vec<(&str, Option<u32>, bool, ListenerTls)> =
        p.listeners.iter().map(|l| (l.name.as_str(), l.port, l.local_only, l.tls)).collect();
    assert_eq!(
        got,
        vec![
            ("local", Some(9000), true, ListenerTls::Layer4),
            ("local", Some(9001), true, ListenerTls::Layer4),
            ("both", Some(9100), false, ListenerTls::Layer4),
            ("sock", None, true, ListenerTls::Layer4),
            ("open", Some(9200), false, ListenerTls::Layer4),
        ]
    );
    assert_eq!(
        p.listeners[0].routes[0].backend.target,
        BackendTarget::Address { host: "127.0.0.1".into(), port: Some(8080) }
    );
}
