//! Node ids of the identity graph. They are stable (reports, baselines and suppressions refer to
//! them), so every phase that names a node builds its id here and nowhere else.

/// A Kubernetes workload (`workload:shop/Deployment/cart`).
pub fn workload_id(ns: &str, kind: &str, name: &str) -> String {
    format!("workload:{ns}/{kind}/{name}")
}

/// A Kubernetes service account.
pub fn sa_id(ns: &str, name: &str) -> String {
    format!("sa:{ns}/{name}")
}

/// A Kubernetes Secret.
pub fn secret_id(ns: &str, name: &str) -> String {
    format!("secret:{ns}/{name}")
}

/// A Kubernetes Service.
pub fn service_id(ns: &str, name: &str) -> String {
    format!("service:{ns}/{name}")
}

/// A credential written in a workload's manifest (env literal, URL password).
pub fn literal_id(workload: &str, name: &str) -> String {
    format!("literal:{workload}/{name}")
}

/// An IAM role.
pub fn role_node_id(arn: &str) -> String {
    format!("iam-role:{arn}")
}

/// An IAM user.
pub fn user_node_id(arn: &str) -> String {
    format!("iam-user:{arn}")
}

/// The scope "every role that trusts account `acct`".
pub fn assumable_scope_id(acct: &str) -> String {
    format!("scope:aws-assumable/{acct}")
}

/// The scope "everything in account `acct`" (what an administrator holds).
pub fn account_scope_id(acct: &str) -> String {
    format!("scope:aws-account/{acct}")
}

/// A federated token: issuer and subject pattern.
pub fn federated_id(issuer: &str, subject: &str) -> String {
    format!("oidc-token:{issuer}#{subject}")
}

/// The auth path from `from` to `to`.
pub fn path_id(from: &str, to: &str) -> String {
    format!("path:{from}->{to}")
}
