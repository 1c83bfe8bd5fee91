//! Which written values are credentials (issue 9, item 2): well-known defaults, short values and
//! passwords equal to their user name are leaked credentials (ZT005, high, said so in the message
//! but never quoted); only syntactic placeholders are not values; a literal equal to a Secret's
//! value is that credential; one value in several literal forms, URLs included, is reuse (ZT007);
//! a Secret mounted with `items:` shares only the keys listed.

mod common;

use std::sync::Once;

use common::{describe, findings_on, run};
use ztpath_reports::{Report, Severity};

/// The fingerprint the scans below print for `value` (they run with the tests' fixed key).
fn fp(value: &str) -> String {
    static KEY: Once = Once::new();
    KEY.call_once(|| ztpath_probes::set_fingerprint_key("ztpath-tests").expect("fingerprint key"));
    ztpath_probes::Fingerprint::of(value.as_bytes()).0
}

/// Scans `text` written to a temporary file; returns the report and the JSON and table outputs.
fn scan(text: &str) -> (Report, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.yaml");
    std::fs::write(&file, text).unwrap();
    let out = |format: &str| {
        let f = file.to_str().unwrap();
        let (code, stdout, stderr) =
            run(&["scan", f, "--format", format, "--fail-on", "never", "--now", common::NOW]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        stdout
    };
    let json = out("json");
    let table = out("table");
    (serde_json::from_str(&json).unwrap(), json, table)
}

/// The messages of `rule` on a subject, sorted.
fn messages(r: &Report, rule: &str, kind: &str, ns: &str, name: &str) -> Vec<String> {
    let mut m: Vec<String> = findings_on(r, rule, kind, ns, name).iter().map(|f| f.message.clone()).collect();
    m.sort();
    m
}

fn assert_absent(outputs: &[&str], values: &[&str]) {
    for out in outputs {
        for v in values {
            assert!(!out.contains(v), "the value {v:?} is printed");
        }
    }
}

const VALUES: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: vals}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: app
        image: example/app:1
        env:
        - {name: DB_USER, value: ordr}
        - {name: DB_PASSWORD, value: ordr}
        - {name: ADMIN_PASSWORD, value: admin}
        - {name: SMTP_PASS, value: CHANGE_ME}
        - {name: CACHE_PASSWORD, value: 'k9!'}
        - {name: REDIS_PASSWORD, value: '1234'}
        - {name: API_TOKEN, value: REPLACE_ME}
        - {name: SIGNING_SECRET, value: <set-me>}
        - {name: OAUTH_CLIENT_SECRET, value: '${OAUTH_CLIENT_SECRET}'}
        - {name: VAULT_TOKEN, value: $(VAULT_TOKEN)}
        - {name: WEBHOOK_SECRET, value: '{{ .Values.webhook }}'}
        - {name: LDAP_PASSWORD, value: xxxxxx}
        - {name: S3_SECRET_KEY, value: '****'}
        - {name: SESSION_SECRET, value: '[REDACTED]'}
        - {name: EMPTY_PASSWORD, value: ''}
        - {name: PASSWORD_MIN_LENGTH, value: '12'}
        - {name: TOKEN_TTL_SECONDS, value: '3600'}
        - {name: AUTH_STRATEGY, value: oidc}
        - {name: ROUTING_KEY, value: jobs}
";

#[test]
fn defaults_short_values_and_user_names_are_credentials_placeholders_are_not() {
    let (r, json, table) = scan(VALUES);
    let at = "vals/Deployment/app";
    let default = "it is a well-known default value, which anyone can guess without reading the manifest";
    let mut expected = vec![
        format!(
            "{at} (`ADMIN_PASSWORD`) holds a credential-named value in clear text (fingerprint {}); {default}.",
            fp("admin")
        ),
        format!(
            "{at} (`CACHE_PASSWORD`) holds a credential-named value in clear text (fingerprint {}).",
            fp("k9!")
        ),
        format!(
            "{at} (`DB_PASSWORD`) holds a credential-named value in clear text (fingerprint {}); it is equal to the user \
             name (`DB_USER`), which anyone can guess.",
            fp("ordr")
        ),
        format!(
            "{at} (`REDIS_PASSWORD`) holds a credential-named value in clear text (fingerprint {}); {default}.",
            fp("1234")
        ),
        format!(
            "{at} (`SMTP_PASS`) holds a credential-named value in clear text (fingerprint {}); {default}.",
            fp("CHANGE_ME")
        ),
    ];
    expected.sort();
    assert_eq!(
        messages(&r, "ZT005", "Deployment", "vals", "app"),
        expected,
        "{}",
        describe(&common::of_rule(&r, "ZT005"))
    );
    assert!(
        findings_on(&r, "ZT005", "Deployment", "vals", "app").iter().all(|f| f.severity == Severity::High)
    );
    // Each is a static credential the workload presents; placeholders and settings are not.
    let mut held: Vec<&str> = findings_on(&r, "ZT004", "Deployment", "vals", "app")
        .iter()
        .map(|f| f.message.split('`').nth(1).unwrap_or(""))
        .collect();
    held.sort_unstable();
    assert_eq!(held, ["ADMIN_PASSWORD", "CACHE_PASSWORD", "DB_PASSWORD", "REDIS_PASSWORD", "SMTP_PASS"]);
    assert_absent(&[&json, &table], &["ordr", "CHANGE_ME", "k9!"]);
}

