//! The direction of a static secret (issue 9, item 3): a server given the secret its callers must
//! present (`MYSQL_ROOT_PASSWORD`, `--requirepass`, its own admin password) accepts it; it does
//! not authenticate to an unnamed peer. The callers holding the same secret (same Secret key, same
//! value, or a credential for the server's Service) get a static-secret hop into the server, and
//! the server's ZT004 finding names them.

mod common;

use std::sync::Once;

use common::{describe, findings_on, run};
use ztpath_reports::{AuthMethod, IdentityState, Report};

fn fp(value: &str) -> String {
    static KEY: Once = Once::new();
    KEY.call_once(|| ztpath_probes::set_fingerprint_key("ztpath-tests").expect("fingerprint key"));
    ztpath_probes::Fingerprint::of(value.as_bytes()).0
}

fn scan(text: &str) -> (Report, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("estate.yaml");
    std::fs::write(&file, text).unwrap();
    let (code, stdout, stderr) = run(&[
        "scan",
        file.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
        "--now",
        common::NOW,
    ]);
    assert_eq!(code, 0, "{stderr}");
    (serde_json::from_str(&stdout).unwrap(), stdout)
}

fn messages(r: &Report, rule: &str, kind: &str, ns: &str, name: &str) -> Vec<String> {
    let mut m: Vec<String> = findings_on(r, rule, kind, ns, name).iter().map(|f| f.message.clone()).collect();
    m.sort();
    m
}

const MYSQL: &str = "apiVersion: v1
kind: Secret
metadata: {name: mysql, namespace: shop}
stringData:
  root-password: Zq8-demo-root-pass
---
apiVersion: v1
kind: Secret
metadata: {name: orders-db, namespace: shop}
stringData:
  password: Zq8-demo-root-pass
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mysql, namespace: shop}
spec:
  selector: {matchLabels: {app: mysql}}
  template:
    metadata: {labels: {app: mysql}}
    spec:
      serviceAccountName: mysql
      automountServiceAccountToken: false
      containers:
      - name: mysql
        image: docker.io/library/mysql:8.0
        ports: [{containerPort: 3306}]
        env:
        - name: MYSQL_ROOT_PASSWORD
          valueFrom: {secretKeyRef: {name: mysql, key: root-password}}
---
apiVersion: v1
kind: Service
metadata: {name: mysql, namespace: shop}
spec:
  selector: {app: mysql}
  ports: [{port: 3306}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: catalogue, namespace: shop}
spec:
  selector: {matchLabels: {app: catalogue}}
  template:
    metadata: {labels: {app: catalogue}}
    spec:
      serviceAccountName: catalogue
      automountServiceAccountToken: false
      containers:
      - name: app
        image: example/catalogue:1
        env:
        - name: DATABASE_PASSWORD
          valueFrom: {secretKeyRef: {name: mysql, key: root-password}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      serviceAccountName: orders
      automountServiceAccountToken: false
      containers:
      - name: app
        image: example/orders:1
        env:
        - name: ORDERS_DB_PASSWORD
          valueFrom: {secretKeyRef: {name: orders-db, key: password}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reports, namespace: shop}
spec:
  selector: {matchLabels: {app: reports}}
  template:
    metadata: {labels: {app: reports}}
    spec:
      serviceAccountName: reports
      automountServiceAccountToken: false
      containers:
      - name: app
        image: example/reports:1
        env:
        - {name: REPORTS_DSN, value: 'mysql://reports:Rp-demo-pass-33@mysql.shop:3306/reports'}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: shop}
spec:
  schedule: '0 3 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          serviceAccountName: backup
          automountServiceAccountToken: false
          containers:
          - name: dump
            image: mysql:8.0
            env:
            - {name: MYSQL_HOST, value: mysql}
            - name: MYSQL_ROOT_PASSWORD
              valueFrom: {secretKeyRef: {name: mysql, key: root-password}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: audit, namespace: shop}
spec:
  template:
    spec:
      serviceAccountName: audit
      automountServiceAccountToken: false
      containers: [{name: audit, image: example/audit:1}]
      volumes:
      - name: creds
        secret: {secretName: mysql, items: [{key: root-password, path: pw}]}
