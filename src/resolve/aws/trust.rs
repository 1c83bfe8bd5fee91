//! Role trust policies, read as "who may become this role, and under what conditions".
//!
//! Semantics (docs/semantics.md#aws-iam): `"Principal": "*"` and `{"AWS": "*"}` mean any principal of any
//! account; `arn:aws:iam::<acct>:root` (or the bare account id) trusts the whole account, that is
//! any identity there whose own policies allow `sts:AssumeRole`; a role or user ARN trusts that
//! principal; `Service` trusts an AWS service; `Federated` trusts tokens of an identity provider,
//! narrowed by the `<issuer>:sub` and `<issuer>:aud` conditions. A `Federated` principal that is a
//! SAML provider (`arn:aws:iam::<acct>:saml-provider/<name>`) trusts SAML assertions instead: human
//! single sign-on through `sts:AssumeRoleWithSAML`, narrowed by `SAML:*` conditions. A web-identity
//! token cannot be used with a SAML provider, nor satisfy a required `SAML:` condition, and a
//! statement that allows only `sts:AssumeRoleWithSAML` admits no web identity either: all three are
//! SAML trust, not web-identity trust.

use ztpath_probes::iam::{Condition, Effect, PolicyDocument};

use super::arn::account_of;
use super::policy::{covers_action, wildcard_match};

/// Who a trust statement admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trustee {
    /// Any principal of any account.
    Anyone,
    /// Every principal of an account (the account root, or its bare id).
    Account(String),
    /// One IAM role or user.
    Arn(String),
    /// An AWS service principal (`ec2.amazonaws.com`, `pods.eks.amazonaws.com`).
    Service(String),
    /// An identity provider's tokens; `subjects` are the `sub` values (patterns under
    /// `StringLike`) the conditions accept, empty when no condition constrains `sub`.
    Federated { provider: String, subjects: Vec<String> },
    /// A SAML identity provider's assertions (`sts:AssumeRoleWithSAML`): people signing in
    /// through single sign-on, not workloads.
    Saml { provider: String },
}

/// One principal admitted by one `Allow` statement of a trust policy.
#[derive(Clone, Debug)]
pub struct TrustEntry {
    pub trustee: Trustee,
    /// True when the statement allows assuming the role (`sts:AssumeRole*`; for a SAML
    /// provider, `sts:AssumeRoleWithSAML`).
    pub assume: bool,
    /// The statement's conditions.
    pub conditions: Vec<Condition>,
    /// Line of the statement.
    pub line: u32,
}

impl TrustEntry {
    /// True when this entry lets a web-identity token with subject `subject` and audience
    /// `audience` assume the role: the `sub` values (if any) match it, and an `aud` condition (if
    /// any) accepts the audience.
    pub fn web_identity_admits(&self, subject: &str, audience: &str) -> bool {
        match &self.trustee {
            Trustee::Federated { subjects, .. } if self.assume => {
                let sub_ok =
                    subjects.is_empty() || subjects.iter().any(|p| wildcard_match(p, subject, false));
                let auds: Vec<&String> = self
                    .conditions
                    .iter()
                    .filter(|c| is_claim_key(&c.key, "aud") && c.operator.is_positive_string_test())
                    .flat_map(|c| c.values.iter())
                    .collect();
                let aud_ok = auds.is_empty() || auds.iter().any(|p| wildcard_match(p, audience, false));
                sub_ok && aud_ok
            }
            _ => false,
        }
    }
}

const ASSUME_ACTIONS: [&str; 3] =
    ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"];

/// The principals a trust policy admits, one entry per principal of each `Allow` statement.
/// `NotPrincipal` statements and denies are left out (an allow with `NotPrincipal` is rejected
/// by IAM in trust policies).
pub fn entries(doc: &PolicyDocument) -> Vec<TrustEntry> {
    let mut out = Vec::new();
    for st in &doc.statements {
        if st.effect != Effect::Allow || st.not_principal {
            continue;
        }
        let assume = ASSUME_ACTIONS.iter().any(|a| covers_action(st, a));
        let with_saml = covers_action(st, "sts:AssumeRoleWithSAML");
        let saml_only = with_saml && !covers_action(st, "sts:AssumeRoleWithWebIdentity")
            || st.conditions.iter().any(requires_saml_key);
        for (kind, value) in &st.principals {
            let trustee = match kind.as_str() {
                "*" => Trustee::Anyone,
                "AWS" if value == "*" => Trustee::Anyone,
                "AWS" if value.ends_with(":root") || value.len() == 12 => match account_of(value) {
                    Some(a) => Trustee::Account(a.to_owned()),
                    None => Trustee::Arn(value.clone()),
                },
                "AWS" => Trustee::Arn(value.clone()),
                "Service" => Trustee::Service(value.clone()),
                "Federated" if saml_only || is_saml_provider(value) => {
                    Trustee::Saml { provider: value.clone() }
                }
                "Federated" => Trustee::Federated {
                    provider: value.clone(),
                    subjects: st
                        .conditions
                        .iter()
                        .filter(|c| is_sub_key(&c.key) && c.operator.is_positive_string_test())
                        .flat_map(|c| c.values.iter().cloned())
                        .collect(),
                },
                _ => continue,
            };
            // A SAML assertion is taken with `sts:AssumeRoleWithSAML` and no other action.
            let assume = if matches!(trustee, Trustee::Saml { .. }) { with_saml } else { assume };
            out.push(TrustEntry { trustee, assume, conditions: st.conditions.clone(), line: st.line });
        }
    }
    out
}

