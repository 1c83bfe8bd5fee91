//! Identity headers: the request headers in which a proxy, or the authenticating front end before
//! it, tells a backend who the caller is. One list for every reader that has to recognise them
//! in a configuration it parses (nginx, HAProxy, Envoy), so that a header counts the same behind
//! each of them.
//!
//! What belongs here is an *assertion* a backend takes on trust: the subject of a client
//! certificate the proxy verified, the user an authenticating proxy logged in, the claims of a
//! token it checked. If a client can send such a header itself and the proxy lets it through,
//! the backend believes whatever the client wrote. What does not belong here:
//! - credentials the backend verifies itself: `Authorization`, `Proxy-Authorization`, `Cookie`,
//!   signed assertions such as `X-Goog-IAP-JWT-Assertion`. Passing the client's own credential
//!   on is how they are meant to work; a proxy that puts its own in their place substitutes its
//!   identity for the caller's, which the readers record separately (nginx's fixed
//!   `Authorization`);
//! - addresses and connection facts (`X-Forwarded-For`, `X-Real-IP`, `X-Client-IP`,
//!   `X-SSL-Cipher`): not an identity, and matching them would flag ordinary configurations;
//! - broad words on their own: `identity` or `principal` anywhere in a name would take in
//!   `X-Identity-Provider` or `X-Principal-Realm`. Names built on them are listed one by one
//!   (`X-Amzn-Oidc-Identity` through its prefix, `X-Ms-Client-Principal*`).
//!
//! Readers that write fixed, product-defined headers (ingress-nginx's `ssl-client-*`, an ALB's
//! `X-Amzn-Mtls-Clientcert*` and `x-amzn-oidc-*`, Envoy's JWT claim headers) record those
//! directly; every such name is also recognised here (see the tests).

/// Names (lower case, `-` for `_`) that are identity headers as a whole.
const NAMES: &[&str] = &[
    // Authenticating proxies and single sign-on front ends: the user they logged in.
    "remote-user",
    "x-remote-user",
    "x-remote-group",
    "x-remote-groups",
    "x-user",
    "x-username",
    "x-userid",
    "x-email",
    "x-current-user",
    "x-webauth-user",
    "x-vouch-user",
    "x-forwarded-user",
    "x-forwarded-email",
    "x-forwarded-groups",
    "x-forwarded-preferred-username",
    "cf-access-authenticated-user-email",
    // Generic assertions of a caller's identity.
    "x-identity",
    "x-principal",
    "x-spiffe-id",
    // Envoy's `forward_payload_header` is named by the configuration; this is a usual name.
    "jwt-payload",
];

/// Prefixes of identity headers: families of names written by one product or convention.
const PREFIXES: &[&str] = &[
    // `x-user-id`, `x-user-email`, `x-user-roles`… (not `x-user-agent`, see `NOT`).
    "x-user-",
    // oauth2-proxy's `X-Auth-Request-User`, `-Email`, `-Groups`, `-Preferred-Username`.
    "x-auth-request-",
    // Kong: `X-Authenticated-Userid`, `-Scope`, `-Groups`; `X-Consumer-Id`, `-Username`…
    "x-authenticated-",
    "x-consumer-",
    // Envoy and Istio JWT claim headers by convention (`x-jwt-sub`, `x-jwt-payload`).
    "x-jwt-",
    // AWS ALB: user authentication (`x-amzn-oidc-identity`, `-data`, `-accesstoken`) and mTLS.
    "x-amzn-oidc-",
    "x-amzn-mtls-",
    // Azure App Service authentication, Google IAP's unsigned headers.
    "x-ms-client-principal",
    "x-goog-authenticated-user-",
    // The nginx and HAProxy convention for client-certificate fields (`X-SSL-Client-DN`,
    // `X-SSL-Subject`, `X-SSL-Verify`…; connection facts excluded in `NOT`).
    "x-ssl-",
];

/// Parts that mark a client-certificate field wherever they occur (`X-Client-Cert`,
/// `ssl-client-subject-dn`, `x-forwarded-client-cert`, `X-Client-Verify`…).
const PARTS: &[&str] = &[
    "client-cert",
    "clientcert",
    "ssl-client",
    "client-dn",
    "client-s-dn",
    "client-i-dn",
    "client-subject",
    "client-issuer",
    "client-verify",
    "client-serial",
    "client-fingerprint",
    "spiffe",
];

