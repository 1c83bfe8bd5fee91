//! IAM policy evaluation, as far as an offline audit can take it.
//!
//! The question asked is always "may this principal perform action A, and on which resources?".
//! The answer follows IAM's logic for one account: an explicit `Deny` wins, an `Allow` is needed,
//! and a permissions boundary (when the principal has one and its document is known) caps what
//! the identity policies allow. `Action`/`NotAction` and `Resource`/`NotResource` are honoured;
//! wildcards `*` and `?` match as IAM matches them (actions without regard to case, ARNs with).
//!
//! Conditions cannot be decided offline. An `Allow` under conditions still counts (the grant is
//! there; the conditions are shown), while a `Deny` under conditions is not taken to remove
//! anything: the audit never reports less access than may exist. SCPs and resource policies
//! other than trust policies are not in the inventory and are not evaluated.

use ztpath_probes::iam::{Effect, PolicyDocument, Statement};

/// Where a statement comes from: the policy's name (or ARN) and the statement's evidence.
#[derive(Clone, Debug)]
pub struct Origin<'a> {
    pub policy: &'a str,
    pub doc: &'a PolicyDocument,
    pub statement: &'a Statement,
}

/// What a set of policies allows for one action.
#[derive(Clone, Debug, Default)]
pub struct Grant<'a> {
    /// Resource patterns allowed (`*` for all). Empty: the action is not allowed.
    pub resources: Vec<String>,
    /// The statements that allow it.
    pub origins: Vec<Origin<'a>>,
    /// True when every allowing statement carries conditions.
    pub conditional: bool,
}

impl Grant<'_> {
    pub fn allowed(&self) -> bool {
        !self.resources.is_empty()
    }

    /// True when the action is allowed on every resource.
    pub fn on_everything(&self) -> bool {
        self.resources.iter().any(|r| r == "*")
    }
}

/// IAM wildcard matching: `*` is any run of characters, `?` any one character.
pub fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let p = pattern.as_bytes();
    let v = value.as_bytes();
    let eq = |a: u8, b: u8| if ignore_case { a.eq_ignore_ascii_case(&b) } else { a == b };
    // Iterative matcher with one backtrack point for the last `*`.
    let (mut pi, mut vi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == b'?' || (p[pi] != b'*' && eq(p[pi], v[vi]))) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// True when the statement's action part covers `action`.
pub fn covers_action(st: &Statement, action: &str) -> bool {
    if !st.not_actions.is_empty() {
        return !st.not_actions.iter().any(|p| wildcard_match(p, action, true));
    }
    st.actions.iter().any(|p| wildcard_match(p, action, true))
}

/// Resource patterns of a statement: `Resource` as written, or `*` for `NotResource` (every
/// resource but some; the exceptions are named in the evidence).
fn statement_resources(st: &Statement) -> Vec<String> {
    if !st.not_resources.is_empty() {
        return vec!["*".to_owned()];
    }
    st.resources.clone()
}

/// True when resource pattern `inner` (taken literally) falls under pattern `outer`.
pub fn resource_within(inner: &str, outer: &str) -> bool {
    outer == "*" || wildcard_match(outer, inner, false)
}

/// What `policies` allow for `action`, explicit denies removed.
pub fn grant<'a>(policies: &[(&'a str, &'a PolicyDocument)], action: &str) -> Grant<'a> {
    let mut g = Grant::default();
    let mut denied: Vec<String> = Vec::new();
    let mut all_conditional = true;
    for &(policy, doc) in policies {
        for st in &doc.statements {
            if !covers_action(st, action) {
                continue;
            }
            match st.effect {
                Effect::Allow => {
                    g.resources.extend(statement_resources(st));
                    all_conditional &= !st.conditions.is_empty();
                    g.origins.push(Origin { policy, doc, statement: st });
                }
                // A conditional deny may not apply; only unconditional ones are subtracted.
                Effect::Deny if st.conditions.is_empty() && st.not_resources.is_empty() => {
                    denied.extend(st.resources.iter().cloned());
                }
                _ => {}
            }
        }
    }
    if denied.iter().any(|d| d == "*") {
        return Grant::default();
    }
    g.resources.retain(|r| !denied.iter().any(|d| resource_within(r, d)));
    g.resources.sort();
    g.resources.dedup();
    if g.resources.is_empty() {
        return Grant::default();
    }
    g.conditional = all_conditional;
    g
}