";

#[test]
fn a_database_accepts_its_root_password_and_names_who_holds_it() {
    let (r, json) = scan(MYSQL);
    assert_eq!(
        messages(&r, "ZT004", "StatefulSet", "shop", "mysql"),
        ["shop/StatefulSet/mysql accepts a static secret from whoever holds it: the MySQL root password \
          `MYSQL_ROOT_PASSWORD`, from key `root-password` of Secret shop/mysql. It is held by shop/CronJob/backup \
          (`MYSQL_ROOT_PASSWORD`, the same Secret key), shop/Deployment/catalogue (`DATABASE_PASSWORD`, the same \
          Secret key), shop/Deployment/orders (`ORDERS_DB_PASSWORD`, the same value), shop/Deployment/reports \
          (`REPORTS_DSN`, a static credential for its Service), shop/Job/audit (`volume creds`, the same Secret key)."]
    );
    // Each holder presents it to the server's Service (the backup job because MYSQL_HOST names it).
    let presents = |kind: &str, name: &str, var: &str, origin: &str| {
        assert_eq!(
            messages(&r, "ZT004", kind, "shop", name),
            [format!(
                "shop/{kind}/{name} authenticates to service shop/mysql with the static credential `{var}` from {origin}."
            )]
        );
    };
    presents("Deployment", "catalogue", "DATABASE_PASSWORD", "key `root-password` of Secret shop/mysql");
    presents("Deployment", "orders", "ORDERS_DB_PASSWORD", "key `password` of Secret shop/orders-db");
    presents(
        "Deployment",
        "reports",
        "REPORTS_DSN",
        &format!("a password embedded in a URL ({})", fp("Rp-demo-pass-33")),
    );
    presents("CronJob", "backup", "MYSQL_ROOT_PASSWORD", "key `root-password` of Secret shop/mysql");
    presents("Job", "audit", "volume creds", "key `root-password` of Secret shop/mysql");
    assert!(!json.contains("does not name"), "{}", describe(&common::of_rule(&r, "ZT004")));
    // A static-secret hop caller → server for each holder, and the server's finding is on it.
    let server = findings_on(&r, "ZT004", "StatefulSet", "shop", "mysql")[0];
    for caller in
        ["CronJob/backup", "Deployment/catalogue", "Deployment/orders", "Deployment/reports", "Job/audit"]
    {
        let id = format!("path:workload:shop/{caller}->workload:shop/StatefulSet/mysql");
        let p = r.paths.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no {id}"));
        assert_eq!((p.auth, p.identity), (Some(AuthMethod::StaticSecret), Some(IdentityState::Lost)), "{id}");
        assert_eq!(p.hops.len(), 1, "{id}");
        assert!(p.findings.contains(&server.id), "{id} lacks the server's finding");
        assert!(server.paths.iter().any(|p| *p == id), "the server's finding lacks {id}");
    }
    // On the graph, the server's Secret unlocks the server itself.
    assert!(
        r.edges.iter().any(|e| e.kind == "unlocks"
            && e.from == "secret:shop/mysql"
            && e.to == "workload:shop/StatefulSet/mysql"),
        "{:#?}",
        r.edges.iter().filter(|e| e.kind == "unlocks").collect::<Vec<_>>()
    );
}

const REDIS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, namespace: cache}
spec:
  selector: {matchLabels: {app: redis}}
  template:
    metadata: {labels: {app: redis}}
    spec:
      serviceAccountName: redis
      automountServiceAccountToken: false
      containers:
      - name: redis
        image: redis:7
        args: [redis-server, --requirepass, $(REDIS_PASSWORD)]
        env:
        - name: REDIS_PASSWORD
          valueFrom: {secretKeyRef: {name: redis, key: password}}
---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: cache}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sessions, namespace: cache}
spec:
  selector: {matchLabels: {app: sessions}}
  template:
    metadata: {labels: {app: sessions}}
    spec:
      serviceAccountName: sessions
      automountServiceAccountToken: false
      containers:
      - name: redis
        image: example/sessions-cache:3
        command: [sh, -c, 'exec redis-server --requirepass guest --port 6380']
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: cache}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers:
      - name: web
        image: example/web:1
        env:
        - {name: CACHE_HOST, value: redis}
        - name: CACHE_PASSWORD
          valueFrom: {secretKeyRef: {name: redis, key: password}}
