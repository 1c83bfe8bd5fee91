use super::*;
use crate::files::read_text;

fn only_proxy(text: &str) -> Proxy {
    let inv = read_text("envoy.yaml", text);
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.proxies.len(), 1, "{:?}", inv.skipped_kinds);
    inv.proxies.into_iter().next().unwrap()
}

/// A TLS-terminating listener whose `DownstreamTlsContext` has `require` and `validation`
/// (lines of the validation context, indented to sit under `common_tls_context`).
fn downstream(require: &str, validation: &str) -> String {
    format!(
        r#"static_resources:
  listeners:
  - name: edge
    address: {{socket_address: {{address: 0.0.0.0, port_value: 8443}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: edge
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {{prefix: "/"}}
                route: {{cluster: app}}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          {require}
          common_tls_context:
            tls_certificates:
            - certificate_chain: {{filename: server.pem}}
              private_key: {{filename: server.key}}
{validation}
"#
    )
}

#[test]
fn require_client_certificate_needs_a_trusted_ca_to_verify() {
    const REQUIRE: &str = "require_client_certificate: true";
    const CA: &str = "            validation_context:\n              trusted_ca: {filename: ca.pem}";
    let mode = |require: &str, validation: &str| {
        let p = only_proxy(&downstream(require, validation));
        let l = &p.listeners[0];
        assert_eq!(l.tls, ListenerTls::Terminate);
        assert_eq!(l.port, Some(8443));
        assert_eq!(l.xfcc, Some(XfccMode::Sanitize), "absent forward_client_cert_details is SANITIZE");
        l.client_cert
    };
    assert_eq!(mode(REQUIRE, CA), ClientCertMode::Required);
    assert_eq!(mode(REQUIRE, ""), ClientCertMode::Unverified, "no trusted_ca: nothing verified");
    assert_eq!(mode("", CA), ClientCertMode::Optional, "not required without require_client_certificate");
    assert_eq!(mode("", ""), ClientCertMode::None);
    let san = format!(
        "{CA}\n              match_typed_subject_alt_names: [{{san_type: URI, matcher: {{exact: spiffe://x/y}}}}]"
    );
    assert_eq!(mode("", &san), ClientCertMode::Required, "a SAN match makes the certificate mandatory");
    let san_only = "            validation_context:\n              match_subject_alt_names: [{exact: a}]";
    assert_eq!(mode("", san_only), ClientCertMode::Unverified, "SAN match without a CA is spoofable");
    let untrusted = format!("{CA}\n              trust_chain_verification: ACCEPT_UNTRUSTED");
    assert_eq!(mode(REQUIRE, &untrusted), ClientCertMode::Unverified);
    let sds = "            validation_context_sds_secret_config: {name: ROOTCA}";
    assert_eq!(mode(REQUIRE, sds), ClientCertMode::Required);
}

#[test]
fn xfcc_always_forward_only_and_identity_headers() {
    let text = r#"
static_resources:
  listeners:
  - name: plain
    address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          forward_client_cert_details: ALWAYS_FORWARD_ONLY
          route_config:
            request_headers_to_remove: ["x-remote-user"]
            virtual_hosts:
            - name: all
              domains: ["api.example.com"]
              routes:
              - match: {prefix: "/admin"}
                request_headers_to_add:
                - header: {key: x-client-cert-uri, value: "%DOWNSTREAM_PEER_URI_SAN%"}
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD
                route: {cluster: app}
              - match: {prefix: "/"}
                route: {cluster: missing}
  clusters:
  - name: app
    load_assignment:
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: app.internal, port_value: 9000}}}
"#;
    let p = only_proxy(text);
    let l = &p.listeners[0];
    assert_eq!(l.tls, ListenerTls::Plaintext);
    assert_eq!(l.xfcc, Some(XfccMode::AlwaysForwardOnly));
    assert_eq!(l.hosts, vec!["api.example.com".to_owned()]);
    assert_eq!(l.identity_headers.len(), 1);
    assert_eq!(l.identity_headers[0].action, HeaderAction::Remove);
    assert_eq!(l.routes.len(), 2);
    let admin = &l.routes[0];
    assert_eq!(admin.matches, "api.example.com/admin");
    assert_eq!(
        admin.backend.target,
        BackendTarget::Address { host: "app.internal".into(), port: Some(9000) }
    );
    let route_headers = admin.identity_headers.as_ref().unwrap();
    assert_eq!(route_headers.len(), 2);
    assert_eq!(route_headers[1].action, HeaderAction::Set { from_client_cert: true });
    assert_eq!(l.routes[1].backend.target, BackendTarget::Named("missing".into()));
    assert_eq!(l.routes[1].identity_headers, None);
}