/// True for an IAM SAML provider ARN (`arn:aws:iam::<acct>:saml-provider/<name>`).
pub fn is_saml_provider(principal: &str) -> bool {
    principal.starts_with("arn:") && principal.contains(":saml-provider/")
}

/// True for a condition that only a SAML assertion can satisfy: a positive string test on a
/// `SAML:` key (`SAML:aud`, `SAML:sub`…) that fails when the key is absent, as it is from every
/// other kind of request (not `…IfExists`, not `ForAllValues:`, which hold on an absent key).
fn requires_saml_key(c: &Condition) -> bool {
    c.key.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("saml:"))
        && c.operator.is_positive_string_test()
        && !c.operator.holds_when_key_absent()
}

/// True for a condition key naming a token's subject (`<issuer>:sub`).
pub fn is_sub_key(key: &str) -> bool {
    is_claim_key(key, "sub")
}

/// True for a condition key naming claim `claim` of a token (`<issuer>:<claim>`).
fn is_claim_key(key: &str, claim: &str) -> bool {
    key.rsplit(':').next() == Some(claim) && key.contains(':')
}

/// The issuer of a federated principal: the host and path of an OIDC provider ARN, or the
/// principal as written (`accounts.google.com`, `cognito-identity.amazonaws.com`).
pub fn issuer_of(provider: &str) -> String {
    match provider.split_once(":oidc-provider/") {
        Some((_, issuer)) => issuer.to_owned(),
        None => provider.to_owned(),
    }
}

/// True for an EKS cluster's service-account issuer.
pub fn is_eks_issuer(issuer: &str) -> bool {
    issuer.starts_with("oidc.eks.") || issuer.contains(".eks.amazonaws.com")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ztpath_probes::iam::read_gaad_text;

    fn trust_of(json: &str) -> Vec<TrustEntry> {
        let gaad = format!(
            r#"{{"RoleDetailList": [{{"RoleName": "r", "Arn": "arn:aws:iam::111111111111:role/r",
                "AssumeRolePolicyDocument": {json}}}]}}"#
        );
        let inv = read_gaad_text("t.json", &gaad);
        entries(inv.roles[0].trust_policy.as_ref().unwrap())
    }

    #[test]
    fn principals_are_classified() {
        let e = trust_of(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:root", "333333333333",
                    "arn:aws:iam::111111111111:role/ci"]}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "x"}}},
                {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"]}]}"#,
        );
        let kinds: Vec<&Trustee> = e.iter().map(|e| &e.trustee).collect();
        assert_eq!(
            kinds,
            vec![
                &Trustee::Anyone,
                &Trustee::Account("222222222222".into()),
                &Trustee::Account("333333333333".into()),
                &Trustee::Arn("arn:aws:iam::111111111111:role/ci".into()),
                &Trustee::Service("pods.eks.amazonaws.com".into()),
            ]
        );
        assert!(e.iter().all(|e| e.assume));
        assert!(e[1].conditions.iter().any(|c| c.key == "sts:ExternalId") && e[0].conditions.is_empty());
    }

    #[test]
    fn web_identity_subjects_decide_admission() {
        let e = trust_of(
            r#"{"Statement": [{"Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:pay:*"},
                              "StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com"}}}]}"#,
        );
        assert!(e[0].web_identity_admits("system:serviceaccount:pay:api", "sts.amazonaws.com"));
        assert!(!e[0].web_identity_admits("system:serviceaccount:web:api", "sts.amazonaws.com"));
        // IRSA tokens carry the audience sts.amazonaws.com; another audience is refused.
        assert!(!e[0].web_identity_admits("system:serviceaccount:pay:api", "kubernetes.default.svc"));
        let Trustee::Federated { provider, .. } = &e[0].trustee else { panic!() };
        assert!(is_eks_issuer(&issuer_of(provider)));

        let open = trust_of(
            r#"{"Statement": [{"Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}"#,
        );
        assert!(open[0].web_identity_admits("repo:anyone/anything:ref:refs/heads/main", "sts.amazonaws.com"));
    }

    #[test]
    fn saml_providers_actions_and_conditions_make_saml_trust() {
        let e = trust_of(
            r#"{"Statement": [
                {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/corp"},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}},
                {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/corp"},
                    "Action": "sts:AssumeRoleWithWebIdentity"},
                {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/idp.example.com"},
                    "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]},
                {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/idp.example.com"},
                    "Action": "sts:AssumeRole*", "Condition": {"StringEquals": {"saml:sub": "alice"}}},
                {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/idp.example.com"},
                    "Action": "sts:AssumeRole*", "Condition": {"StringEqualsIfExists": {"SAML:aud": "x"}}},
                {"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity"}]}"#,
        );
        let saml = |e: &TrustEntry| matches!(e.trustee, Trustee::Saml { .. });
        let kinds: Vec<bool> = e.iter().map(saml).collect();
        // A SAML provider; an OIDC provider for SAML only, or under a required SAML claim; but a
        // SAML claim that may be absent requires nothing, and Google issues web identities.
        assert_eq!(kinds, [true, true, true, true, false, false]);
        // A SAML provider is assumed with `sts:AssumeRoleWithSAML` only.
        let assume: Vec<bool> = e.iter().map(|e| e.assume).collect();
        assert_eq!(assume, [true, false, true, true, true, true]);
        assert!(!e[0].web_identity_admits("anyone", "sts.amazonaws.com"));
        assert!(e[5].web_identity_admits("anyone", "sts.amazonaws.com"));
    }

    #[test]
    fn a_trust_statement_for_other_actions_does_not_let_anyone_assume() {
        let e =
            trust_of(r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:TagSession"}]}"#);
        assert!(!e[0].assume);
    }
}
