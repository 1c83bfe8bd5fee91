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

const IRSA: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata:
  name: orders
  namespace: shop
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/orders-irsa
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
      containers: [{name: orders, image: example/orders:1}]
"#;

const GAAD: &str = r#"{"UserDetailList": [], "GroupDetailList": [], "Policies": [],
 "RoleDetailList": [{"RoleName": "orders-irsa", "Arn": "arn:aws:iam::111122223333:role/orders-irsa",
   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
     "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE"},
     "Action": "sts:AssumeRoleWithWebIdentity"}]},
   "AttachedManagedPolicies": [], "RolePolicyList": []}]}"#;

#[test]
fn a_pod_token_reaches_its_aws_role_through_irsa() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("k8s.yaml"), IRSA).expect("write");
    std::fs::write(dir.path().join("gaad.json"), GAAD).expect("write");
    let r = scan_json(&[dir.path().to_str().expect("utf-8 path")]);
    let token = r
        .blast_radius
        .iter()
        .find(|b| b.credential.id == "token:shop/orders")
        .expect("blast radius of the orders token");
    let role = token
        .reaches
        .iter()
        .find(|x| x.target == "iam-role:arn:aws:iam::111122223333:role/orders-irsa")
        .unwrap_or_else(|| panic!("{:#?}", token.reaches));
    assert_eq!(role.kind, "identity");
    let chain: Vec<&str> = token.chain(role).collect();
    assert!(chain.iter().any(|s| s.contains("through IRSA")), "{chain:#?}");
    assert!(r.edges.iter().any(|e| e.kind == "assumes-role" && e.from == "sa:shop/orders"));
    // The role's trust policy has no `sub` condition: any service account of the cluster could take it.
    assert!(r.findings.iter().any(|f| f.rule == "ZT206" && f.subject.name == "orders-irsa"));
}
