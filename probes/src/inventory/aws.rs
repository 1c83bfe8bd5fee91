//! AWS IAM: users, groups, roles, managed policies, access keys, OIDC providers, EKS Pod
//! Identity associations and credential-report rows.

use std::fmt;

use super::shared::Source;

/// Everything read from IAM files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IamInventory {
    /// IAM users.
    pub users: Vec<IamUser>,
    /// IAM groups.
    pub groups: Vec<IamGroup>,
    /// IAM roles, with their trust policies.
    pub roles: Vec<IamRole>,
    /// Managed policies (AWS-managed and customer-managed) with their versions.
    pub policies: Vec<ManagedPolicy>,
    /// Rows of IAM credential reports.
    pub credential_report: Vec<CredentialReportRow>,
    /// Access keys from `list-access-keys` (with last use when known).
    pub access_keys: Vec<AccessKey>,
    /// IAM OIDC identity providers (EKS clusters' issuers, CI issuers such as GitHub Actions).
    pub oidc_providers: Vec<OidcProvider>,
    /// EKS Pod Identity associations (cluster, namespace, service account -> role).
    pub pod_identity_associations: Vec<PodIdentityAssociation>,
}

impl IamInventory {
    /// Appends everything of `other`.
    pub fn extend(&mut self, other: IamInventory) {
        self.users.extend(other.users);
        self.groups.extend(other.groups);
        self.roles.extend(other.roles);
        self.policies.extend(other.policies);
        self.credential_report.extend(other.credential_report);
        self.access_keys.extend(other.access_keys);
        self.oidc_providers.extend(other.oidc_providers);
        self.pod_identity_associations.extend(other.pod_identity_associations);
    }

    /// Keeps one entry per ARN (per key id for access keys, per association or service account
    /// for Pod Identity), the first in input order: the same account is often exported twice
    /// (GAAD and AWS Config, or two snapshots), and a principal must not count twice.
    pub fn dedup(&mut self) {
        fn keep_first<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
            let mut seen = std::collections::BTreeSet::new();
            items.retain(|x| seen.insert(key(x)));
        }
        keep_first(&mut self.users, |u| u.arn.clone());
        keep_first(&mut self.groups, |g| g.arn.clone());
        keep_first(&mut self.roles, |r| r.arn.clone());
        keep_first(&mut self.policies, |p| p.arn.clone());
        keep_first(&mut self.credential_report, |r| r.arn.clone());
        keep_first(&mut self.access_keys, |k| k.id.clone());
        keep_first(&mut self.oidc_providers, |p| (p.arn.clone(), p.url.clone()));
        keep_first(&mut self.pod_identity_associations, |a| {
            (a.cluster.clone(), a.namespace.clone(), a.service_account.clone(), a.role_arn.clone())
        });
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.roles.is_empty()
            && self.policies.is_empty()
            && self.credential_report.is_empty()
            && self.access_keys.is_empty()
            && self.oidc_providers.is_empty()
            && self.pod_identity_associations.is_empty()
    }
}

/// An IAM user (`UserDetailList` item or `get-user` output).
#[derive(Clone, Debug, PartialEq)]
pub struct IamUser {
    /// `UserName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `UserId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `GroupList`: names of the groups the user belongs to.
    pub groups: Vec<String>,
    /// `AttachedManagedPolicies`.
    pub attached_policies: Vec<AttachedPolicy>,
    /// `UserPolicyList`: inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// `PermissionsBoundary.PermissionsBoundaryArn`.
    pub permissions_boundary: Option<String>,
    /// `Tags` as (Key, Value).
    pub tags: Vec<(String, String)>,
    /// File and line of the entry.
    pub source: Source,
}

/// An IAM group (`GroupDetailList` item).
#[derive(Clone, Debug, PartialEq)]
pub struct IamGroup {
    /// `GroupName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `GroupId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `AttachedManagedPolicies`.
    pub attached_policies: Vec<AttachedPolicy>,
    /// `GroupPolicyList`: inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// File and line of the entry.
    pub source: Source,
}

/// An IAM role (`RoleDetailList` item or `get-role` output).
#[derive(Clone, Debug, PartialEq)]
pub struct IamRole {
    /// `RoleName`.
    pub name: String,
    /// `Arn`.
    pub arn: String,
    /// `RoleId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `AssumeRolePolicyDocument`: the trust policy (a resource policy on the role).
    pub trust_policy: Option<PolicyDocument>,
    /// `AttachedManagedPolicies`.
    pub attached_policies: Vec<AttachedPolicy>,
    /// `RolePolicyList`: inline policies.
    pub inline_policies: Vec<InlinePolicy>,
    /// `InstanceProfileList`.
    pub instance_profiles: Vec<InstanceProfile>,
    /// `PermissionsBoundary.PermissionsBoundaryArn`.
    pub permissions_boundary: Option<String>,
    /// `Tags` as (Key, Value).
    pub tags: Vec<(String, String)>,
    /// `RoleLastUsed.LastUsedDate`, as written.
    pub last_used: Option<String>,
    /// `MaxSessionDuration` in seconds.
    pub max_session_duration: Option<i64>,
    /// File and line of the entry.
    pub source: Source,
}