#[test]
fn upstream_tls_without_validation_does_not_verify_the_server() {
    let text = r#"
listeners:
- name: out
  address: {socket_address: {address: 127.0.0.1, port_value: 15001}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        cluster: db
clusters:
- name: db
  connect_timeout: 1s
  load_assignment:
    endpoints:
    - lb_endpoints:
      - endpoint: {address: {socket_address: {address: db.internal, port_value: 5432}}}
  transport_socket:
    name: envoy.transport_sockets.tls
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
      sni: db.internal
      common_tls_context:
        tls_certificate_sds_secret_configs: [{name: default}]
"#;
    let p = only_proxy(text);
    let l = &p.listeners[0];
    assert_eq!(l.xfcc, None, "not HTTP");
    assert_eq!(l.tls, ListenerTls::Plaintext, "Envoy originates TLS: the client side is plaintext");
    let b = &l.routes[0].backend;
    assert!(b.tls);
    assert_eq!(b.verify_server, Some(false));
    assert!(b.client_cert);
    assert_eq!(b.substitutes_identity.as_deref(), Some("the proxy's own certificate"));
}

#[test]
fn jwt_allow_missing_or_failed_is_not_enforced() {
    let text = r#"
static_resources:
  listeners:
  - address: {socket_address: {address: 0.0.0.0, port_value: 80}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          http_filters:
          - name: envoy.filters.http.jwt_authn
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
              providers:
                strict:
                  issuer: https://issuer.example
                  audiences: [api]
                lenient:
                  issuer: https://other.example
                  claim_to_headers:
                  - {claim_name: sub, header_name: x-jwt-sub}
              rules:
              - match: {prefix: /api}
                requires: {provider_name: strict}
              - match: {prefix: /public}
                requires:
                  requires_any:
                    requirements:
                    - provider_name: lenient
                    - allow_missing_or_failed: {}
          - name: envoy.filters.http.rbac
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC
              rules: {action: ALLOW, policies: {admins: {}}}
          - name: envoy.filters.http.router
          route_config:
            virtual_hosts:
            - {name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: app}}]}
"#;
    let p = only_proxy(text);
    assert_eq!(p.name, "envoy");
    let l = &p.listeners[0];
    assert_eq!(l.name, "0.0.0.0:80");
    assert_eq!(l.jwt.len(), 2);
    assert_eq!(l.jwt[0].issuer.as_deref(), Some("https://issuer.example"));
    assert_eq!(l.jwt[0].audiences, vec!["api".to_owned()]);
    assert!(l.jwt[0].enforced && l.jwt[0].verified);
    assert!(!l.jwt[1].enforced, "allow_missing_or_failed never rejects");
    assert!(l.jwt[1].verified);
    assert_eq!(l.identity_headers[0].name, "x-jwt-sub");
    assert_eq!(l.authz, vec!["envoy.filters.http.rbac: ALLOW policies [admins]".to_owned()]);
}

#[test]
fn extract_only_is_neither_verified_nor_enforced() {
    let text = r#"{"listeners": [{"name": "l", "filterChains": [{"filters": [{
  "name": "envoy.filters.network.http_connection_manager",
  "typedConfig": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    "forwardClientCertDetails": "SANITIZE_SET",
    "httpFilters": [{"name": "envoy.filters.http.jwt_authn", "typedConfig": {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
      "providers": {"p": {"issuer": "i"}},
      "rules": [{"match": {"prefix": "/"}, "requires": {"extractOnlyWithoutValidation": {}}}]}}]}}]}]}]}"#;
    let p = only_proxy(text);
    let l = &p.listeners[0];
    assert_eq!(l.xfcc, Some(XfccMode::SanitizeSet));
    assert_eq!(l.jwt.len(), 1);
    assert!(!l.jwt[0].verified && !l.jwt[0].enforced);
}

