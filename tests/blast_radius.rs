//! The blast radius is a set: what a credential reaches does not depend on the order in which
//! the walk meets it. Each reached item counts once, under one category, and a workload whose
//! identity the holder borrows makes its calls whichever way the walk came to it first.

mod common;

use common::scan_json;
use ztpath_reports::{BlastRadius, Report};

/// `shop/ops` runs as `ops`, whose token it mounts, and calls `shop/web`. `ops` can read the
/// Secrets of `shop`, one of which is a legacy token of `deployer`, who can create pods there:
/// the holder of the `ops` token takes `web` over (four steps) after calling it (two steps).
const TAKEN_OVER_AND_CALLED: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ops, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: shop}
---
apiVersion: v1
kind: Secret
metadata:
  name: deployer-token
  namespace: shop
  annotations: {kubernetes.io/service-account.name: deployer}
type: kubernetes.io/service-account-token
data: {token: ZXhhbXBsZS10b2tlbg==}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: shop}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ops-secrets, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects: [{kind: ServiceAccount, name: ops, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-creator, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer-pods, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-creator}
subjects: [{kind: ServiceAccount, name: deployer, namespace: shop}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ops, namespace: shop}
spec:
  selector: {matchLabels: {app: ops}}
  template:
    metadata: {labels: {app: ops}}
    spec:
      serviceAccountName: ops
      containers:
      - name: ops
        image: example/ops:1
        env: [{name: WEB_URL, value: "http://web:8080"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 8080}]
"#;

/// `shop/front` runs as `front` and calls `shop/api`, which runs as `api` and calls
/// `bank/ledger`. `front` may impersonate the service accounts of `shop`, so the holder of its
/// token acts as `api` too, and makes `api`'s call to `ledger`: it meets `api` first as a callee
/// (two steps), then as an identity it borrows (four steps).
const CALLED_THEN_BORROWED: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: front, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: impersonator, namespace: shop}
rules:
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: front-impersonates, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: impersonator}
subjects: [{kind: ServiceAccount, name: front, namespace: shop}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: shop}
spec:
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      serviceAccountName: front
      containers:
      - name: front
        image: example/front:1
        env: [{name: API_URL, value: "http://api:8080"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
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
        ports: [{containerPort: 8080}]
        env: [{name: LEDGER_URL, value: "http://ledger.bank:8080"}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 8080}]
---
apiVersion: v1
kind: Namespace
metadata: {name: bank}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: bank}
spec:
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger}}
    spec:
      serviceAccountName: ledger
      automountServiceAccountToken: false
      containers: [{name: ledger, image: example/ledger:1, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: bank}
spec:
  selector: {app: ledger}
  ports: [{port: 8080}]
"#;

fn scan(manifest: &str) -> Report {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("estate.yaml"), manifest).expect("write");
    scan_json(&[dir.path().to_str().expect("utf-8 path")])
}

fn radius<'r>(r: &'r Report, credential: &str) -> &'r BlastRadius {
    r.blast_radius
        .iter()
        .find(|b| b.credential.id == credential)
        .unwrap_or_else(|| panic!("no blast radius for {credential}: {:#?}", r.blast_radius))
}

fn listed<'b>(b: &'b BlastRadius, target: &str) -> Vec<&'b str> {
    b.reaches.iter().filter(|x| x.target == target).map(|x| x.kind.as_str()).collect()
}

#[test]
fn a_workload_taken_over_counts_once_even_when_it_is_called_first() {
    let r = scan(TAKEN_OVER_AND_CALLED);
    let b = radius(&r, "token:shop/ops");
    // ops and web, taken over through the deployer's token; web is not a service besides.
    assert_eq!(listed(b, "workload:shop/Deployment/web"), ["workload"], "{:#?}", b.reaches);
    assert_eq!(b.counts.get("workload"), Some(&2), "{:?}", b.counts);
    assert_eq!(b.counts.get("service"), None, "{:?}", b.counts);
    // identities ops, deployer, web; the deployer's token Secret; two permissions.
    assert_eq!(b.counts.get("identity"), Some(&3), "{:?}", b.counts);
    assert_eq!(b.counts.get("secret"), Some(&1), "{:?}", b.counts);
    assert_eq!(b.score, 3 * 10 + 2 * 5 + 2 + 2 * 15, "{:?}", b.counts);
    // Explained by the shortest chain: through the readable token, then the pods scope.
    let web = b.reaches.iter().find(|x| x.target == "workload:shop/Deployment/web").expect("web");
    assert_eq!(
        b.chain(web).collect::<Vec<_>>(),
        [
            "token:shop/ops authenticates as shop/ops",
            "sa:shop/ops can read Secrets (get/list/watch) in namespace shop (Role secret-reader via RoleBinding shop/ops-secrets)",
            "scope:secrets/shop holds Secret shop/deployer-token",
            "secret:shop/deployer-token is a non-expiring token of service account shop/deployer",
            "sa:shop/deployer can create pods or change pod controllers in namespace shop (Role pod-creator via RoleBinding shop/deployer-pods)",
            "scope:pods/shop runs shop/Deployment/web",
        ]
    );
}

#[test]
fn a_borrowed_identity_makes_its_calls_even_when_it_was_called_first() {
    let r = scan(CALLED_THEN_BORROWED);
    let b = radius(&r, "token:shop/front");
    // The holder acts as api (borrowed, not taken over) and so reaches ledger through api's call.
    assert_eq!(listed(b, "workload:bank/Deployment/ledger"), ["service"], "{:#?}", b.reaches);
    assert!(listed(b, "workload:shop/Deployment/api").is_empty(), "{:#?}", b.reaches);
    assert_eq!(b.counts.get("service"), Some(&1), "{:?}", b.counts);
    let ledger = b.reaches.iter().find(|x| x.target == "workload:bank/Deployment/ledger").expect("ledger");
    let chain: Vec<&str> = b.chain(ledger).collect();
    assert_eq!(chain.len(), 5, "{chain:#?}");
    assert!(chain[3].starts_with("sa:shop/api is the identity of"), "{chain:#?}");
    assert!(chain[4].starts_with("workload:shop/Deployment/api calls"), "{chain:#?}");
}

#[test]
fn chains_share_their_steps() {
    let r = scan(TAKEN_OVER_AND_CALLED);
    let b = radius(&r, "token:shop/ops");
    // Every step is written once, and every chain starts from the credential.
    let mut steps = b.steps.clone();
    steps.sort();
    steps.dedup();
    assert_eq!(steps.len(), b.steps.len(), "{:#?}", b.steps);
    for reach in &b.reaches {
        let first = b.chain(reach).next().unwrap_or_else(|| panic!("empty chain: {reach:?}"));
        assert!(first.starts_with("token:shop/ops "), "{first}");
        assert!(reach.chain.iter().all(|&i| i < b.steps.len()), "{reach:?}");
    }
}