/// An instance profile a role belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceProfile {
    /// `InstanceProfileName`.
    pub name: String,
    /// `Arn`.
    pub arn: Option<String>,
}

/// A managed policy attached to a user, group or role (`AttachedManagedPolicies` item).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// `PolicyName`.
    pub name: String,
    /// `PolicyArn`.
    pub arn: String,
}

/// An inline policy (`UserPolicyList`, `GroupPolicyList`, `RolePolicyList` item).
#[derive(Clone, Debug, PartialEq)]
pub struct InlinePolicy {
    /// `PolicyName`.
    pub name: String,
    /// `PolicyDocument` (absent when missing or unreadable; a diagnostic says why).
    pub document: Option<PolicyDocument>,
    /// File and line of the entry.
    pub source: Source,
}

/// A managed policy (`Policies` item).
#[derive(Clone, Debug, PartialEq)]
pub struct ManagedPolicy {
    /// `PolicyName`.
    pub name: String,
    /// `Arn` (`arn:aws:iam::aws:policy/…` for AWS-managed policies).
    pub arn: String,
    /// `PolicyId`.
    pub id: Option<String>,
    /// `Path`.
    pub path: Option<String>,
    /// `DefaultVersionId`.
    pub default_version_id: Option<String>,
    /// `AttachmentCount`.
    pub attachment_count: Option<i64>,
    /// `PermissionsBoundaryUsageCount`.
    pub permissions_boundary_usage_count: Option<i64>,
    /// `IsAttachable`.
    pub is_attachable: Option<bool>,
    /// `PolicyVersionList`.
    pub versions: Vec<PolicyVersion>,
    /// File and line of the entry.
    pub source: Source,
}

impl ManagedPolicy {
    /// True for AWS-managed policies (`arn:aws:iam::aws:policy/…`, any partition).
    pub fn is_aws_managed(&self) -> bool {
        self.arn.split(':').nth(4) == Some("aws")
    }

    /// The document in force: the version marked `IsDefaultVersion`, else the one named by
    /// `DefaultVersionId`, else the only version.
    pub fn default_document(&self) -> Option<&PolicyDocument> {
        let by_flag = self.versions.iter().find(|v| v.is_default);
        let by_id = || {
            let id = self.default_version_id.as_deref()?;
            self.versions.iter().find(|v| v.version_id.as_deref() == Some(id))
        };
        let only = || if self.versions.len() == 1 { self.versions.first() } else { None };
        by_flag.or_else(by_id).or_else(only)?.document.as_ref()
    }
}

/// One version of a managed policy.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyVersion {
    /// `VersionId` (`v1`, `v2`…).
    pub version_id: Option<String>,
    /// `IsDefaultVersion`.
    pub is_default: bool,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `Document`.
    pub document: Option<PolicyDocument>,
}

/// An IAM policy document (identity policy or trust policy).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDocument {
    /// `Version` (`2012-10-17`).
    pub version: Option<String>,
    /// `Id`.
    pub id: Option<String>,
    /// `Statement` (an object or a list in the source; always a list here).
    pub statements: Vec<Statement>,
    /// True when the document was a URL-encoded (or otherwise string-embedded) JSON text.
    pub encoded: bool,
    /// File and line of the document (of the field holding it, when it was encoded).
    pub source: Source,
}

/// The effect of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
    /// Missing or some other text (kept as written; IAM rejects it, so it grants nothing).
    Other(String),
}

/// One statement of a policy document. Single strings are read as one-item lists.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action`.
    pub actions: Vec<String>,
    /// `NotAction`.
    pub not_actions: Vec<String>,
    /// `Resource`.
    pub resources: Vec<String>,
    /// `NotResource`.
    pub not_resources: Vec<String>,
    /// `Principal` or `NotPrincipal` as (kind, value): kind is `AWS`, `Service`, `Federated`,
    /// `CanonicalUser`…; `"Principal": "*"` gives `("*", "*")`.
    pub principals: Vec<(String, String)>,
    /// True when the principals came from `NotPrincipal`.
    pub not_principal: bool,
    /// `Condition` flattened to one entry per (operator, key).
    pub conditions: Vec<Condition>,
    /// Line of the statement (of the document field when it was encoded).
    pub line: u32,
}