const COPIES: &str = "apiVersion: v1
kind: Secret
metadata: {name: partner, namespace: copies}
stringData:
  api-token: tok-8841-demo-x
  username: svc-relay
---
apiVersion: v1
kind: ConfigMap
metadata: {name: relay-config, namespace: copies}
data:
  forwarded_header: tok-8841-demo-x
  account_label: svc-relay
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: relay, namespace: copies}
spec:
  selector: {matchLabels: {app: relay}}
  template:
    metadata: {labels: {app: relay}}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: relay
        image: example/relay:1
        env:
        - {name: UPSTREAM_HEADER_VALUE, value: tok-8841-demo-x}
        - {name: RELAY_ACCOUNT, value: svc-relay}
";

#[test]
fn a_literal_equal_to_a_secret_value_is_that_credential() {
    let (r, json, table) = scan(COPIES);
    let f = fp("tok-8841-demo-x");
    assert_eq!(
        messages(&r, "ZT005", "Deployment", "copies", "relay"),
        [format!(
            "copies/Deployment/relay (`UPSTREAM_HEADER_VALUE`) holds a copy of a Secret value in clear text (fingerprint {f})."
        )]
    );
    assert_eq!(
        messages(&r, "ZT005", "ConfigMap", "copies", "relay-config"),
        [format!(
            "ConfigMap copies/relay-config key `forwarded_header` holds a copy of a Secret value in clear text (fingerprint {f})."
        )]
    );
    // The user name kept beside it in the Secret is not a credential, nor are its copies.
    assert!(
        !json.contains("RELAY_ACCOUNT") && !json.contains("account_label"),
        "{}",
        describe(&r.findings.iter().collect::<Vec<_>>())
    );
    assert_eq!(
        messages(&r, "ZT007", "Secret", "copies", "partner"),
        [format!(
            "The same secret value ({f}) is stored in 3 places: ConfigMap copies/relay-config key `forwarded_header`; Secret \
             copies/partner key `api-token`; copies/Deployment/relay `UPSTREAM_HEADER_VALUE`."
        )]
    );
    assert_absent(&[&json, &table], &["tok-8841-demo-x", "svc-relay"]);
}

const URLS: &str = "apiVersion: v1
kind: Secret
metadata: {name: billing-db, namespace: urls}
stringData:
  password: pw-billing-demo-27
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broker, namespace: urls}
data:
  BROKER_URL: amqp://shop:pw-broker-demo-52@10.20.0.7:5672/
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing, namespace: urls}
spec:
  selector: {matchLabels: {app: billing}}
  template:
    metadata: {labels: {app: billing}}
    spec:
      serviceAccountName: billing
      automountServiceAccountToken: false
      containers:
      - name: billing
        image: example/billing:1
        envFrom: [{configMapRef: {name: broker}}]
        env:
        - {name: DATABASE_URL, value: 'postgres://billing:pw-billing-demo-27@billing-db.corp.example.com/billing'}
        - {name: LEGACY_DSN, value: 'mysql://billing:pw-billing-demo-27@10.20.0.9:3306/billing'}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shipping, namespace: urls}
spec:
  selector: {matchLabels: {app: shipping}}
  template:
    metadata: {labels: {app: shipping}}
    spec:
      serviceAccountName: shipping
      automountServiceAccountToken: false
      containers:
      - name: shipping
        image: example/shipping:1
        envFrom: [{configMapRef: {name: broker}}]