/// Caps `identity` with a permissions boundary's grant for the same action: the action is
/// allowed only where both allow it.
pub fn cap<'a>(identity: Grant<'a>, boundary: &Grant<'_>) -> Grant<'a> {
    if !boundary.allowed() {
        return Grant::default();
    }
    if boundary.on_everything() {
        return identity;
    }
    let mut out = identity;
    if out.on_everything() {
        out.resources = boundary.resources.clone();
    } else {
        out.resources.retain(|r| boundary.resources.iter().any(|b| resource_within(r, b)));
    }
    if out.resources.is_empty() { Grant::default() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ztpath_probes::Source;
    use ztpath_probes::iam::{Condition, ConditionOperator};

    fn st(effect: Effect, actions: &[&str], resources: &[&str]) -> Statement {
        Statement {
            sid: None,
            effect,
            actions: actions.iter().map(std::string::ToString::to_string).collect(),
            not_actions: Vec::new(),
            resources: resources.iter().map(std::string::ToString::to_string).collect(),
            not_resources: Vec::new(),
            principals: Vec::new(),
            not_principal: false,
            conditions: Vec::new(),
            line: 1,
        }
    }

    fn doc(statements: Vec<Statement>) -> PolicyDocument {
        PolicyDocument {
            version: None,
            id: None,
            statements,
            encoded: false,
            source: Source { file: "p.json".into(), line: 1 },
        }
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject", true));
        assert!(wildcard_match("S3:get*", "s3:GetObject", true));
        assert!(!wildcard_match("S3:get*", "s3:GetObject", false));
        assert!(wildcard_match("iam:*Policy*", "iam:PutRolePolicy", true));
        assert!(wildcard_match("ec2:?escribe*", "ec2:DescribeInstances", true));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject", true));
        assert!(wildcard_match("*", "", true));
        assert!(wildcard_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", false));
        assert!(!wildcard_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false));
        assert!(wildcard_match("a*b*c", "aXbYbZc", false));
        assert!(!wildcard_match("a*b*c", "aXbYbZ", false));
    }

    #[test]
    fn explicit_deny_wins_and_conditional_deny_does_not() {
        let allow = doc(vec![st(Effect::Allow, &["*"], &["*"])]);
        let deny = doc(vec![st(Effect::Deny, &["iam:*"], &["*"])]);
        let ps = [("admin", &allow), ("guard", &deny)];
        assert!(!grant(&ps, "iam:PassRole").allowed());
        assert!(grant(&ps, "s3:GetObject").on_everything());

        let mut cond = st(Effect::Deny, &["iam:*"], &["*"]);
        cond.conditions.push(Condition {
            operator: ConditionOperator::parse("Bool"),
            key: "aws:MultiFactorAuthPresent".into(),
            values: vec!["false".into()],
        });
        let deny = doc(vec![cond]);
        let ps = [("admin", &allow), ("guard", &deny)];
        assert!(grant(&ps, "iam:PassRole").allowed(), "a conditional deny may not apply");
    }

    #[test]
    fn not_action_allows_everything_else() {
        let mut s = st(Effect::Allow, &[], &["*"]);
        s.not_actions = vec!["iam:*".into()];
        let d = doc(vec![s]);
        let ps = [("poweruser", &d)];
        assert!(grant(&ps, "s3:GetObject").on_everything());
        assert!(!grant(&ps, "iam:CreateAccessKey").allowed());
    }

    #[test]
    fn specific_denies_remove_the_resources_they_cover() {
        let allow = doc(vec![st(
            Effect::Allow,
            &["secretsmanager:GetSecretValue"],
            &["arn:aws:secretsmanager:*:1:secret:prod/*", "arn:aws:secretsmanager:*:1:secret:dev/*"],
        )]);
        let deny =
            doc(vec![st(Effect::Deny, &["secretsmanager:*"], &["arn:aws:secretsmanager:*:1:secret:prod/*"])]);
        let g = grant(&[("a", &allow), ("d", &deny)], "secretsmanager:GetSecretValue");
        assert_eq!(g.resources, vec!["arn:aws:secretsmanager:*:1:secret:dev/*".to_owned()]);
    }

    #[test]
    fn a_boundary_caps_identity_policies() {
        let admin = doc(vec![st(Effect::Allow, &["*"], &["*"])]);
        let boundary = doc(vec![st(Effect::Allow, &["s3:*"], &["arn:aws:s3:::logs/*"])]);
        let id = grant(&[("admin", &admin)], "s3:GetObject");
        let b = grant(&[("boundary", &boundary)], "s3:GetObject");
        assert_eq!(cap(id, &b).resources, vec!["arn:aws:s3:::logs/*".to_owned()]);
        let id = grant(&[("admin", &admin)], "iam:PassRole");
        let b = grant(&[("boundary", &boundary)], "iam:PassRole");
        assert!(!cap(id, &b).allowed());
    }

    #[test]
    fn conditional_allow_is_kept_and_flagged() {
        let mut s = st(Effect::Allow, &["sts:AssumeRole"], &["*"]);
        s.conditions.push(Condition {
            operator: ConditionOperator::parse("StringEquals"),
            key: "aws:PrincipalTag/team".into(),
            values: vec!["ops".into()],
        });
        let d = doc(vec![s]);
        let g = grant(&[("p", &d)], "sts:AssumeRole");
        assert!(g.on_everything() && g.conditional);
    }
}