impl Statement {
    /// True when `principals` allows everyone: `"*"` or `{"AWS": "*"}` (not for `NotPrincipal`).
    pub fn has_wildcard_principal(&self) -> bool {
        !self.not_principal && self.principals.iter().any(|(k, v)| v == "*" && (k == "*" || k == "AWS"))
    }
}

/// One condition of a statement: `"Condition": {operator: {key: value-or-list}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// Operator (`StringEquals`, `ForAnyValue:StringLike`, `Bool`…).
    pub operator: ConditionOperator,
    /// Condition key, as written (`aws:SourceArn`, `oidc.eks…/id/…:sub`…).
    pub key: String,
    /// Values (numbers and booleans in canonical text form).
    pub values: Vec<String>,
}

/// A condition operator: an optional set qualifier, the test, and `…IfExists`. IAM spells it
/// `[ForAllValues:|ForAnyValue:]<Test>[IfExists]`, case-sensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionOperator {
    /// `ForAllValues:` or `ForAnyValue:` (for multivalued keys).
    pub set: Option<SetQualifier>,
    /// The test.
    pub test: ConditionTest,
    /// `…IfExists`: the condition also holds when the key is absent from the request.
    pub if_exists: bool,
}

/// The set qualifier of a condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// `ForAllValues:`: every value of the key in the request passes the test (and so does a
    /// request without the key).
    ForAllValues,
    /// `ForAnyValue:`: at least one value of the key in the request passes the test.
    ForAnyValue,
}

/// The test of a condition operator. The tests the engine reasons about are named; every other
/// spelling is kept as written in `Other` (the whole operator, qualifiers included).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConditionTest {
    /// `StringEquals`.
    StringEquals,
    /// `StringNotEquals`.
    StringNotEquals,
    /// `StringEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringNotEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// `StringLike`.
    StringLike,
    /// `StringNotLike`.
    StringNotLike,
    /// `Bool`.
    Bool,
    /// `Null`.
    Null,
    /// Any other operator (numeric, date, IP address, ARN, binary… or a misspelling), as written.
    Other(String),
}

impl ConditionOperator {
    /// An operator as written. Anything that is not a named test with valid qualifiers is
    /// `Other`, with no qualifier, holding the whole text.
    pub fn parse(text: &str) -> ConditionOperator {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let test = match base {
            "StringEquals" => ConditionTest::StringEquals,
            "StringNotEquals" => ConditionTest::StringNotEquals,
            "StringEqualsIgnoreCase" => ConditionTest::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => ConditionTest::StringNotEqualsIgnoreCase,
            "StringLike" => ConditionTest::StringLike,
            "StringNotLike" => ConditionTest::StringNotLike,
            "Bool" => ConditionTest::Bool,
            // `Null` takes no `IfExists` and no set qualifier.
            "Null" if !if_exists && set.is_none() => ConditionTest::Null,
            _ => {
                return ConditionOperator {
                    set: None,
                    test: ConditionTest::Other(text.to_owned()),
                    if_exists: false,
                };
            }
        };
        ConditionOperator { set, test, if_exists }
    }

    /// True for a test that restricts the key to the listed values or patterns
    /// (`StringEquals`, `StringLike`, `StringEqualsIgnoreCase`, with any qualifier).
    pub fn is_positive_string_test(&self) -> bool {
        matches!(
            self.test,
            ConditionTest::StringEquals | ConditionTest::StringLike | ConditionTest::StringEqualsIgnoreCase
        )
    }

    /// True when the condition holds for a request without the key: `…IfExists`, or
    /// `ForAllValues:` (vacuously true on no values). `Null` and unknown operators are not
    /// judged here and give false.
    pub fn holds_when_key_absent(&self) -> bool {
        self.if_exists || self.set == Some(SetQualifier::ForAllValues)
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let test = match &self.test {
            ConditionTest::StringEquals => "StringEquals",
            ConditionTest::StringNotEquals => "StringNotEquals",
            ConditionTest::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            ConditionTest::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            ConditionTest::StringLike => "StringLike",
            ConditionTest::StringNotLike => "StringNotLike",
            ConditionTest::Bool => "Bool",
            ConditionTest::Null => "Null",
            ConditionTest::Other(text) => return f.write_str(text),
        };
        match self.set {
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            None => {}
        }
        f.write_str(test)?;
        if self.if_exists { f.write_str("IfExists") } else { Ok(()) }
    }
}

/// An access key of an IAM user (`list-access-keys` item, optionally joined with
/// `get-access-key-last-used`). The key id is an identifier, not the secret; the secret access
/// key is never read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    /// `UserName`.
    pub user: String,
    /// `AccessKeyId` (`AKIA…`).
    pub id: String,
    /// `Status` is `Active`.
    pub active: bool,
    /// `CreateDate`, as written.
    pub create_date: Option<String>,
    /// `AccessKeyLastUsed.LastUsedDate`, as written (`None`: never used, or not known).
    pub last_used_date: Option<String>,
    /// `AccessKeyLastUsed.ServiceName` (`N/A` is `None`).
    pub last_used_service: Option<String>,
    /// File and line of the entry.
    pub source: Source,
}