";

#[test]
fn passwords_in_urls_are_reuse_and_leaks_whatever_the_host() {
    let (r, json, table) = scan(URLS);
    let billing = fp("pw-billing-demo-27");
    let broker = fp("pw-broker-demo-52");
    // The Secret's value in two URLs of one workload: one more holder, named once per place.
    assert_eq!(
        messages(&r, "ZT007", "Secret", "urls", "billing-db"),
        [format!(
            "The same secret value ({billing}) is stored in 3 places: Secret urls/billing-db key `password`; \
             urls/Deployment/billing `DATABASE_URL` (in a URL); urls/Deployment/billing `LEGACY_DSN` (in a URL)."
        )]
    );
    // A URL whose host is an address, not a name the input resolves, still leaks its password.
    assert_eq!(
        messages(&r, "ZT005", "Deployment", "urls", "billing"),
        [
            format!(
                "urls/Deployment/billing (`DATABASE_URL`) holds a password in URL in clear text (fingerprint {billing})."
            ),
            format!(
                "urls/Deployment/billing (`LEGACY_DSN`) holds a password in URL in clear text (fingerprint {billing})."
            ),
        ]
    );
    // A ConfigMap's URL is the ConfigMap's leak, once, however many workloads load it; they both
    // hold it, but it is written in one place.
    assert_eq!(
        messages(&r, "ZT005", "ConfigMap", "urls", "broker"),
        [format!(
            "ConfigMap urls/broker key `BROKER_URL` holds a password in URL in clear text (fingerprint {broker})."
        )]
    );
    assert!(messages(&r, "ZT005", "Deployment", "urls", "shipping").is_empty());
    assert!(!r.findings.iter().any(|f| f.rule == "ZT007" && f.message.contains(&broker)));
    for w in ["billing", "shipping"] {
        let held = messages(&r, "ZT004", "Deployment", "urls", w);
        assert!(held.iter().any(|m| m.contains("`BROKER_URL`")), "{w}: {held:?}");
    }
    assert_absent(&[&json, &table], &["pw-billing-demo-27", "pw-broker-demo-52"]);
}

const TLS: &str = "apiVersion: v1
kind: Secret
metadata: {name: gateway-tls, namespace: tls}
type: kubernetes.io/tls
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gateway, namespace: tls}
spec:
  selector: {matchLabels: {app: gateway}}
  template:
    metadata: {labels: {app: gateway}}
    spec:
      serviceAccountName: gateway
      containers: [{name: gw, image: example/gw:1}]
      volumes: [{name: tls, secret: {secretName: gateway-tls}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: prober, namespace: tls}
spec:
  selector: {matchLabels: {app: prober}}
  template:
    metadata: {labels: {app: prober}}
    spec:
      serviceAccountName: prober
      containers: [{name: prober, image: example/prober:1}]
      volumes:
      - name: trust
        secret:
          secretName: gateway-tls
          items: [{key: ca.crt, path: ca.crt}, {key: tls.crt, path: gw.crt}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: canary, namespace: tls}
spec:
  selector: {matchLabels: {app: canary}}
  template:
    metadata: {labels: {app: canary}}
    spec:
      serviceAccountName: canary
      containers: [{name: gw, image: example/gw:2}]
      volumes:
      - name: tls
        projected: {sources: [{secret: {name: gateway-tls, items: [{key: tls.key, path: tls.key}]}}]}
";

#[test]
fn a_secret_mounted_with_items_shares_only_the_listed_keys() {
    let (r, ..) = scan(TLS);
    assert_eq!(
        messages(&r, "ZT007", "Secret", "tls", "gateway-tls"),
        ["Secret tls/gateway-tls is loaded by 2 workloads: tls/Deployment/gateway, tls/Deployment/canary."]
    );
    // The prober holds nothing of it: no edge from it to the Secret, nothing of it in its reach.
    let uses = |w: &str| {
        r.edges
            .iter()
            .any(|e| e.from == format!("workload:tls/Deployment/{w}") && e.to == "secret:tls/gateway-tls")
    };
    assert!(uses("gateway") && uses("canary"));
    assert!(
        !uses("prober"),
        "{:#?}",
        r.edges.iter().filter(|e| e.from.contains("prober")).collect::<Vec<_>>()
    );
}