#[test]
fn sni_passthrough_and_other_documents() {
    let text = r#"
static_resources:
  listeners:
  - name: sni
    address: {socket_address: {address: 0.0.0.0, port_value: 443}}
    listener_filters:
    - name: envoy.filters.listener.tls_inspector
    filter_chains:
    - filter_chain_match: {server_names: [db.example.com]}
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          cluster: db
"#;
    let p = only_proxy(text);
    let l = &p.listeners[0];
    assert_eq!(l.tls, ListenerTls::Passthrough);
    assert_eq!(l.hosts, vec!["db.example.com".to_owned()]);
    assert_eq!(l.routes[0].matches, "db.example.com");

    for other in [
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
        "listeners: [a, b]\nclusters: {x: 1}\n",
        "format_version: '1.2'\nresource_changes: []\n",
    ] {
        let inv = read_text("other.json", other);
        assert!(inv.proxies.is_empty() && inv.diagnostics.is_empty(), "{other}");
        assert_eq!(inv.skipped_kinds.get("(no kind)"), Some(&1));
    }
}

#[test]
fn unknown_xfcc_value_is_a_diagnostic() {
    let text = "listeners:\n- name: l\n  filter_chains:\n  - filters:\n    - name: envoy.filters.network.http_connection_manager\n      typed_config:\n        forward_client_cert_details: SOMETIMES\n";
    let inv = read_text("e.yaml", text);
    assert_eq!(inv.proxies.len(), 1);
    assert_eq!(inv.proxies[0].listeners[0].xfcc, None);
    assert_eq!(inv.diagnostics.len(), 1);
    assert_eq!(inv.diagnostics[0].source.line, 7);
    assert_eq!(
        inv.diagnostics[0].reason,
        "unknown forward_client_cert_details value, expecting SANITIZE, FORWARD_ONLY, \
             APPEND_FORWARD, SANITIZE_SET, ALWAYS_FORWARD_ONLY or 0 to 4"
    );
    // A secret in its place is not printed back.
    let inv = read_text("e.yaml", &text.replace("SOMETIMES", "\"API_KEY=canary123secret\""));
    assert_eq!(inv.diagnostics.len(), 1);
    assert_eq!(inv.diagnostics[0].source.line, 7);
    assert!(!inv.diagnostics[0].reason.contains("canary123secret"), "{}", inv.diagnostics[0]);
}

#[test]
fn listeners_on_loopback_or_a_pipe_are_local_and_a_bare_tcp_proxy_is_layer4() {
    let listener = |address: &str, extra: &str| {
        format!(
            "static_resources:\n  listeners:\n  - name: l\n    address: {address}\n{extra}    filter_chains:\n    - filters:\n      - name: envoy.filters.network.tcp_proxy\n        typed_config: {{cluster: db}}\n"
        )
    };
    let local = |address: &str, extra: &str| {
        let p = only_proxy(&listener(address, extra));
        let l = &p.listeners[0];
        assert_eq!(l.tls, ListenerTls::Layer4, "a tcp_proxy matching nothing forwards bytes as they come");
        l.local_only
    };
    assert!(local("{socket_address: {address: 127.0.0.1, port_value: 15001}}", ""));
    assert!(local("{socket_address: {address: '::1', port_value: 15001}}", ""));
    assert!(local("{pipe: {path: /run/envoy.sock}}", ""));
    assert!(!local("{socket_address: {address: 0.0.0.0, port_value: 15001}}", ""));
    // Any non-loopback additional address opens it to the network.
    let more = "    additional_addresses:\n    - address: {socket_address: {address: 10.0.0.5, port_value: 15001}}\n";
    assert!(!local("{socket_address: {address: 127.0.0.1, port_value: 15001}}", more));
}