/// An IAM OIDC identity provider (`get-open-id-connect-provider` output, or the ARN alone from
/// `list-open-id-connect-providers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcProvider {
    /// The provider's ARN (`arn:aws:iam::<acct>:oidc-provider/<host/path>`).
    pub arn: String,
    /// `Url` (issuer host and path, without scheme), when known.
    pub url: Option<String>,
    /// `ClientIDList` (audiences).
    pub client_ids: Vec<String>,
    /// `ThumbprintList`.
    pub thumbprints: Vec<String>,
    /// File and line of the entry.
    pub source: Source,
}

/// An EKS Pod Identity association (`eks describe-pod-identity-association` or
/// `list-pod-identity-associations` item): pods of `service_account` in `namespace` of
/// `cluster` receive credentials of `role_arn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodIdentityAssociation {
    /// `clusterName`.
    pub cluster: String,
    /// `namespace`.
    pub namespace: String,
    /// `serviceAccount`.
    pub service_account: String,
    /// `roleArn` (absent in list output, which has no role).
    pub role_arn: Option<String>,
    /// `associationArn`.
    pub association_arn: Option<String>,
    /// File and line of the entry.
    pub source: Source,
}

/// One access key's columns in the credential report. `N/A` and empty cells are `None`; other
/// placeholders (`no_information`, `not_supported`) are kept as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessKeyReport {
    /// `access_key_N_active`.
    pub active: bool,
    /// `access_key_N_last_rotated` (creation or last change time).
    pub last_rotated: Option<String>,
    /// `access_key_N_last_used_date`.
    pub last_used_date: Option<String>,
    /// `access_key_N_last_used_region`.
    pub last_used_region: Option<String>,
    /// `access_key_N_last_used_service`.
    pub last_used_service: Option<String>,
}

/// One row of the IAM credential report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialReportRow {
    /// `user` (`<root_account>` for the root user).
    pub user: String,
    /// `arn`.
    pub arn: String,
    /// `user_creation_time`.
    pub user_creation_time: Option<String>,
    /// `password_enabled` (`true`, `false`, `not_supported`), as written.
    pub password_enabled: Option<String>,
    /// `password_last_used`.
    pub password_last_used: Option<String>,
    /// `mfa_active`.
    pub mfa_active: bool,
    /// `access_key_1_*` and `access_key_2_*`.
    pub access_keys: [AccessKeyReport; 2],
    /// `cert_1_active`, `cert_2_active`.
    pub certs_active: [bool; 2],
    /// File and line of the row.
    pub source: Source,
}

impl CredentialReportRow {
    /// True for the root user's row.
    pub fn is_root(&self) -> bool {
        self.user == "<root_account>" || self.arn.ends_with(":root")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_operators_parse_into_qualifier_test_and_if_exists() {
        let op = ConditionOperator::parse("ForAnyValue:StringLikeIfExists");
        assert_eq!(op.set, Some(SetQualifier::ForAnyValue));
        assert_eq!(op.test, ConditionTest::StringLike);
        assert!(op.if_exists && op.is_positive_string_test() && op.holds_when_key_absent());

        let op = ConditionOperator::parse("ForAllValues:StringEquals");
        assert_eq!((op.set, op.if_exists), (Some(SetQualifier::ForAllValues), false));
        assert!(op.is_positive_string_test() && op.holds_when_key_absent());

        let op = ConditionOperator::parse("StringEqualsIgnoreCase");
        assert!(op.is_positive_string_test() && !op.holds_when_key_absent());
        for negative in ["StringNotEquals", "StringNotLike", "Bool", "Null", "ArnLike", "NumericLessThan"] {
            assert!(!ConditionOperator::parse(negative).is_positive_string_test(), "{negative}");
        }
        // IAM is case-sensitive; a misspelling or an unknown qualifier is kept whole as `Other`.
        for other in ["stringequals", "ForSomeValues:StringEquals", "NullIfExists", "DateEquals"] {
            let op = ConditionOperator::parse(other);
            assert_eq!(op.test, ConditionTest::Other(other.to_owned()), "{other}");
            assert!(op.set.is_none() && !op.if_exists && !op.is_positive_string_test());
        }
    }

    #[test]
    fn condition_operators_display_as_written() {
        for text in [
            "StringEquals",
            "ForAllValues:StringLike",
            "ForAnyValue:StringEqualsIgnoreCaseIfExists",
            "BoolIfExists",
            "Null",
            "IpAddress",
            "ArnLikeIfExists",
        ] {
            assert_eq!(ConditionOperator::parse(text).to_string(), text);
        }
    }
}