/// Names that one of the prefixes above takes in but that carry no identity.
const NOT: &[&str] =
    &["x-user-agent", "x-ssl-cipher", "x-ssl-protocol", "x-ssl-session-id", "x-ssl-session-reused"];

/// Does a header name carry a caller's identity to the backend? Case and `_` for `-` do not
/// matter. A name given as a pattern (HAProxy's `del-header -m beg|sub`, shown as `X-SSL*` or
/// `*x-user*`) is judged by its literal part, which may also be one of the prefix families
/// without its last `-` (`X-SSL*` removes every `X-SSL-…` header).
pub(crate) fn identity_name(name: &str) -> bool {
    let pattern = name.ends_with('*');
    let n = name.trim_matches('*').to_ascii_lowercase().replace('_', "-");
    if n.is_empty() || NOT.contains(&n.as_str()) {
        return false;
    }
    NAMES.contains(&n.as_str())
        || PREFIXES.iter().any(|p| n.starts_with(p) || pattern && p.strip_suffix('-') == Some(n.as_str()))
        || PARTS.iter().any(|p| n.contains(p))
}

#[cfg(test)]
mod tests {
    use super::identity_name;

    #[test]
    fn client_certificate_fields_are_identity_headers() {
        for name in [
            "X-SSL-Client-DN",
            "X-SSL-Client-Verify",
            "X-SSL-Client-Cert",
            "X-SSL-Subject",
            "x-ssl-client-subject",
            "X-Client-Cert",
            "X-Client-DN",
            "X-Client-Verify",
            "ssl-client-subject-dn",
            "ssl-client-issuer-dn",
            "ssl-client-verify",
            "ssl-client-cert",
            "SSL_CLIENT_S_DN",
            "x-forwarded-client-cert",
            "X-Amzn-Mtls-Clientcert",
            "X-Amzn-Mtls-Clientcert-Subject",
            "x-spiffe-id",
        ] {
            assert!(identity_name(name), "{name}");
        }
    }

    #[test]
    fn authenticated_users_and_token_claims_are_identity_headers() {
        for name in [
            "X-User",
            "x-user",
            "X_USER",
            "X-User-Id",
            "X-User-Email",
            "X-Username",
            "Remote-User",
            "X-Remote-User",
            "X-Forwarded-User",
            "X-Forwarded-Email",
            "X-Forwarded-Groups",
            "X-Auth-Request-User",
            "X-Auth-Request-Email",
            "X-Authenticated-Userid",
            "X-Consumer-Username",
            "X-Current-User",
            "X-WEBAUTH-USER",
            "x-jwt-sub",
            "x-jwt-payload",
            "x-amzn-oidc-identity",
            "x-amzn-oidc-data",
            "X-MS-CLIENT-PRINCIPAL-NAME",
            "X-Goog-Authenticated-User-Email",
            "Cf-Access-Authenticated-User-Email",
        ] {
            assert!(identity_name(name), "{name}");
        }
    }

    #[test]
    fn credentials_addresses_and_broad_words_are_not() {
        for name in [
            // Credentials the backend verifies itself.
            "Authorization",
            "Proxy-Authorization",
            "Cookie",
            "X-Goog-IAP-JWT-Assertion",
            // Addresses and connection facts.
            "X-Forwarded-For",
            "X-Real-IP",
            "X-Client-IP",
            "X-Client-Port",
            "X-Forwarded-Proto",
            "X-Forwarded-Ssl",
            "X-SSL-Cipher",
            "X-SSL-Protocol",
            // Ordinary headers that share a word.
            "User-Agent",
            "X-User-Agent",
            "Host",
            "X-Request-Id",
            "X-Identity-Provider",
            "X-Principal-Realm",
            "Accept-Encoding",
            "",
            "*",
        ] {
            assert!(!identity_name(name), "{name}");
        }
    }

    #[test]
    fn patterns_are_judged_by_their_literal_part() {
        assert!(identity_name("X-SSL-*"));
        assert!(identity_name("X-SSL*"));
        assert!(identity_name("*x-user*"));
        assert!(identity_name("X-Auth-Request*"));
        assert!(!identity_name("X-SSL"), "a name, not a pattern");
        assert!(!identity_name("X-*"));
        assert!(!identity_name("*forwarded*"));
    }