";

#[test]
fn redis_requirepass_is_the_accepting_side_from_env_or_literal() {
    let (r, json) = scan(REDIS);
    assert_eq!(
        messages(&r, "ZT004", "Deployment", "cache", "redis"),
        [
            "cache/Deployment/redis accepts a static secret from whoever holds it: the Redis password `REDIS_PASSWORD`, \
          from key `password` of Secret cache/redis. It is held by cache/Deployment/web (`CACHE_PASSWORD`, the same \
          Secret key)."
        ]
    );
    let literal = fp("guest");
    assert_eq!(
        messages(&r, "ZT004", "Deployment", "cache", "sessions"),
        [format!(
            "cache/Deployment/sessions accepts a static secret from whoever holds it: the Redis password \
             `--requirepass`, from a literal value in the manifest ({literal}). No workload of the input holds it."
        )]
    );
    assert_eq!(
        messages(&r, "ZT005", "Deployment", "cache", "sessions"),
        [format!(
            "cache/Deployment/sessions (`--requirepass`) holds a password in arguments in clear text (fingerprint \
             {literal}); it is a well-known default value, which anyone can guess without reading the manifest."
        )]
    );
    let p = r
        .paths
        .iter()
        .find(|p| p.id == "path:workload:cache/Deployment/web->workload:cache/Deployment/redis")
        .expect("web → redis");
    assert_eq!(p.auth, Some(AuthMethod::StaticSecret));
    assert!(!json.contains("guest --port"), "the command line is printed");
}

const SERVERS: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: data}
spec:
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec:
      serviceAccountName: pg
      automountServiceAccountToken: false
      containers:
      - name: pg
        image: postgres:16-alpine
        env:
        - {name: POSTGRES_PASSWORD, value: postgres}
---
apiVersion: v1
kind: Service
metadata: {name: pg, namespace: data}
spec:
  selector: {app: pg}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: search, namespace: data}
spec:
  selector: {matchLabels: {app: search}}
  template:
    metadata: {labels: {app: search}}
    spec:
      serviceAccountName: search
      automountServiceAccountToken: false
      containers:
      - name: es
        image: docker.elastic.co/elasticsearch/elasticsearch:8.13.0
        env:
        - {name: ELASTIC_PASSWORD, value: elastic}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: data}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      serviceAccountName: api
      automountServiceAccountToken: false
      containers:
      - name: api
        image: example/api:1
        env:
        - {name: POSTGRES_HOST, value: pg}
        - {name: POSTGRES_PASSWORD, value: Api-demo-pass-41}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: jenkins, namespace: data}
spec:
  selector: {matchLabels: {app: jenkins}}
  template:
    metadata: {labels: {app: jenkins}}
    spec:
      serviceAccountName: jenkins
      automountServiceAccountToken: false
      containers:
      - name: jenkins
        image: example/ci-server:2
        ports: [{containerPort: 8080}]
        env:
        - {name: JENKINS_ADMIN_PASSWORD, value: Jk-demo-pass-58}
";

