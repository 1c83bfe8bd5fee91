//! Call paths that come from authorization policies naming their callers (no env reference
//! needed): Istio ALLOW `principals` and Linkerd MeshTLSAuthentication `identityRefs`.

mod common;

use common::scan_json;
use ztpath_reports::{AuthMethod, IdentityState};

const ESTATE: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: bank, labels: {istio-injection: enabled}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: bank}
spec: {mtls: {mode: STRICT}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: teller, namespace: bank}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: teller, namespace: bank}
spec:
  selector: {matchLabels: {app: teller}}
  template:
    metadata: {labels: {app: teller}}
    spec:
      serviceAccountName: teller
      automountServiceAccountToken: false
      containers: [{name: teller, image: example/teller:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vault, namespace: bank}
spec:
  selector: {matchLabels: {app: vault}}
  template:
    metadata: {labels: {app: vault}}
    spec:
      serviceAccountName: vault
      automountServiceAccountToken: false
      containers: [{name: vault, image: example/vault:1, ports: [{containerPort: 8200}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: vault-callers, namespace: bank}
spec:
  selector: {matchLabels: {app: vault}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/bank/sa/teller"]}
---
apiVersion: v1
kind: Namespace
metadata: {name: books, annotations: {linkerd.io/inject: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reader, namespace: books}
spec:
  selector: {matchLabels: {app: reader}}
  template:
    metadata: {labels: {app: reader}}
    spec:
      serviceAccountName: reader
      automountServiceAccountToken: false
      containers: [{name: reader, image: example/reader:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shelf, namespace: books}
spec:
  selector: {matchLabels: {app: shelf}}
  template:
    metadata: {labels: {app: shelf}}
    spec:
      serviceAccountName: shelf
      automountServiceAccountToken: false
      containers: [{name: shelf, image: example/shelf:1, ports: [{containerPort: 7000, name: api}]}]
---
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: shelf-api, namespace: books}
spec:
  podSelector: {matchLabels: {app: shelf}}
  port: api
---
apiVersion: policy.linkerd.io/v1alpha1
kind: MeshTLSAuthentication
metadata: {name: readers, namespace: books}
spec:
  identityRefs:
  - {kind: ServiceAccount, name: reader}
---
apiVersion: policy.linkerd.io/v1alpha1
kind: AuthorizationPolicy
metadata: {name: shelf-readers, namespace: books}
spec:
  targetRef: {group: policy.linkerd.io, kind: Server, name: shelf-api}
  requiredAuthenticationRefs:
  - {group: policy.linkerd.io, kind: MeshTLSAuthentication, name: readers}
"#;

#[test]
fn callers_named_by_authorization_policies_have_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("estate.yaml");
    std::fs::write(&file, ESTATE).expect("write");
    let r = scan_json(&[file.to_str().expect("utf-8 path")]);

    let istio = r
        .paths
        .iter()
        .find(|p| p.id == "path:workload:bank/Deployment/teller->workload:bank/Deployment/vault")
        .unwrap_or_else(|| {
            panic!("no teller -> vault path: {:#?}", r.paths.iter().map(|p| &p.id).collect::<Vec<_>>())
        });
    let hop = &istio.hops[0];
    assert_eq!((hop.auth, hop.identity), (AuthMethod::MeshMtls, IdentityState::Preserved), "{hop:#?}");
    assert_eq!(hop.via.as_deref(), Some("named by AuthorizationPolicy bank/vault-callers"));
    assert!(hop.evidence.iter().any(|e| e.line > 0), "{:#?}", hop.evidence);

    let linkerd = r
        .paths
        .iter()
        .find(|p| p.id == "path:workload:books/Deployment/reader->workload:books/Deployment/shelf")
        .expect("reader -> shelf path from the MeshTLSAuthentication identityRefs");
    assert_eq!(linkerd.hops[0].auth, AuthMethod::MeshMtls);
    assert_eq!(linkerd.hops[0].via.as_deref(), Some("named by AuthorizationPolicy books/shelf-readers"));

    // Both targets name their callers: no implicit-trust finding on them.
    for target in ["vault", "shelf"] {
        assert!(
            !r.findings.iter().any(|f| f.rule == "ZT002" && f.subject.name == target),
            "{target} names its callers"
        );
    }
    // A `calls` edge joins each pair.
    assert!(r.edges.iter().any(|e| e.kind == "calls"
        && e.from == "workload:bank/Deployment/teller"
        && e.to == "workload:bank/Deployment/vault"));
}