    #[test]
    fn fixed_headers_written_by_readers_are_in_the_list() {
        // The names the ingress-nginx, ALB and Envoy readers write without consulting the list.
        for name in [
            "ssl-client-subject-dn",
            "ssl-client-issuer-dn",
            "ssl-client-verify",
            "ssl-client-cert",
            "X-Amzn-Mtls-Clientcert",
            "X-Amzn-Mtls-Clientcert-Serial-Number",
            "X-Amzn-Mtls-Clientcert-Issuer",
            "X-Amzn-Mtls-Clientcert-Subject",
            "X-Amzn-Mtls-Clientcert-Validity",
            "X-Amzn-Mtls-Clientcert-Leaf",
            "x-amzn-oidc-data",
            "x-amzn-oidc-identity",
            "x-amzn-oidc-accesstoken",
            "x-forwarded-client-cert",
        ] {
            assert!(identity_name(name), "{name}");
        }
    }

    /// The identity headers each proxy of an estate records, by name (lower case), anywhere.
    fn recorded(files: &[(&str, &str)]) -> Vec<Vec<(String, crate::inventory::HeaderAction)>> {
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            let inv = crate::read_paths(&[path]);
            assert!(inv.diagnostics.is_empty(), "{name}: {:?}", inv.diagnostics);
            assert_eq!(inv.proxies.len(), 1, "{name}");
            let mut headers: Vec<_> = inv.proxies[0]
                .listeners
                .iter()
                .flat_map(|l| {
                    l.identity_headers
                        .iter()
                        .chain(l.routes.iter().flat_map(|r| r.identity_headers.iter().flatten()))
                })
                .map(|h| (h.name.to_ascii_lowercase(), h.action.clone()))
                .collect();
            headers.sort_by(|a, b| a.0.cmp(&b.0));
            out.push(headers);
        }
        out
    }

    #[test]
    fn x_user_counts_alike_behind_nginx_haproxy_and_envoy() {
        use crate::inventory::HeaderAction::{PassThrough, Remove};
        // Each proxy copies the client's X-User and X-Client-IP on to one backend and strips
        // X-User towards another.
        let nginx = "http {\n server {\n  listen 80;\n\
                     \x20 location / {\n   proxy_set_header X-User $http_x_user;\n\
                     \x20  proxy_set_header X-Client-IP $http_x_client_ip;\n   proxy_pass http://app:8080;\n  }\n\
                     \x20 location /admin {\n   proxy_set_header X-User \"\";\n   proxy_pass http://admin:8080;\n  }\n\
                     \x20}\n}\n";
        let haproxy = "frontend fe\n  mode http\n  bind :80\n\
                       \x20 http-request set-header X-User %[req.hdr(x-user)]\n\
                       \x20 http-request set-header X-Client-IP %[req.hdr(x-client-ip)]\n\
                       \x20 default_backend app\nfrontend admin\n  mode http\n  bind :81\n\
                       \x20 http-request del-header X-User\n  default_backend admin\n\
                       backend app\n  server a app:8080\nbackend admin\n  server b admin:8080\n";
        let envoy = r#"static_resources:
  listeners:
  - name: edge
    address: {socket_address: {address: 0.0.0.0, port_value: 80}}
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
              - match: {prefix: "/admin"}
                route: {cluster: admin}
                request_headers_to_remove: [X-User]
              - match: {prefix: "/"}
                route: {cluster: app}
                request_headers_to_add:
                - header: {key: X-User, value: "%REQ(x-user)%"}
                - header: {key: X-Client-IP, value: "%REQ(x-client-ip)%"}
  clusters:
  - name: app
    load_assignment: {cluster_name: app, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: app, port_value: 8080}}}}]}]}
  - name: admin
    load_assignment: {cluster_name: admin, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: admin, port_value: 8080}}}}]}]}
"#;
        let got = recorded(&[("nginx.conf", nginx), ("haproxy.cfg", haproxy), ("envoy.yaml", envoy)]);
        for (proxy, headers) in ["nginx", "HAProxy", "Envoy"].iter().zip(&got) {
            // X-User is recorded, once passed on from the client and once removed; X-Client-IP,
            // an address, is not an identity header behind any of them.
            assert_eq!(headers.len(), 2, "{proxy}: {headers:?}");
            assert!(headers.iter().all(|(name, _)| name == "x-user"), "{proxy}: {headers:?}");
            assert!(headers.iter().any(|(_, a)| *a == Remove), "{proxy}: {headers:?}");
            // The client's own value is copied over: `$http_x_user`, `req.hdr(x-user)`,
            // `%REQ(x-user)%`.
            assert!(headers.iter().any(|(_, a)| *a == PassThrough), "{proxy}: {headers:?}");
        }
    }
}