#[test]
fn server_variables_follow_the_image_the_port_and_the_peer_named() {
    let (r, _) = scan(SERVERS);
    // The postgres image's POSTGRES_PASSWORD is accepted; the API's (POSTGRES_HOST names a peer)
    // is presented to that peer.
    assert_eq!(
        messages(&r, "ZT004", "StatefulSet", "data", "pg"),
        [format!(
            "data/StatefulSet/pg accepts a static secret from whoever holds it: the PostgreSQL superuser password \
             `POSTGRES_PASSWORD`, from a literal value in the manifest ({}). It is held by data/Deployment/api \
             (`POSTGRES_PASSWORD`, a static credential for its Service).",
            fp("postgres")
        )]
    );
    assert_eq!(
        messages(&r, "ZT004", "Deployment", "data", "api"),
        [format!(
            "data/Deployment/api authenticates to service data/pg with the static credential `POSTGRES_PASSWORD` from \
             a literal value in the manifest ({}).",
            fp("Api-demo-pass-41")
        )]
    );
    // A password equal to the account its variable names (ELASTIC_PASSWORD protects `elastic`).
    assert_eq!(
        messages(&r, "ZT005", "StatefulSet", "data", "search"),
        [format!(
            "data/StatefulSet/search (`ELASTIC_PASSWORD`) holds a credential-named value in clear text (fingerprint \
             {}); it is equal to the name of the account it protects, which anyone can guess.",
            fp("elastic")
        )]
    );
    // An application's own admin password, on a serving workload.
    assert_eq!(
        messages(&r, "ZT004", "Deployment", "data", "jenkins"),
        [format!(
            "data/Deployment/jenkins accepts a static secret from whoever holds it: its own admin password \
             `JENKINS_ADMIN_PASSWORD`, from a literal value in the manifest ({}). No workload of the input holds it.",
            fp("Jk-demo-pass-58")
        )]
    );
}

#[test]
fn a_callee_holding_the_secret_its_caller_presents_verifies_it() {
    let r = common::scan_json(&["fixtures/rules/ZT004/bad/05-peer-shared-secret.yaml"]);
    let ns = "zt004-bad-peershared";
    assert_eq!(
        messages(&r, "ZT004", "Deployment", ns, "orders"),
        [format!(
            "{ns}/Deployment/orders accepts a static secret from whoever holds it: the shared secret its callers present \
             `ORDERS_SHARED_SECRET`, from key `hmac-key` of Secret {ns}/orders-hmac. It is held by {ns}/Deployment/client \
             (`ORDERS_SHARED_SECRET`, the same Secret key)."
        )]
    );
}

/// A namespace where `client` calls `orders` and both load Secret `shared` for no peer of their
/// own; `extra` workloads load it too without calling `orders`.
fn shared_secret_estate(extra: usize) -> String {
    let ns = "sharedkey";
    let deployment = |name: &str, env: &str| {
        format!(
            "---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: app
        image: registry.example.com/{name}:1
        ports: [{{containerPort: 8080}}]
        env:
{env}        - name: SIGNING_KEY
          valueFrom: {{secretKeyRef: {{name: shared, key: key}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 8080}}]
"
        )
    };
    let mut text = format!(
        "apiVersion: v1
kind: Secret
metadata: {{name: shared, namespace: {ns}}}
stringData: {{key: Zq8-shared-signing-key}}
"
    );
    text += &deployment("orders", "");
    text += &deployment("client", "        - {name: ORDERS_ENDPOINT, value: 'http://orders:8080'}\n");
    for i in 0..extra {
        text += &deployment(&format!("batch-{i}"), "");
    }
    text
}

#[test]
fn a_secret_shared_beyond_the_caller_and_callee_is_not_taken_as_the_callee_s_verifier() {
    // Only the pair loads the Secret: the callee checks what the caller presents.
    let (r, _) = scan(&shared_secret_estate(0));
    let accepts = messages(&r, "ZT004", "Deployment", "sharedkey", "orders");
    assert_eq!(accepts.len(), 1, "{accepts:?}");
    assert!(accepts[0].starts_with("sharedkey/Deployment/orders accepts a static secret"), "{accepts:?}");

    // Two more workloads load it and call no one: it is a key they all hold (for some third
    // party), not the callee's; no "accepts" verdict and no static-secret hop into `orders` from
    // every other holder.
    let (r, _) = scan(&shared_secret_estate(2));
    let accepts: Vec<String> = messages(&r, "ZT004", "Deployment", "sharedkey", "orders")
        .into_iter()
        .filter(|m| m.contains("accepts a static secret"))
        .collect();
    assert!(accepts.is_empty(), "{accepts:?}");
    let into_orders: Vec<String> = r
        .paths
        .iter()
        .filter(|p| {
            p.id.as_text().starts_with("path:workload:")
                && p.id.as_text().ends_with("->workload:sharedkey/Deployment/orders")
        })
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(
        into_orders,
        ["path:workload:sharedkey/Deployment/client->workload:sharedkey/Deployment/orders"]
    );
}
