//! Generates a synthetic AWS account (IAM) for benchmarks, to be scanned alone or next to a
//! workload estate written by `gen_estate.rs`.
//!
//! ```text
//! cargo run --release --example gen_iam -- --roles 5000 --users 2000 --policies 10000 \
//!     --out target/bench-estates/iam-s1 [--seed 1] [--workload-estate-size 10000]
//! ```
//!
//! Written into `--out` (the same arguments always give byte-identical files):
//! - `account-authorization-details-NN.json`: `aws iam get-account-authorization-details` output
//!   as a paged download leaves it: pages of at most 500 users, groups, roles or policies, each
//!   page holding the four lists (`UserDetailList`, `GroupDetailList`, `RoleDetailList`,
//!   `Policies`), `IsTruncated` and, but for the last page, a `Marker`. JSON is indented by four
//!   spaces like the CLI's. About a fifth of the policy documents (trust policies, inline
//!   policies, managed policy versions) are URL-encoded JSON strings, as the raw API returns them;
//! - `credential_report.csv`: the IAM credential report (the real header, a `<root_account>` row
//!   and one row per user), dates spread over the four years before 2026-11-25;
//! - `oidc-providers.json`: `aws iam list-open-id-connect-providers` output (the EKS cluster's
//!   issuer and GitHub Actions);
//! - `pod-identity-associations.yaml`: `aws eks describe-pod-identity-association` outputs, one
//!   YAML document each.
//!
//! Shape:
//! - managed policies: a few permissions boundaries, then customer-managed policies of a team
//!   and an application with 1–3 versions (one default), 1–4 statements of service-scoped
//!   actions on specific ARNs (S3, DynamoDB, SQS, SNS, Secrets Manager, SSM, KMS, logs, ECR…),
//!   sometimes with conditions; ~10% carry an explicit `Deny` guardrail, ~1% allow everything
//!   but IAM through `NotAction`, ~3.6% are dangerous (`*`, `iam:*`, `iam:PassRole` on `*` with a
//!   way to run code, IAM escalation actions on `*`). A few popular platform policies take a
//!   third of all attachments;
//! - roles: trust ~40% IRSA (the EKS issuer, `sub` naming a service account that exists in the
//!   estate gen_estate.rs writes for `--workload-estate-size` and `--seed`, a few with several
//!   subjects, a `StringLike` wildcard or no `sub` at all), ~10% GitHub Actions, ~25% AWS
//!   services (EC2, Lambda, ECS tasks, EKS Pod Identity), ~21% the account root, ~3% role or
//!   user ARNs, ~1% foreign accounts, ~0.2% anyone; a few service-linked roles. Each attaches
//!   1–5 managed policies (customer-managed and AWS-managed ones such as `ReadOnlyAccess`, whose
//!   documents are not in the download, as in a real one) and has 0–2 inline policies; ~30% have
//!   an instance profile, ~4% a permissions boundary. ~10% of roles and users may
//!   `sts:AssumeRole` into `arn:aws:iam::<account>:role/<prefix>-*`;
//! - users: service users, CI users and people, with 0–2 access keys, 0–3 of the ~users/10
//!   groups, attached and inline policies.
//!
//! The account is 123456789012, the one gen_estate.rs writes into IRSA annotations
//! (`eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/<workload>`); IRSA roles are
//! named after the workload whose service account they trust, so an estate and an account of the
//! same seed scanned together join up.
//!
//! Only std is used, so that the example compiles quickly.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "a generator prints the estate it writes, and its sizes are small counts"
)]

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;
use std::{env, fs, process};

#[path = "support/estate_plan.rs"]
mod estate_plan;
use estate_plan::{Account as SaAccount, Plan as EstatePlan, ROLES as APPS, Rng, SHARED_SA, TEAMS};

const USAGE: &str = "usage: gen_iam --roles N --users N --policies N --out DIR [--seed S] \
                     [--workload-estate-size W]";

/// Writes one line into a `String` (formatting into a `String` cannot fail).
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).expect("writing to a String cannot fail")
    };
}

fn main() {
    let args = match Args::parse(env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("gen_iam: {msg}\n{USAGE}");
            process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("gen_iam: {}: {e}", args.out.display());
        process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

struct Args {
    roles: usize,
    users: usize,
    policies: usize,
    out: PathBuf,
    seed: u64,
    estate_workloads: usize,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let (mut roles, mut users, mut policies, mut out) = (None, None, None, None);
        let (mut seed, mut estate_workloads) = (1, 10_000);
        let number = |flag: &str, v: String| -> Result<u64, String> {
            v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--roles" => roles = Some(number(&flag, value()?)? as usize),
                "--users" => users = Some(number(&flag, value()?)? as usize),
                "--policies" => policies = Some(number(&flag, value()?)? as usize),
                "--out" => out = Some(PathBuf::from(value()?)),
                "--seed" => seed = number(&flag, value()?)?,
                "--workload-estate-size" => estate_workloads = number(&flag, value()?)? as usize,
                "-h" | "--help" => {
                    println!("{USAGE}");
                    process::exit(0);
                }
                other => return Err(format!("unknown argument: {other}")),
            }
        }
        let policies = policies.ok_or("--policies is required")?;
        if policies == 0 {
            return Err("--policies must be at least 1".to_owned());
        }
        if estate_workloads == 0 {
            return Err("--workload-estate-size must be at least 1".to_owned());
        }
        Ok(Args {
            roles: roles.ok_or("--roles is required")?,
            users: users.ok_or("--users is required")?,
            policies,
            out: out.ok_or("--out is required")?,
            seed,
            estate_workloads,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness: gen_estate.rs's generator (examples/support/estate_plan.rs), with
// what this generator adds
// ---------------------------------------------------------------------------------------------

impl Rng {
    /// [`Rng::fork`] for one of this generator's own streams (roles, users, policies…), kept
    /// apart from the streams gen_estate.rs forks from the same seed.
    fn stream(seed: u64, stream: u64, index: usize) -> Rng {
        Rng::fork(seed ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93), index)
    }

    /// Uniform in `lo..=hi` for days (which may be negative relative offsets).
    fn day_between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo { lo } else { lo + self.below((hi - lo + 1) as usize) as i64 }
    }

    /// Random text over `alphabet`.
    fn text(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| self.pick(alphabet) as char).collect()
    }

    /// An IAM unique id: a four-letter prefix (`AROA`, `AIDA`…) and 17 uppercase letters and
    /// digits.
    fn iam_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.text(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17))
    }
}

// ---------------------------------------------------------------------------------------------
// The workload estate's service accounts, from gen_estate.rs's own plan
// ---------------------------------------------------------------------------------------------

/// A ServiceAccount object of the estate.
#[derive(Clone)]
struct EstateAccount {
    namespace: String,
    name: String,
}

/// The ServiceAccount objects that gen_estate.rs writes for `workloads` and `seed`: one per
/// workload with an account of its own, and the shared one in every namespace where a workload
/// uses it. (`default` accounts are never written as objects, so they are left out.)
fn estate_accounts(workloads: usize, seed: u64) -> Vec<EstateAccount> {
    let plan = EstatePlan::new(workloads, seed);
    let mut out = Vec::new();
    for ns in &plan.namespaces {
        let mut shared = false;
        for w in &plan.workloads[ns.workloads.clone()] {
            match w.account {
                SaAccount::Own => {
                    out.push(EstateAccount { namespace: ns.name.clone(), name: w.name.clone() });
                }
                SaAccount::Default => {}
                SaAccount::Shared => shared = true,
            }
        }
        if shared {
            out.push(EstateAccount { namespace: ns.name.clone(), name: SHARED_SA.to_owned() });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The scan reference date the benchmarks pass as `--now`: dates are spread before it.
fn reference_day() -> i64 {
    days_from_civil(2026, 11, 25)
}

/// A timestamp as the AWS CLI prints it (`2024-03-01T10:22:33+00:00`), on `day` at a random
/// time of day.
fn timestamp(rng: &mut Rng, day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    let secs = rng.below(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00", secs / 3600, secs / 60 % 60, secs % 60)
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// A JSON value, built in memory and then written out.
enum J {
    Str(String),
    Num(i64),
    Bool(bool),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    /// A policy document written as the raw IAM API returns it: its compact JSON, URL-encoded,
    /// as a string.
    Encoded(Box<J>),
}

fn s(text: impl Into<String>) -> J {
    J::Str(text.into())
}

fn obj(pairs: Vec<(&str, J)>) -> J {
    J::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn list(items: impl IntoIterator<Item = String>) -> J {
    J::Arr(items.into_iter().map(J::Str).collect())
}

/// One string as itself, several as a list (IAM accepts both; real documents mix them).
fn one_or_list(mut items: Vec<String>) -> J {
    if items.len() == 1 { J::Str(items.remove(0)) } else { list(items) }
}

/// Writes JSON values: indented by four spaces (`indent: true`, the AWS CLI's layout) or
/// compact, counting the URL-encoded documents it writes.
struct JsonWriter {
    out: String,
    encoded: usize,
}

impl JsonWriter {
    fn new() -> JsonWriter {
        JsonWriter { out: String::new(), encoded: 0 }
    }

    fn value(&mut self, v: &J, indent: Option<usize>) {
        match v {
            J::Str(text) => push_json_string(&mut self.out, text),
            J::Num(n) => write!(self.out, "{n}").expect("writing to a String cannot fail"),
            J::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            J::Arr(items) if items.is_empty() => self.out.push_str("[]"),
            J::Obj(entries) if entries.is_empty() => self.out.push_str("{}"),
            J::Arr(items) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.separator(i, indent);
                    self.value(item, indent.map(|n| n + 4));
                }
                self.close(']', indent);
            }
            J::Obj(entries) => {
                self.out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    self.separator(i, indent);
                    push_json_string(&mut self.out, key);
                    self.out.push_str(if indent.is_some() { ": " } else { ":" });
                    self.value(item, indent.map(|n| n + 4));
                }
                self.close('}', indent);
            }
            J::Encoded(doc) => {
                let mut compact = JsonWriter::new();
                compact.value(doc, None);
                self.encoded += 1;
                push_json_string(&mut self.out, &percent_encode(&compact.out));
            }
        }
    }

    /// What goes before item `i` of a list or object: a comma after the first, then a new line
    /// indented one level deeper when indenting.
    fn separator(&mut self, i: usize, indent: Option<usize>) {
        if i > 0 {
            self.out.push(',');
        }
        if let Some(n) = indent {
            self.out.push('\n');
            self.pad(n + 4);
        }
    }

    fn close(&mut self, bracket: char, indent: Option<usize>) {
        if let Some(n) = indent {
            self.out.push('\n');
            self.pad(n);
        }
        self.out.push(bracket);
    }

    fn pad(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).expect("writing to a String"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// RFC 3986 percent-encoding: every byte but the unreserved `A-Z a-z 0-9 - _ . ~` as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            write!(out, "%{b:02X}").expect("writing to a String cannot fail");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The account: constants and names
// ---------------------------------------------------------------------------------------------

/// The account gen_estate.rs names in its IRSA annotations.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";
const CLUSTER: &str = "bench-eu-1";
const GITHUB_ISSUER: &str = "token.actions.githubusercontent.com";
const GITHUB_ORG: &str = "acme";
/// Files hold at most this many users, groups, roles or policies, like a paged download.
const PAGE: usize = 500;

/// AWS-managed policies attached by ARN (the download leaves their documents out).
const AWS_READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const AWS_ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const AWS_POWER_USER: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
const AWS_SOMETIMES: &[&str] = &[
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
    "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
    "arn:aws:iam::aws:policy/SecretsManagerReadWrite",
];

/// Service-linked roles: name, service principal, AWS-managed policy (under `aws-service-role/`).
const SERVICE_LINKED: &[(&str, &str, &str)] = &[
    ("AWSServiceRoleForAmazonEKS", "eks.amazonaws.com", "AmazonEKSServiceRolePolicy"),
    (
        "AWSServiceRoleForAmazonEKSNodegroup",
        "eks-nodegroup.amazonaws.com",
        "AWSServiceRoleForAmazonEKSNodegroup",
    ),
    ("AWSServiceRoleForAutoScaling", "autoscaling.amazonaws.com", "AutoScalingServiceRolePolicy"),
    (
        "AWSServiceRoleForElasticLoadBalancing",
        "elasticloadbalancing.amazonaws.com",
        "AWSElasticLoadBalancingServiceRolePolicy",
    ),
    ("AWSServiceRoleForECS", "ecs.amazonaws.com", "AmazonECSServiceRolePolicy"),
    ("AWSServiceRoleForRDS", "rds.amazonaws.com", "AmazonRDSServiceRolePolicy"),
    ("AWSServiceRoleForSupport", "support.amazonaws.com", "AWSSupportServiceRolePolicy"),
    ("AWSServiceRoleForTrustedAdvisor", "trustedadvisor.amazonaws.com", "AWSTrustedAdvisorServiceRolePolicy"),
    ("AWSServiceRoleForOrganizations", "organizations.amazonaws.com", "AWSOrganizationsServiceTrustPolicy"),
    ("AWSServiceRoleForAmazonGuardDuty", "guardduty.amazonaws.com", "AmazonGuardDutyServiceRolePolicy"),
    ("AWSServiceRoleForConfig", "config.amazonaws.com", "AWSConfigServiceRolePolicy"),
    ("AWSServiceRoleForAccessAnalyzer", "access-analyzer.amazonaws.com", "AccessAnalyzerServiceRolePolicy"),
    ("AWSServiceRoleForSSO", "sso.amazonaws.com", "AWSSSOServiceRolePolicy"),
    (
        "AWSServiceRoleForAmazonElasticFileSystem",
        "elasticfilesystem.amazonaws.com",
        "AmazonElasticFileSystemServiceRolePolicy",
    ),
];

/// Prefixes of the roles that trust the account root; `sts:AssumeRole` grants name them as
/// `role/<prefix>-*`.
const ROOT_ROLE_KINDS: &[&str] = &["deploy", "ops", "readonly", "terraform", "data", "support"];

fn role_arn(path: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role{path}{name}")
}

fn user_arn(path: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user{path}{name}")
}

/// Names already handed out, so that every role (or user, or group) gets its own.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    /// `name`, or `name-2`, `name-3`… when taken.
    fn unique(&mut self, name: String) -> String {
        if self.0.insert(name.clone()) {
            return name;
        }
        (2..).map(|i| format!("{name}-{i}")).find(|n| self.0.insert(n.clone())).expect("unbounded")
    }
}

/// What is fixed for the whole account.
struct Account {
    /// The EKS cluster's OIDC issuer (`oidc.eks.eu-west-1.amazonaws.com/id/<ID>`).
    eks_issuer: String,
    /// Other accounts that some roles trust (partners, a security tooling vendor).
    foreign_accounts: Vec<String>,
    /// The AWS Organization id (`aws:PrincipalOrgID` conditions).
    org_id: String,
}

impl Account {
    fn new(seed: u64) -> Account {
        let mut rng = Rng::stream(seed, 1, 0);
        let id = rng.text(b"0123456789ABCDEF", 32);
        let foreign_accounts =
            (0..4).map(|_| format!("{}", 100_000_000_000 + rng.below(899_999_999_999))).collect();
        Account {
            eks_issuer: format!("oidc.eks.{REGION}.amazonaws.com/id/{id}"),
            foreign_accounts,
            org_id: format!("o-{}", rng.text(b"abcdefghijklmnopqrstuvwxyz0123456789", 10)),
        }
    }

    fn eks_provider_arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{}", self.eks_issuer)
    }

    fn github_provider_arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB_ISSUER}")
    }
}

// ---------------------------------------------------------------------------------------------
// Policy documents
// ---------------------------------------------------------------------------------------------

/// A statement. `actions` go under `NotAction` when `not_action`.
fn statement(
    effect: &str,
    actions: Vec<String>,
    not_action: bool,
    resources: Vec<String>,
) -> Vec<(&'static str, J)> {
    vec![
        ("Effect", s(effect)),
        (if not_action { "NotAction" } else { "Action" }, one_or_list(actions)),
        ("Resource", one_or_list(resources)),
    ]
}

fn allow(actions: &[&str], resources: Vec<String>) -> J {
    J::Obj(
        statement("Allow", strings(actions), false, resources)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// A statement with a `Sid` and a `Condition` (either may be `None`).
fn full_statement(
    sid: Option<String>,
    effect: &str,
    actions: &[&str],
    not_action: bool,
    resources: Vec<String>,
    condition: Option<J>,
) -> J {
    let mut entries: Vec<(String, J)> = Vec::new();
    if let Some(sid) = sid {
        entries.push(("Sid".to_owned(), s(sid)));
    }
    entries.extend(
        statement(effect, strings(actions), not_action, resources)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v)),
    );
    if let Some(c) = condition {
        entries.push(("Condition".to_owned(), c));
    }
    J::Obj(entries)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A condition with one operator and one key.
fn condition(operator: &str, key: &str, value: J) -> J {
    obj(vec![(operator, obj(vec![(key, value)]))])
}

/// A policy document; a few put a lone statement as an object instead of a list.
fn document(rng: &mut Rng, mut statements: Vec<J>) -> J {
    let statement =
        if statements.len() == 1 && rng.chance(0.1) { statements.remove(0) } else { J::Arr(statements) };
    obj(vec![("Version", s("2012-10-17")), ("Statement", statement)])
}

/// The document as the CLI prints it (an object), or for ~20% as the raw API returns it.
fn maybe_encoded(rng: &mut Rng, doc: J) -> J {
    if rng.chance(0.2) { J::Encoded(Box::new(doc)) } else { doc }
}

/// What a policy's statements are about.
const THEMES: &[&str] = &[
    "s3-read",
    "s3-write",
    "dynamodb",
    "sqs-consumer",
    "sqs-producer",
    "sns-publish",
    "secrets-read",
    "ssm-read",
    "kms",
    "logs",
    "metrics",
    "ecr-pull",
    "lambda-invoke",
    "ec2-describe",
    "deploy",
    "self-service",
];

/// Statements granting an application `app` of `team` the access a theme stands for, on the
/// ARNs of its resources.
fn theme_statements(rng: &mut Rng, theme: &str, team: &str, app: &str) -> Vec<J> {
    let env = rng.pick(&["prod", "prod", "staging", "dev"]);
    let bucket =
        format!("acme-{team}-{app}-{}-{env}", rng.pick(&["data", "uploads", "exports", "artifacts"]));
    let sid = |rng: &mut Rng, text: &str| rng.chance(0.4).then(|| text.to_owned());
    match theme {
        "s3-read" => {
            let prefix =
                rng.chance(0.3).then(|| condition("StringLike", "s3:prefix", list([format!("{app}/*")])));
            vec![
                full_statement(
                    sid(rng, "ListBucket"),
                    "Allow",
                    &["s3:ListBucket"],
                    false,
                    vec![format!("arn:aws:s3:::{bucket}")],
                    prefix,
                ),
                allow(&["s3:GetObject", "s3:GetObjectVersion"], vec![format!("arn:aws:s3:::{bucket}/*")]),
            ]
        }
        "s3-write" => {
            let sloppy = rng.chance(0.05);
            let actions: &[&str] = if sloppy {
                &["s3:*"]
            } else {
                &["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
            };
            let mut out = vec![allow(
                actions,
                vec![format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            )];
            if rng.chance(0.3) {
                // Refuse requests without TLS: an explicit Deny under a condition.
                out.push(full_statement(
                    Some("DenyInsecureTransport".to_owned()),
                    "Deny",
                    &["s3:*"],
                    false,
                    vec![format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                    Some(condition("Bool", "aws:SecureTransport", s("false"))),
                ));
            }
            out
        }
        "dynamodb" => {
            let table = format!(
                "arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{app}-{}",
                rng.pick(&["orders", "state", "sessions", "events", "items"])
            );
            let n = rng.between(3, 6);
            let actions = &[
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:BatchGetItem",
                "dynamodb:DeleteItem",
            ][..n];
            vec![allow(actions, vec![table.clone(), format!("{table}/index/*")])]
        }
        "sqs-consumer" | "sqs-producer" => {
            let queue = format!(
                "arn:aws:sqs:{REGION}:{ACCOUNT}:{app}-{}-{env}",
                rng.pick(&["events", "jobs", "tasks", "dlq"])
            );
            let actions: &[&str] = if theme == "sqs-consumer" {
                &[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ChangeMessageVisibility",
                ]
            } else {
                &["sqs:SendMessage", "sqs:GetQueueUrl"]
            };
            vec![allow(actions, vec![queue])]
        }
        "sns-publish" => {
            vec![allow(
                &["sns:Publish"],
                vec![format!(
                    "arn:aws:sns:{REGION}:{ACCOUNT}:{team}-{}",
                    rng.pick(&["alerts", "events", "notifications"])
                )],
            )]
        }
        "secrets-read" => {
            let resource = if rng.chance(0.6) {
                format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{team}/{app}/*")
            } else {
                format!(
                    "arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{team}/{app}/{}-{}",
                    rng.pick(&["db", "api-key", "oauth"]),
                    rng.text(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 6)
                )
            };
            vec![full_statement(
                sid(rng, "ReadAppSecrets"),
                "Allow",
                &["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                false,
                vec![resource],
                None,
            )]
        }
        "ssm-read" => vec![allow(
            &["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            vec![format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{team}/{app}/*")],
        )],
        "kms" => {
            let key = format!(
                "arn:aws:kms:{REGION}:{ACCOUNT}:key/{}-{}-4{}-{}-{}",
                rng.hex(8),
                rng.hex(4),
                rng.hex(3),
                rng.hex(4),
                rng.hex(12)
            );
            let via = rng.chance(0.4).then(|| {
                condition(
                    "StringEquals",
                    "kms:ViaService",
                    list([
                        format!("secretsmanager.{REGION}.amazonaws.com"),
                        format!("s3.{REGION}.amazonaws.com"),
                    ]),
                )
            });
            vec![full_statement(
                sid(rng, "UseDataKey"),
                "Allow",
                &["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                false,
                vec![key],
                via,
            )]
        }
        "logs" => vec![allow(
            &["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            vec![format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/{team}/{app}*:*")],
        )],
        "metrics" => vec![
            full_statement(
                None,
                "Allow",
                &["cloudwatch:PutMetricData"],
                false,
                vec!["*".to_owned()],
                Some(condition("StringEquals", "cloudwatch:namespace", s(format!("Acme/{app}")))),
            ),
            allow(&["xray:PutTraceSegments", "xray:PutTelemetryRecords"], vec!["*".to_owned()]),
        ],
        "ecr-pull" => vec![
            allow(&["ecr:GetAuthorizationToken"], vec!["*".to_owned()]),
            allow(
                &["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                vec![format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{team}/{app}")],
            ),
        ],
        "lambda-invoke" => vec![allow(
            &["lambda:InvokeFunction"],
            vec![format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{team}-{app}-*")],
        )],
        "ec2-describe" => vec![allow(&["ec2:Describe*", "autoscaling:Describe*"], vec!["*".to_owned()])],
        "deploy" => vec![
            allow(
                &[
                    "ecs:UpdateService",
                    "ecs:DescribeServices",
                    "ecs:RegisterTaskDefinition",
                    "ecs:DescribeTaskDefinition",
                ],
                vec![
                    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{team}-{env}/{app}"),
                    format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{app}:*"),
                ],
            ),
            full_statement(
                Some("PassTaskRoles".to_owned()),
                "Allow",
                &["iam:PassRole"],
                false,
                vec![role_arn("/", &format!("{team}-*"))],
                Some(condition("StringEquals", "iam:PassedToService", s("ecs-tasks.amazonaws.com"))),
            ),
        ],
        // Users managing their own credentials: scoped to themselves by a policy variable.
        _ => vec![allow(
            &[
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:ChangePassword",
            ],
            vec![format!("arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")],
        )],
    }
}

/// An explicit `Deny` guardrail as teams add them to their policies.
fn guardrail(rng: &mut Rng) -> J {
    match rng.below(4) {
        // Keep to the approved regions (global services exempt).
        0 | 1 => full_statement(
            Some("DenyOutsideApprovedRegions".to_owned()),
            "Deny",
            &["iam:*", "sts:*", "route53:*", "cloudfront:*", "support:*", "organizations:*"],
            true,
            vec!["*".to_owned()],
            Some(condition(
                "StringNotEquals",
                "aws:RequestedRegion",
                list([REGION.to_owned(), "eu-central-1".to_owned()]),
            )),
        ),
        2 => full_statement(
            Some("DenyIamWrites".to_owned()),
            "Deny",
            &[
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:AttachRolePolicy",
                "iam:PutRolePolicy",
                "iam:CreatePolicyVersion",
                "iam:UpdateAssumeRolePolicy",
            ],
            false,
            vec!["*".to_owned()],
            None,
        ),
        _ => full_statement(
            None,
            "Deny",
            &["kms:ScheduleKeyDeletion", "kms:DisableKey", "s3:DeleteBucket"],
            false,
            vec!["*".to_owned()],
            None,
        ),
    }
}

/// A grant to assume the roles of one prefix (`role/deploy-*`, `role/deploy-core-*`), rarely
/// every role (`*`).
fn assume_statement(rng: &mut Rng) -> J {
    let kind = rng.pick(ROOT_ROLE_KINDS);
    let resource = match rng.below(20) {
        0 => "*".to_owned(),
        1..10 => role_arn("/", &format!("{kind}-{}-*", rng.pick(TEAMS))),
        _ => role_arn("/", &format!("{kind}-*")),
    };
    full_statement(
        rng.chance(0.5).then(|| "AssumeTeamRoles".to_owned()),
        "Allow",
        &["sts:AssumeRole"],
        false,
        vec![resource],
        None,
    )
}

/// 1–3 statements for an application, for inline policies.
fn inline_document(rng: &mut Rng, team: &str, app: &str) -> J {
    let mut statements = Vec::new();
    for _ in 0..rng.between(1, 2) {
        let theme = rng.pick(THEMES);
        statements.extend(theme_statements(rng, theme, team, app));
    }
    if rng.chance(0.05) {
        statements.push(guardrail(rng));
    }
    document(rng, statements)
}

// ---------------------------------------------------------------------------------------------
// Managed policies
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Debug)]
enum Flavor {
    /// A permissions boundary (never attached as a policy).
    Boundary,
    Normal,
    /// `Action: *` on `Resource: *`.
    Admin,
    /// `iam:*` on `*`.
    IamStar,
    /// `iam:PassRole` on `*` with a way to run code.
    PassRole,
    /// IAM escalation actions on `*`.
    Escalation,
    /// Everything but IAM and Organizations (`NotAction`) on `*`.
    NotAction,
}

struct PolicyPlan {
    name: String,
    path: String,
    team: &'static str,
    app: &'static str,
    theme: &'static str,
    flavor: Flavor,
    /// Number of versions (1–3) and the index (0 = oldest) of the default one.
    versions: usize,
    default_version: usize,
    created: i64,
    attachments: usize,
    boundary_uses: usize,
}

impl PolicyPlan {
    fn arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:policy{}{}", self.path, self.name)
    }
}

/// The managed policies: boundaries first (one per team, up to one per thousand policies), then
/// team policies; the first 2% of those are the popular platform policies.
fn plan_policies(count: usize, seed: u64) -> Vec<PolicyPlan> {
    let boundaries = (count / 1000).clamp(1, TEAMS.len()).min(count);
    (0..count)
        .map(|i| {
            let mut rng = Rng::stream(seed, 2, i);
            let created = reference_day() - rng.between(30, 2500) as i64;
            let versions = match rng.below(100) {
                0..60 => 1,
                60..90 => 2,
                _ => 3,
            };
            let default_version = if rng.chance(0.9) { versions - 1 } else { rng.below(versions) };
            if i < boundaries {
                let team = TEAMS[i];
                return PolicyPlan {
                    name: format!("{team}-permissions-boundary"),
                    path: "/boundaries/".to_owned(),
                    team,
                    app: "boundary",
                    theme: "boundary",
                    flavor: Flavor::Boundary,
                    versions,
                    default_version,
                    created,
                    attachments: 0,
                    boundary_uses: 0,
                };
            }
            let (team, app) = (rng.pick(TEAMS), rng.pick(APPS));
            let popular = i < boundaries + popular_count(count);
            let flavor = match rng.below(1000) {
                _ if popular => Flavor::Normal,
                0..12 => Flavor::Admin,
                12..20 => Flavor::IamStar,
                20..28 => Flavor::PassRole,
                28..36 => Flavor::Escalation,
                36..46 => Flavor::NotAction,
                _ => Flavor::Normal,
            };
            let theme = rng.pick(THEMES);
            let what = match flavor {
                Flavor::Admin => "legacy-admin",
                Flavor::IamStar => "iam-manager",
                Flavor::PassRole => "launcher",
                Flavor::Escalation => "policy-manager",
                Flavor::NotAction => "poweruser",
                _ => theme,
            };
            let name = if popular {
                format!("platform-{what}-{i:05}")
            } else {
                format!("{team}-{app}-{what}-{i:05}")
            };
            let path = if rng.chance(0.2) { format!("/teams/{team}/") } else { "/".to_owned() };
            PolicyPlan {
                name,
                path,
                team,
                app,
                theme,
                flavor,
                versions,
                default_version,
                created,
                attachments: 0,
                boundary_uses: 0,
            }
        })
        .collect()
}

fn popular_count(policies: usize) -> usize {
    (policies / 50).max(1)
}

/// The statements of version `version` of policy `index`. All versions share the policy's
/// statements; an older version lacks the last one (or, now and then, was broader: `s3:*`), a
/// version newer than the default (a rollback) adds one.
fn policy_version_document(p: &PolicyPlan, index: usize, version: usize, seed: u64) -> J {
    let mut rng = Rng::stream(seed, 3, index);
    let (team, app) = (p.team, p.app);
    let mut statements = match p.flavor {
        Flavor::Boundary => boundary_statements(&mut rng),
        Flavor::Normal => {
            let mut out = theme_statements(&mut rng, p.theme, team, app);
            for _ in 0..rng.below(3) {
                let theme = rng.pick(THEMES);
                out.extend(theme_statements(&mut rng, theme, team, app));
            }
            if rng.chance(0.1) {
                out.push(guardrail(&mut rng));
            }
            out
        }
        Flavor::Admin => {
            let mfa = rng.chance(0.2).then(|| condition("Bool", "aws:MultiFactorAuthPresent", s("true")));
            vec![full_statement(
                Some("FullAccess".to_owned()),
                "Allow",
                &["*"],
                false,
                vec!["*".to_owned()],
                mfa,
            )]
        }
        Flavor::IamStar => {
            let mut out = vec![allow(&["iam:*"], vec!["*".to_owned()])];
            out.extend(theme_statements(&mut rng, "ec2-describe", team, app));
            out
        }
        Flavor::PassRole => vec![
            full_statement(
                Some("PassAnyRole".to_owned()),
                "Allow",
                &["iam:PassRole"],
                false,
                vec!["*".to_owned()],
                None,
            ),
            allow(
                rng.pick(&[
                    &["ec2:RunInstances", "ec2:Describe*", "ec2:CreateTags"][..],
                    &["lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:InvokeFunction"][..],
                    &["ecs:RunTask", "ecs:RegisterTaskDefinition"][..],
                    &["cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:Describe*"]
                        [..],
                ]),
                vec!["*".to_owned()],
            ),
        ],
        Flavor::Escalation => vec![allow(
            rng.pick(&[
                &[
                    "iam:CreatePolicyVersion",
                    "iam:SetDefaultPolicyVersion",
                    "iam:GetPolicy",
                    "iam:ListPolicyVersions",
                ][..],
                &["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"][..],
                &["iam:PutUserPolicy", "iam:CreateAccessKey", "iam:ListUsers"][..],
                &["iam:UpdateAssumeRolePolicy", "iam:GetRole"][..],
            ]),
            vec!["*".to_owned()],
        )],
        Flavor::NotAction => vec![
            full_statement(
                Some("EverythingButIam".to_owned()),
                "Allow",
                &["iam:*", "organizations:*", "account:*"],
                true,
                vec!["*".to_owned()],
                None,
            ),
            allow(
                &["iam:GetRole", "iam:ListRoles", "iam:PassRole"],
                vec![role_arn("/", &format!("{team}-*"))],
            ),
        ],
    };
    let mut tweak = Rng::stream(seed, 4, index * 4 + version);
    if version < p.default_version {
        if tweak.chance(0.05) {
            statements.push(allow(&["s3:*"], vec!["*".to_owned()]));
        } else if statements.len() > 1 {
            statements.pop();
        }
    } else if version > p.default_version {
        statements.extend(theme_statements(&mut tweak, "logs", team, app));
    }
    document(&mut rng, statements)
}

/// A permissions boundary: either everything but IAM changes, or a list of services.
fn boundary_statements(rng: &mut Rng) -> Vec<J> {
    let deny = full_statement(
        Some("NoIamChanges".to_owned()),
        "Deny",
        &[
            "iam:Create*",
            "iam:Put*",
            "iam:Attach*",
            "iam:Update*",
            "iam:Delete*",
            "iam:SetDefaultPolicyVersion",
            "iam:PassRole",
        ],
        false,
        vec!["*".to_owned()],
        None,
    );
    let allow_part = if rng.chance(0.5) {
        allow(&["*"], vec!["*".to_owned()])
    } else {
        allow(
            &[
                "s3:*",
                "dynamodb:*",
                "sqs:*",
                "sns:*",
                "logs:*",
                "cloudwatch:*",
                "xray:*",
                "secretsmanager:GetSecretValue",
                "ssm:GetParameter*",
                "kms:Decrypt",
                "ecr:*",
                "sts:AssumeRole",
            ],
            vec!["*".to_owned()],
        )
    };
    vec![allow_part, deny]
}

fn policy_json(p: &PolicyPlan, index: usize, seed: u64) -> J {
    let mut rng = Rng::stream(seed, 5, index);
    let version_days: Vec<i64> = (0..p.versions)
        .map(|v| p.created + (v as i64) * ((reference_day() - p.created) / (p.versions as i64 + 1)))
        .collect();
    let versions: Vec<J> = (0..p.versions)
        .rev()
        .map(|v| {
            let doc = policy_version_document(p, index, v, seed);
            obj(vec![
                ("Document", maybe_encoded(&mut rng, doc)),
                ("VersionId", s(format!("v{}", v + 1))),
                ("IsDefaultVersion", J::Bool(v == p.default_version)),
                ("CreateDate", s(timestamp(&mut rng, version_days[v]))),
            ])
        })
        .collect();
    obj(vec![
        ("PolicyName", s(p.name.clone())),
        ("PolicyId", s(rng.iam_id("ANPA"))),
        ("Arn", s(p.arn())),
        ("Path", s(p.path.clone())),
        ("DefaultVersionId", s(format!("v{}", p.default_version + 1))),
        ("AttachmentCount", J::Num(p.attachments as i64)),
        ("PermissionsBoundaryUsageCount", J::Num(p.boundary_uses as i64)),
        ("IsAttachable", J::Bool(true)),
        ("CreateDate", s(timestamp(&mut rng, p.created))),
        ("UpdateDate", s(timestamp(&mut rng, version_days[p.default_version]))),
        ("PolicyVersionList", J::Arr(versions)),
    ])
}

// ---------------------------------------------------------------------------------------------
// Attachments shared by roles, users and groups
// ---------------------------------------------------------------------------------------------

/// A managed policy attached to a principal.
#[derive(Clone, PartialEq)]
enum Attached {
    /// Index into the generated policies.
    Customer(usize),
    /// An AWS-managed policy's ARN.
    Aws(&'static str),
    /// The AWS-managed policy of a service-linked role, by name (under `aws-service-role/`).
    ServiceLinked(&'static str),
}

/// Picks customer-managed policies: a third from the popular platform policies, the rest from
/// all team policies; never a boundary, never twice for one principal.
struct PolicyPicker {
    first: usize,
    popular: usize,
    count: usize,
}

impl PolicyPicker {
    fn new(policies: &[PolicyPlan]) -> PolicyPicker {
        let first = policies.iter().take_while(|p| p.flavor == Flavor::Boundary).count();
        PolicyPicker { first, popular: popular_count(policies.len()), count: policies.len() }
    }

    /// Adds `n` customer policies to `out` (fewer when there are not enough).
    fn add(&self, rng: &mut Rng, n: usize, out: &mut Vec<Attached>) {
        if self.first >= self.count {
            return;
        }
        for _ in 0..n {
            for _ in 0..8 {
                let index = if rng.chance(0.35) {
                    self.first + rng.below(self.popular.min(self.count - self.first))
                } else {
                    rng.between(self.first, self.count - 1)
                };
                let pick = Attached::Customer(index);
                if !out.contains(&pick) {
                    out.push(pick);
                    break;
                }
            }
        }
    }

    /// A boundary policy, when there are any.
    fn boundary(&self, rng: &mut Rng) -> Option<usize> {
        (self.first > 0).then(|| rng.below(self.first))
    }
}

fn attached_json(a: &Attached, policies: &[PolicyPlan]) -> J {
    let (name, arn) = match a {
        Attached::Customer(i) => (policies[*i].name.clone(), policies[*i].arn()),
        Attached::Aws(arn) => (arn.rsplit('/').next().unwrap_or(arn).to_owned(), (*arn).to_owned()),
        Attached::ServiceLinked(name) => {
            ((*name).to_owned(), format!("arn:aws:iam::aws:policy/aws-service-role/{name}"))
        }
    };
    obj(vec![("PolicyName", s(name)), ("PolicyArn", s(arn))])
}

fn inline_json(inline: &[(String, J)]) -> J {
    J::Arr(
        inline
            .iter()
            .map(|(name, doc)| obj(vec![("PolicyName", s(name.clone())), ("PolicyDocument", copy(doc))]))
            .collect(),
    )
}

/// A deep copy: documents stay in the plan, the page being written gets its own.
fn copy(v: &J) -> J {
    match v {
        J::Str(t) => J::Str(t.clone()),
        J::Num(n) => J::Num(*n),
        J::Bool(b) => J::Bool(*b),
        J::Arr(items) => J::Arr(items.iter().map(copy).collect()),
        J::Obj(entries) => J::Obj(entries.iter().map(|(k, v)| (k.clone(), copy(v))).collect()),
        J::Encoded(doc) => J::Encoded(Box::new(copy(doc))),
    }
}

fn boundary_json(boundary: Option<usize>, policies: &[PolicyPlan]) -> Option<J> {
    boundary.map(|b| {
        obj(vec![
            ("PermissionsBoundaryType", s("PermissionsBoundaryPolicy")),
            ("PermissionsBoundaryArn", s(policies[b].arn())),
        ])
    })
}

fn tags_json(tags: &[(&str, String)]) -> J {
    J::Arr(tags.iter().map(|(k, v)| obj(vec![("Key", s(*k)), ("Value", s(v.clone()))])).collect())
}

// ---------------------------------------------------------------------------------------------
// Users and groups
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum UserKind {
    Service,
    Ci,
    Human,
}

struct KeyPlan {
    active: bool,
    created: i64,
    /// Day, region and service of the last use; `None`: never used.
    last_used: Option<(i64, &'static str, &'static str)>,
}

struct UserPlan {
    name: String,
    path: &'static str,
    id: String,
    kind: UserKind,
    team: &'static str,
    created: i64,
    groups: Vec<usize>,
    attached: Vec<Attached>,
    inline: Vec<(String, J)>,
    boundary: Option<usize>,
    keys: Vec<KeyPlan>,
    /// Console password: last used day (`None`: never).
    password: Option<Option<i64>>,
    mfa: bool,
}

struct GroupPlan {
    name: String,
    id: String,
    created: i64,
    attached: Vec<Attached>,
    inline: Vec<(String, J)>,
}

const GROUP_KINDS: &[(&str, usize)] = &[
    ("developers", 30),
    ("readonly", 25),
    ("deployers", 15),
    ("oncall", 12),
    ("analysts", 12),
    ("billing", 3),
    ("admins", 3),
];
const FIRST_NAMES: &[&str] =
    &["alex", "sam", "maria", "jonas", "li", "fatima", "noah", "emma", "omar", "yuki", "lea", "raj"];
const LAST_NAMES: &[&str] =
    &["schmidt", "garcia", "chen", "muller", "rossi", "kowalski", "smith", "nakamura", "silva", "novak"];
const KEY_SERVICES: &[&str] =
    &["s3", "sts", "dynamodb", "sqs", "secretsmanager", "ecr", "logs", "ssm", "ec2", "iam"];

fn plan_groups(count: usize, seed: u64, picker: &PolicyPicker) -> Vec<GroupPlan> {
    let mut names = Names::default();
    (0..count)
        .map(|i| {
            let mut rng = Rng::stream(seed, 6, i);
            let mut roll = rng.below(100);
            let kind = GROUP_KINDS
                .iter()
                .find(|(_, weight)| {
                    let hit = roll < *weight;
                    roll = roll.saturating_sub(*weight);
                    hit
                })
                .map_or("developers", |(k, _)| *k);
            let team = rng.pick(TEAMS);
            let mut attached = Vec::new();
            match kind {
                "admins" => attached.push(Attached::Aws(AWS_ADMIN)),
                "readonly" | "analysts" => attached.push(Attached::Aws(AWS_READ_ONLY)),
                _ => {}
            }
            let customer = rng.between(1, 3) - attached.len().min(1);
            picker.add(&mut rng, customer, &mut attached);
            let inline = if rng.chance(0.3) {
                let doc = if kind == "deployers" || rng.chance(0.2) {
                    let assume = assume_statement(&mut rng);
                    document(&mut rng, vec![assume])
                } else {
                    let app = rng.pick(APPS);
                    inline_document(&mut rng, team, app)
                };
                vec![(format!("{kind}-access"), maybe_encoded(&mut rng, doc))]
            } else {
                Vec::new()
            };
            GroupPlan {
                name: names.unique(format!("{team}-{kind}")),
                id: rng.iam_id("AGPA"),
                created: reference_day() - rng.between(200, 2800) as i64,
                attached,
                inline,
            }
        })
        .collect()
}

fn plan_users(count: usize, seed: u64, groups: &[GroupPlan], picker: &PolicyPicker) -> Vec<UserPlan> {
    let mut names = Names::default();
    let today = reference_day();
    (0..count)
        .map(|i| {
            let mut rng = Rng::stream(seed, 7, i);
            let kind = match rng.below(100) {
                0..65 => UserKind::Service,
                65..80 => UserKind::Ci,
                _ => UserKind::Human,
            };
            let (team, app) = (rng.pick(TEAMS), rng.pick(APPS));
            let (name, path) = match kind {
                UserKind::Service => {
                    (format!("svc-{app}-{team}"), if rng.chance(0.3) { "/system/" } else { "/" })
                }
                UserKind::Ci => (format!("ci-{team}-{app}"), "/ci/"),
                UserKind::Human => (format!("{}.{}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES)), "/"),
            };
            let name = names.unique(name);
            let created = today - rng.between(5, 2200) as i64;

            let mut member_of = Vec::new();
            let memberships = match kind {
                UserKind::Human => rng.between(1, 3),
                _ if rng.chance(0.3) => 1,
                _ => 0,
            };
            for _ in 0..memberships {
                if !groups.is_empty() {
                    let g = rng.below(groups.len());
                    if !member_of.contains(&g) {
                        member_of.push(g);
                    }
                }
            }

            let mut attached = Vec::new();
            let n_attached = match kind {
                UserKind::Human => usize::from(rng.chance(0.3)),
                UserKind::Ci => rng.between(1, 2),
                UserKind::Service => rng.between(0, 3),
            };
            if kind == UserKind::Human && rng.chance(0.02) {
                attached.push(Attached::Aws(AWS_ADMIN));
            }
            picker.add(&mut rng, n_attached, &mut attached);

            let mut inline = Vec::new();
            for k in 0..rng.between(0, 2).min(if kind == UserKind::Human { 1 } else { 2 }) {
                let doc = inline_document(&mut rng, team, app);
                inline.push((format!("{app}-inline-{}", k + 1), maybe_encoded(&mut rng, doc)));
            }
            let assume = if kind == UserKind::Ci { 0.4 } else { 0.08 };
            if rng.chance(assume) {
                let statement = assume_statement(&mut rng);
                let doc = document(&mut rng, vec![statement]);
                inline.push(("assume-roles".to_owned(), maybe_encoded(&mut rng, doc)));
            }
            let boundary = if rng.chance(0.02) { picker.boundary(&mut rng) } else { None };

            let key_count = match (kind, rng.below(100)) {
                (UserKind::Service, 0..10) | (UserKind::Human, 0..55) => 0,
                (UserKind::Service, 10..80) | (UserKind::Ci, 0..80) | (UserKind::Human, 55..90) => 1,
                _ => 2,
            };
            let keys = (0..key_count)
                .map(|k| {
                    let key_created = rng.day_between(created.max(today - 1460), today - 1);
                    let last_used = if rng.chance(0.08) {
                        None
                    } else {
                        let day = if rng.chance(0.65) {
                            rng.day_between(key_created.max(today - 14), today)
                        } else {
                            rng.day_between(key_created, today)
                        };
                        Some((
                            day,
                            rng.pick(&[REGION, REGION, REGION, "us-east-1", "eu-central-1"]),
                            rng.pick(KEY_SERVICES),
                        ))
                    };
                    KeyPlan {
                        active: rng.chance(if k == 0 { 0.85 } else { 0.6 }),
                        created: key_created,
                        last_used,
                    }
                })
                .collect();
            let password = (kind == UserKind::Human && rng.chance(0.9))
                .then(|| rng.chance(0.85).then(|| rng.day_between(created.max(today - 120), today)));
            UserPlan {
                name,
                path,
                id: rng.iam_id("AIDA"),
                kind,
                team,
                created,
                groups: member_of,
                attached,
                inline,
                boundary,
                keys,
                password,
                mfa: kind == UserKind::Human && rng.chance(0.85),
            }
        })
        .collect()
}

fn user_json(u: &UserPlan, groups: &[GroupPlan], policies: &[PolicyPlan], seed: u64, index: usize) -> J {
    let mut rng = Rng::stream(seed, 8, index);
    let mut entries = vec![
        ("Path", s(u.path)),
        ("UserName", s(u.name.clone())),
        ("UserId", s(u.id.clone())),
        ("Arn", s(user_arn(u.path, &u.name))),
        ("CreateDate", s(timestamp(&mut rng, u.created))),
        ("UserPolicyList", inline_json(&u.inline)),
        ("GroupList", list(u.groups.iter().map(|g| groups[*g].name.clone()))),
        ("AttachedManagedPolicies", J::Arr(u.attached.iter().map(|a| attached_json(a, policies)).collect())),
    ];
    if let Some(b) = boundary_json(u.boundary, policies) {
        entries.push(("PermissionsBoundary", b));
    }
    let kind = match u.kind {
        UserKind::Service => "service",
        UserKind::Ci => "ci",
        UserKind::Human => "person",
    };
    entries.push(("Tags", tags_json(&[("team", u.team.to_owned()), ("kind", kind.to_owned())])));
    obj(entries)
}

fn group_json(g: &GroupPlan, policies: &[PolicyPlan], seed: u64, index: usize) -> J {
    let mut rng = Rng::stream(seed, 9, index);
    obj(vec![
        ("Path", s("/")),
        ("GroupName", s(g.name.clone())),
        ("GroupId", s(g.id.clone())),
        ("Arn", s(format!("arn:aws:iam::{ACCOUNT}:group/{}", g.name))),
        ("CreateDate", s(timestamp(&mut rng, g.created))),
        ("GroupPolicyList", inline_json(&g.inline)),
        ("AttachedManagedPolicies", J::Arr(g.attached.iter().map(|a| attached_json(a, policies)).collect())),
    ])
}

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

/// Who a role trusts, for the summary.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum TrustKind {
    Irsa,
    GitHub,
    Ec2,
    Lambda,
    EcsTasks,
    PodIdentity,
    Root,
    RoleArn,
    Foreign,
    Anyone,
    ServiceLinked,
}

struct RolePlan {
    name: String,
    path: String,
    id: String,
    team: &'static str,
    kind: TrustKind,
    created: i64,
    trust: J,
    attached: Vec<Attached>,
    inline: Vec<(String, J)>,
    instance_profile: Option<String>,
    boundary: Option<usize>,
    last_used: Option<i64>,
}

/// An EKS Pod Identity association to write.
struct Association {
    account: EstateAccount,
    role: String,
    id: String,
    created: i64,
}

/// Hands out the estate's service accounts in a shuffled order, each once per lap; on later laps
/// the role names get a suffix (a small estate behind many roles).
struct AccountDeck {
    accounts: Vec<EstateAccount>,
    next: usize,
}

impl AccountDeck {
    fn new(mut accounts: Vec<EstateAccount>, seed: u64) -> AccountDeck {
        let mut rng = Rng::stream(seed, 10, 0);
        for i in (1..accounts.len()).rev() {
            accounts.swap(i, rng.below(i + 1));
        }
        AccountDeck { accounts, next: 0 }
    }

    /// The next account and the lap it was dealt in (0 for the first).
    fn deal(&mut self) -> (EstateAccount, usize) {
        let n = self.next;
        self.next += 1;
        (self.accounts[n % self.accounts.len()].clone(), n / self.accounts.len())
    }

    fn any(&self, rng: &mut Rng) -> &EstateAccount {
        &self.accounts[rng.below(self.accounts.len())]
    }

    fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

fn sa_subject(a: &EstateAccount) -> String {
    format!("system:serviceaccount:{}:{}", a.namespace, a.name)
}

fn trust_document(rng: &mut Rng, statements: Vec<J>) -> J {
    maybe_encoded(rng, obj(vec![("Version", s("2012-10-17")), ("Statement", J::Arr(statements))]))
}

fn principal_statement(principal: J, actions: &[&str], condition: Option<J>) -> J {
    let mut entries =
        vec![("Effect", s("Allow")), ("Principal", principal), ("Action", one_or_list(strings(actions)))];
    if let Some(c) = condition {
        entries.push(("Condition", c));
    }
    obj(entries)
}

struct RoleContext<'a> {
    account: &'a Account,
    picker: &'a PolicyPicker,
    users: &'a [UserPlan],
    deck: AccountDeck,
    names: Names,
    /// Names of the roles planned so far (for trust policies naming other roles).
    planned: Vec<String>,
    associations: Vec<Association>,
}

fn plan_roles(count: usize, seed: u64, ctx: &mut RoleContext<'_>) -> Vec<RolePlan> {
    let service_linked = (count / 300).clamp(usize::from(count > 0), SERVICE_LINKED.len()).min(count);
    let mut roles = Vec::with_capacity(count);
    for i in 0..count {
        let mut rng = Rng::stream(seed, 11, i);
        let role = match SERVICE_LINKED.get(i).filter(|_| i < service_linked) {
            Some(&linked) => service_linked_role(&mut rng, linked),
            None => plan_role(&mut rng, i, ctx),
        };
        ctx.planned.push(role.name.clone());
        roles.push(role);
    }
    roles
}

fn service_linked_role(
    rng: &mut Rng,
    (name, service, policy): (&str, &'static str, &'static str),
) -> RolePlan {
    let trust = trust_document(
        rng,
        vec![principal_statement(obj(vec![("Service", s(service))]), &["sts:AssumeRole"], None)],
    );
    RolePlan {
        name: name.to_owned(),
        path: format!("/aws-service-role/{service}/"),
        id: rng.iam_id("AROA"),
        team: "platform",
        kind: TrustKind::ServiceLinked,
        created: reference_day() - rng.between(900, 2500) as i64,
        trust,
        attached: vec![Attached::ServiceLinked(policy)],
        inline: Vec::new(),
        instance_profile: None,
        boundary: None,
        last_used: Some(reference_day() - rng.between(0, 3) as i64),
    }
}

fn plan_role(rng: &mut Rng, index: usize, ctx: &mut RoleContext<'_>) -> RolePlan {
    let today = reference_day();
    let (mut team, app) = (rng.pick(TEAMS), rng.pick(APPS));
    let roll = rng.below(1000);
    let kind = match roll {
        0..400 => TrustKind::Irsa,
        400..500 => TrustKind::GitHub,
        500..750 => match rng.below(100) {
            0..40 => TrustKind::Ec2,
            40..72 => TrustKind::Lambda,
            72..94 => TrustKind::EcsTasks,
            _ => TrustKind::PodIdentity,
        },
        750..780 => TrustKind::RoleArn,
        780..790 => TrustKind::Foreign,
        790..792 => TrustKind::Anyone,
        _ => TrustKind::Root,
    };
    // A tiny estate may have no ServiceAccount objects to name: such roles trust the account.
    let kind = match kind {
        TrustKind::Irsa | TrustKind::PodIdentity if ctx.deck.is_empty() => TrustKind::Root,
        other => other,
    };
    let mut path = "/".to_owned();
    let mut aws = Vec::new();
    let (name, trust) = match kind {
        TrustKind::Irsa => {
            let (sa, lap) = ctx.deck.deal();
            let base = if sa.name == "shared-runner" {
                format!("{}-{}", sa.namespace, sa.name)
            } else {
                sa.name.clone()
            };
            let name = if lap == 0 { base } else { format!("{base}-{}", lap + 1) };
            (name, irsa_trust(rng, ctx, &sa))
        }
        TrustKind::GitHub => github_role(rng, ctx.account, team, app, index),
        TrustKind::Ec2 | TrustKind::Lambda | TrustKind::EcsTasks | TrustKind::PodIdentity => {
            let (service, suffix) = match kind {
                TrustKind::Ec2 => ("ec2.amazonaws.com", "ec2"),
                TrustKind::Lambda => ("lambda.amazonaws.com", "lambda"),
                TrustKind::EcsTasks => ("ecs-tasks.amazonaws.com", "task"),
                _ => ("pods.eks.amazonaws.com", "pod"),
            };
            if kind != TrustKind::PodIdentity && rng.chance(0.2) {
                path = "/service-role/".to_owned();
            }
            let actions: &[&str] = if kind == TrustKind::PodIdentity {
                &["sts:AssumeRole", "sts:TagSession"]
            } else {
                &["sts:AssumeRole"]
            };
            let condition = (kind == TrustKind::EcsTasks && rng.chance(0.4))
                .then(|| condition("StringEquals", "aws:SourceAccount", s(ACCOUNT)));
            let trust = trust_document(
                rng,
                vec![principal_statement(obj(vec![("Service", s(service))]), actions, condition)],
            );
            match kind {
                TrustKind::Ec2 => {
                    if rng.chance(0.7) {
                        aws.push(Attached::Aws("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"));
                    }
                    if rng.chance(0.5) {
                        aws.push(Attached::Aws("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"));
                    }
                }
                TrustKind::Lambda => aws.push(Attached::Aws(if rng.chance(0.8) {
                    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                } else {
                    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
                })),
                TrustKind::EcsTasks if rng.chance(0.6) => aws.push(Attached::Aws(
                    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
                )),
                _ => {}
            }
            (format!("{team}-{app}-{suffix}-{index:05}"), trust)
        }
        TrustKind::Root => {
            let root_kind = rng.pick(ROOT_ROLE_KINDS);
            let mfa = rng.chance(0.3).then(|| condition("Bool", "aws:MultiFactorAuthPresent", s("true")));
            let trust = trust_document(
                rng,
                vec![principal_statement(
                    obj(vec![("AWS", s(format!("arn:aws:iam::{ACCOUNT}:root")))]),
                    &["sts:AssumeRole"],
                    mfa,
                )],
            );
            match root_kind {
                "readonly" | "support" => aws.push(Attached::Aws(AWS_READ_ONLY)),
                "ops" if rng.chance(0.08) => aws.push(Attached::Aws(AWS_ADMIN)),
                "ops" | "terraform" if rng.chance(0.05) => aws.push(Attached::Aws(AWS_POWER_USER)),
                _ => {}
            }
            // Root-trusting roles carry the team in second position: `deploy-core-00123`.
            team = rng.pick(TEAMS);
            (format!("{root_kind}-{team}-{index:05}"), trust)
        }
        TrustKind::RoleArn => {
            let mut principals = Vec::new();
            for _ in 0..rng.between(1, 2) {
                if !ctx.users.is_empty() && rng.chance(0.3) {
                    let u = &ctx.users[rng.below(ctx.users.len())];
                    principals.push(user_arn(u.path, &u.name));
                } else if !ctx.planned.is_empty() {
                    principals.push(role_arn("/", &ctx.planned[rng.below(ctx.planned.len())]));
                } else {
                    principals.push(format!("arn:aws:iam::{ACCOUNT}:root"));
                }
            }
            principals.dedup();
            let trust = trust_document(
                rng,
                vec![principal_statement(
                    obj(vec![("AWS", one_or_list(principals))]),
                    &["sts:AssumeRole", "sts:TagSession"],
                    None,
                )],
            );
            (format!("{team}-{app}-chained-{index:05}"), trust)
        }
        TrustKind::Foreign => {
            let foreign =
                rng.pick(&ctx.account.foreign_accounts.iter().map(String::as_str).collect::<Vec<_>>());
            let external =
                rng.chance(0.5).then(|| condition("StringEquals", "sts:ExternalId", s(rng.hex(24))));
            let trust = trust_document(
                rng,
                vec![principal_statement(
                    obj(vec![("AWS", s(format!("arn:aws:iam::{foreign}:root")))]),
                    &["sts:AssumeRole"],
                    external,
                )],
            );
            aws.push(Attached::Aws(AWS_READ_ONLY));
            (format!("partner-{}-{index:05}", rng.pick(&["audit", "monitoring", "backup", "finops"])), trust)
        }
        _ => {
            let org = rng
                .chance(0.5)
                .then(|| condition("StringEquals", "aws:PrincipalOrgID", s(ctx.account.org_id.clone())));
            let principal = if rng.chance(0.5) { s("*") } else { obj(vec![("AWS", s("*"))]) };
            let trust = trust_document(rng, vec![principal_statement(principal, &["sts:AssumeRole"], org)]);
            (format!("{team}-shared-access-{index:05}"), trust)
        }
    };
    let name = ctx.names.unique(name);
    if kind == TrustKind::PodIdentity {
        // One association, a few roles with two (service accounts sharing the role).
        for _ in 0..if rng.chance(0.15) { 2 } else { 1 } {
            let (account, _) = ctx.deck.deal();
            ctx.associations.push(Association {
                account,
                role: name.clone(),
                id: format!("a-{}", rng.hex(17)),
                created: today - rng.between(1, 600) as i64,
            });
        }
    }

    // 1–5 managed policies: the AWS-managed ones chosen above, rarely another, then customer
    // ones.
    let total = rng.between(1, 5);
    if rng.chance(0.1) {
        let extra = Attached::Aws(rng.pick(AWS_SOMETIMES));
        if !aws.contains(&extra) {
            aws.push(extra);
        }
    }
    aws.truncate(total);
    let customer = total - aws.len();
    let mut attached = aws;
    ctx.picker.add(rng, customer, &mut attached);

    let mut inline = Vec::new();
    let n_inline = match rng.below(100) {
        0..55 => 0,
        55..88 => 1,
        _ => 2,
    };
    for k in 0..n_inline {
        let doc = inline_document(rng, team, app);
        inline.push((format!("{app}-{}", ["access", "extra"][k]), maybe_encoded(rng, doc)));
    }
    if rng.chance(0.1) {
        let statement = assume_statement(rng);
        let doc = document(rng, vec![statement]);
        inline.truncate(1);
        inline.push(("assume-roles".to_owned(), maybe_encoded(rng, doc)));
    }

    let instance_profile = (kind == TrustKind::Ec2 || rng.chance(0.22)).then(|| name.clone());
    let boundary = if rng.chance(0.04) { ctx.picker.boundary(rng) } else { None };
    let created = today - rng.between(10, 2200) as i64;
    let last_used = rng.chance(0.75).then(|| rng.day_between(created.max(today - 400), today));
    RolePlan {
        name,
        path,
        id: rng.iam_id("AROA"),
        team,
        kind,
        created,
        trust,
        attached,
        inline,
        instance_profile,
        boundary,
        last_used,
    }
}

/// An IRSA trust policy for `sa`: mostly exactly that subject (with the audience), sometimes
/// more subjects (of the namespace or elsewhere), a wildcard, or no subject condition at all.
fn irsa_trust(rng: &mut Rng, ctx: &RoleContext<'_>, sa: &EstateAccount) -> J {
    let issuer = &ctx.account.eks_issuer;
    let sub_key = format!("{issuer}:sub");
    let aud_key = format!("{issuer}:aud");
    let aud = || s("sts.amazonaws.com");
    let condition = match rng.below(1000) {
        // No `sub`: every service account of the cluster.
        0..30 => obj(vec![("StringEquals", obj(vec![(&aud_key, aud())]))]),
        // Every service account of the namespace, or of that name in any namespace.
        30..50 => {
            let pattern = if rng.chance(0.8) {
                format!("system:serviceaccount:{}:*", sa.namespace)
            } else {
                format!("system:serviceaccount:*:{}", sa.name)
            };
            obj(vec![
                ("StringLike", obj(vec![(&sub_key, s(pattern))])),
                ("StringEquals", obj(vec![(&aud_key, aud())])),
            ])
        }
        // Several subjects: neighbours, or a service account of another namespace.
        50..100 => {
            let mut subjects = vec![sa_subject(sa)];
            for _ in 0..rng.between(1, 2) {
                let other = ctx.deck.any(rng);
                let subject = sa_subject(other);
                if !subjects.contains(&subject) {
                    subjects.push(subject);
                }
            }
            obj(vec![("StringEquals", obj(vec![(&sub_key, list(subjects)), (&aud_key, aud())]))])
        }
        _ => {
            let mut inner = vec![(sub_key.as_str(), s(sa_subject(sa)))];
            if rng.chance(0.85) {
                inner.push((&aud_key, aud()));
            }
            obj(vec![("StringEquals", obj(inner))])
        }
    };
    let statement = obj(vec![
        ("Effect", s("Allow")),
        ("Principal", obj(vec![("Federated", s(ctx.account.eks_provider_arn()))])),
        ("Action", s("sts:AssumeRoleWithWebIdentity")),
        ("Condition", condition),
    ]);
    trust_document(rng, vec![statement])
}

/// A role for GitHub Actions workflows of one repository: main branch, the production
/// environment, both production and staging, or wildcards.
fn github_role(rng: &mut Rng, account: &Account, team: &str, app: &str, index: usize) -> (String, J) {
    let repo = format!("{GITHUB_ORG}/{team}-{app}");
    let sub_key = format!("{GITHUB_ISSUER}:sub");
    let aud_key = format!("{GITHUB_ISSUER}:aud");
    let aud = || s("sts.amazonaws.com");
    let (suffix, condition) = match rng.below(100) {
        0..55 => {
            let op = if rng.chance(0.3) { "StringLike" } else { "StringEquals" };
            let sub = s(format!("repo:{repo}:ref:refs/heads/main"));
            let c = if op == "StringEquals" {
                obj(vec![(op, obj(vec![(&aud_key, aud()), (&sub_key, sub)]))])
            } else {
                obj(vec![("StringEquals", obj(vec![(&aud_key, aud())])), (op, obj(vec![(&sub_key, sub)]))])
            };
            ("deploy", c)
        }
        55..80 => (
            "prod",
            obj(vec![(
                "StringEquals",
                obj(vec![(&aud_key, aud()), (&sub_key, s(format!("repo:{repo}:environment:production")))]),
            )]),
        ),
        80..88 => (
            "release",
            obj(vec![(
                "StringEquals",
                obj(vec![
                    (&aud_key, aud()),
                    (
                        &sub_key,
                        list([
                            format!("repo:{repo}:environment:production"),
                            format!("repo:{repo}:environment:staging"),
                        ]),
                    ),
                ]),
            )]),
        ),
        88..95 => (
            "ci",
            obj(vec![
                ("StringEquals", obj(vec![(&aud_key, aud())])),
                ("StringLike", obj(vec![(&sub_key, s(format!("repo:{repo}:*")))])),
            ]),
        ),
        95..98 => (
            "org",
            obj(vec![
                ("StringEquals", obj(vec![(&aud_key, aud())])),
                ("StringLike", obj(vec![(&sub_key, s(format!("repo:{GITHUB_ORG}/*")))])),
            ]),
        ),
        _ => ("ci", obj(vec![("StringEquals", obj(vec![(&aud_key, aud())]))])),
    };
    let statement = obj(vec![
        ("Effect", s("Allow")),
        ("Principal", obj(vec![("Federated", s(account.github_provider_arn()))])),
        ("Action", s("sts:AssumeRoleWithWebIdentity")),
        ("Condition", condition),
    ]);
    (format!("github-{team}-{app}-{suffix}-{index:05}"), trust_document(rng, vec![statement]))
}

fn role_json(r: &RolePlan, policies: &[PolicyPlan], seed: u64, index: usize) -> J {
    let mut rng = Rng::stream(seed, 12, index);
    let arn = role_arn(&r.path, &r.name);
    let created = timestamp(&mut rng, r.created);
    let profiles = match &r.instance_profile {
        Some(name) => vec![obj(vec![
            ("Path", s("/")),
            ("InstanceProfileName", s(name.clone())),
            ("InstanceProfileId", s(rng.iam_id("AIPA"))),
            ("Arn", s(format!("arn:aws:iam::{ACCOUNT}:instance-profile/{name}"))),
            ("CreateDate", s(created.clone())),
            (
                "Roles",
                J::Arr(vec![obj(vec![
                    ("Path", s(r.path.clone())),
                    ("RoleName", s(r.name.clone())),
                    ("RoleId", s(r.id.clone())),
                    ("Arn", s(arn.clone())),
                    ("CreateDate", s(created.clone())),
                ])]),
            ),
        ])],
        None => Vec::new(),
    };
    let mut entries = vec![
        ("Path", s(r.path.clone())),
        ("RoleName", s(r.name.clone())),
        ("RoleId", s(r.id.clone())),
        ("Arn", s(arn)),
        ("CreateDate", s(created)),
        ("AssumeRolePolicyDocument", copy(&r.trust)),
        ("InstanceProfileList", J::Arr(profiles)),
        ("RolePolicyList", inline_json(&r.inline)),
        ("AttachedManagedPolicies", J::Arr(r.attached.iter().map(|a| attached_json(a, policies)).collect())),
    ];
    if let Some(b) = boundary_json(r.boundary, policies) {
        entries.push(("PermissionsBoundary", b));
    }
    entries.push(("Tags", tags_json(&[("team", r.team.to_owned()), ("managed-by", "terraform".to_owned())])));
    let last_used = match r.last_used {
        Some(day) => obj(vec![("LastUsedDate", s(timestamp(&mut rng, day))), ("Region", s(REGION))]),
        None => obj(Vec::new()),
    };
    entries.push(("RoleLastUsed", last_used));
    obj(entries)
}

// ---------------------------------------------------------------------------------------------
// Credential report, OIDC providers, Pod Identity associations
// ---------------------------------------------------------------------------------------------

const REPORT_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,\
password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,\
access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,\
access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,\
access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,\
cert_2_active,cert_2_last_rotated";

fn credential_report(users: &[UserPlan], seed: u64) -> String {
    let mut rng = Rng::stream(seed, 13, 0);
    let today = reference_day();
    let mut out = String::new();
    w!(out, "{REPORT_HEADER}");
    // The root user: MFA on, and an old access key still active (a finding most audits make).
    let root_created = timestamp(&mut rng, today - 2600);
    let root_key = timestamp(&mut rng, today - 2400);
    let root_login = timestamp(&mut rng, today - 40);
    w!(
        out,
        "<root_account>,arn:aws:iam::{ACCOUNT}:root,{root_created},not_supported,{root_login},not_supported,\
         not_supported,true,true,{root_key},N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
    );
    for u in users {
        let mut row = vec![u.name.clone(), user_arn(u.path, &u.name), timestamp(&mut rng, u.created)];
        match u.password {
            Some(last) => {
                row.push("true".to_owned());
                row.push(last.map_or_else(|| "N/A".to_owned(), |d| timestamp(&mut rng, d)));
                let changed = rng.day_between(u.created, today);
                row.push(timestamp(&mut rng, changed));
                row.push("N/A".to_owned());
            }
            None => row.extend(["false", "N/A", "N/A", "N/A"].map(str::to_owned)),
        }
        row.push(u.mfa.to_string());
        for k in 0..2 {
            match u.keys.get(k) {
                Some(key) => {
                    row.push(key.active.to_string());
                    row.push(timestamp(&mut rng, key.created));
                    match key.last_used {
                        Some((day, region, service)) => {
                            row.push(timestamp(&mut rng, day));
                            row.push(region.to_owned());
                            row.push(service.to_owned());
                        }
                        None => row.extend(["N/A", "N/A", "N/A"].map(str::to_owned)),
                    }
                }
                None => row.extend(["false", "N/A", "N/A", "N/A", "N/A"].map(str::to_owned)),
            }
        }
        row.extend(["false", "N/A", "false", "N/A"].map(str::to_owned));
        w!(out, "{}", row.join(","));
    }
    out
}

fn oidc_providers(account: &Account) -> String {
    let doc = obj(vec![(
        "OpenIDConnectProviderList",
        J::Arr(vec![
            obj(vec![("Arn", s(account.eks_provider_arn()))]),
            obj(vec![("Arn", s(account.github_provider_arn()))]),
        ]),
    )]);
    let mut w = JsonWriter::new();
    w.value(&doc, Some(0));
    w.out.push('\n');
    w.out
}

/// `describe-pod-identity-association` outputs as YAML documents.
fn pod_identity_file(associations: &[Association], seed: u64) -> String {
    let mut rng = Rng::stream(seed, 14, 0);
    let mut out = String::new();
    for a in associations {
        let created = timestamp(&mut rng, a.created);
        w!(out, "---");
        w!(out, "association:");
        w!(out, "  clusterName: {CLUSTER}");
        w!(out, "  namespace: {}", a.account.namespace);
        w!(out, "  serviceAccount: {}", a.account.name);
        w!(out, "  roleArn: {}", role_arn("/", &a.role));
        w!(out, "  associationArn: arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{CLUSTER}/{}", a.id);
        w!(out, "  associationId: {}", a.id);
        w!(out, "  tags: {{}}");
        w!(out, "  createdAt: \"{created}\"");
        w!(out, "  modifiedAt: \"{created}\"");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Main loop
// ---------------------------------------------------------------------------------------------

/// The whole account, planned before anything is written.
struct Plan {
    account: Account,
    policies: Vec<PolicyPlan>,
    groups: Vec<GroupPlan>,
    users: Vec<UserPlan>,
    roles: Vec<RolePlan>,
    associations: Vec<Association>,
    estate_accounts: usize,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let seed = args.seed;
        let account = Account::new(seed);
        let mut policies = plan_policies(args.policies, seed);
        let picker = PolicyPicker::new(&policies);
        let groups = plan_groups(args.users / 10 + usize::from(args.users > 0), seed, &picker);
        let users = plan_users(args.users, seed, &groups, &picker);
        let sas = estate_accounts(args.estate_workloads, seed);
        let estate_accounts = sas.len();
        let mut ctx = RoleContext {
            account: &account,
            picker: &picker,
            users: &users,
            deck: AccountDeck::new(sas, seed),
            names: Names::default(),
            planned: Vec::new(),
            associations: Vec::new(),
        };
        let roles = plan_roles(args.roles, seed, &mut ctx);
        let associations = ctx.associations;

        // Attachment and boundary counts, as the policies report them.
        let attached = users
            .iter()
            .flat_map(|u| &u.attached)
            .chain(groups.iter().flat_map(|g| &g.attached))
            .chain(roles.iter().flat_map(|r| &r.attached));
        for a in attached {
            if let Attached::Customer(i) = a {
                policies[*i].attachments += 1;
            }
        }
        for b in users.iter().filter_map(|u| u.boundary).chain(roles.iter().filter_map(|r| r.boundary)) {
            policies[b].boundary_uses += 1;
        }
        Plan { account, policies, groups, users, roles, associations, estate_accounts }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let started = Instant::now();
    let seed = args.seed;
    let plan = Plan::new(args);
    fs::create_dir_all(&args.out)?;

    let mut written = Vec::new();
    let mut bytes = 0;
    let mut emit = |name: String, text: &str| -> io::Result<()> {
        fs::write(args.out.join(&name), text)?;
        bytes += text.len();
        written.push(name);
        Ok(())
    };

    // GAAD pages of at most PAGE items: users (part 0), groups (1), roles (2), policies (3).
    let mut pages = Vec::new();
    let lengths = [plan.users.len(), plan.groups.len(), plan.roles.len(), plan.policies.len()];
    for (part, len) in lengths.into_iter().enumerate() {
        let mut start = 0;
        while start < len {
            let end = (start + PAGE).min(len);
            pages.push((part, start..end));
            start = end;
        }
    }
    let mut encoded = 0;
    let mut marker_rng = Rng::stream(seed, 15, 0);
    for (n, (part, range)) in pages.iter().enumerate() {
        let items: Vec<J> = range
            .clone()
            .map(|i| match part {
                0 => user_json(&plan.users[i], &plan.groups, &plan.policies, seed, i),
                1 => group_json(&plan.groups[i], &plan.policies, seed, i),
                2 => role_json(&plan.roles[i], &plan.policies, seed, i),
                _ => policy_json(&plan.policies[i], i, seed),
            })
            .collect();
        let mut lists: [Vec<J>; 4] = Default::default();
        lists[*part] = items;
        let [users, groups, roles, policies] = lists;
        let last = n + 1 == pages.len();
        let mut entries = vec![
            ("UserDetailList", J::Arr(users)),
            ("GroupDetailList", J::Arr(groups)),
            ("RoleDetailList", J::Arr(roles)),
            ("Policies", J::Arr(policies)),
            ("IsTruncated", J::Bool(!last)),
        ];
        if !last {
            let marker =
                marker_rng.text(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 120);
            entries.push(("Marker", s(marker)));
        }
        let mut w = JsonWriter::new();
        w.value(&obj(entries), Some(0));
        w.out.push('\n');
        encoded += w.encoded;
        emit(format!("account-authorization-details-{:02}.json", n + 1), &w.out)?;
    }
    emit("credential_report.csv".to_owned(), &credential_report(&plan.users, seed))?;
    emit("oidc-providers.json".to_owned(), &oidc_providers(&plan.account))?;
    if !plan.associations.is_empty() {
        emit("pod-identity-associations.yaml".to_owned(), &pod_identity_file(&plan.associations, seed))?;
    }

    let documents = plan.roles.len()
        + plan.policies.iter().map(|p| p.versions).sum::<usize>()
        + plan.roles.iter().map(|r| r.inline.len()).sum::<usize>()
        + plan.users.iter().map(|u| u.inline.len()).sum::<usize>()
        + plan.groups.iter().map(|g| g.inline.len()).sum::<usize>();
    let keys: usize = plan.users.iter().map(|u| u.keys.len()).sum();
    let active_keys: usize = plan.users.iter().flat_map(|u| &u.keys).filter(|k| k.active).count();
    eprintln!(
        "gen_iam: wrote {} files ({:.1} MiB) to {} in {:.2} s: {} roles, {} users, {} groups, {} policies \
         ({} versions), {} policy documents ({} URL-encoded), {} access keys ({} active), {} Pod Identity \
         associations; account {ACCOUNT}, seed {seed}",
        written.len(),
        bytes as f64 / (1024.0 * 1024.0),
        args.out.display(),
        started.elapsed().as_secs_f64(),
        plan.roles.len(),
        plan.users.len(),
        plan.groups.len(),
        plan.policies.len(),
        plan.policies.iter().map(|p| p.versions).sum::<usize>(),
        documents,
        encoded,
        keys,
        active_keys,
        plan.associations.len(),
    );
    let mut by_trust: Vec<(TrustKind, usize)> = Vec::new();
    for r in &plan.roles {
        match by_trust.iter_mut().find(|(k, _)| *k == r.kind) {
            Some((_, n)) => *n += 1,
            None => by_trust.push((r.kind, 1)),
        }
    }
    by_trust.sort();
    let trust: Vec<String> = by_trust.iter().map(|(k, n)| format!("{k:?} {n}")).collect();
    eprintln!("gen_iam: roles by trust: {}", trust.join(", "));
    let mut flavors: Vec<(String, usize)> = Vec::new();
    for p in &plan.policies {
        let name = format!("{:?}", p.flavor);
        match flavors.iter_mut().find(|(k, _)| *k == name) {
            Some((_, n)) => *n += 1,
            None => flavors.push((name, 1)),
        }
    }
    let flavors: Vec<String> = flavors.iter().map(|(k, n)| format!("{k} {n}")).collect();
    eprintln!("gen_iam: policies by flavor: {}", flavors.join(", "));
    eprintln!(
        "gen_iam: IRSA subjects and Pod Identity associations name service accounts of the gen_estate \
         estate of {} workloads, seed {seed} ({} service accounts)",
        args.estate_workloads, plan.estate_accounts
    );
    warn_about_strays(&args.out, &written);
    Ok(())
}

/// Earlier runs with more pages leave files behind that a scan of the directory would read.
fn warn_about_strays(dir: &Path, written: &[String]) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let strays = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            [".json", ".yaml", ".yml", ".csv"].iter().any(|x| name.ends_with(x)) && !written.contains(&name)
        })
        .count();
    if strays > 0 {
        eprintln!(
            "gen_iam: warning: {} also holds {strays} other files ztpath reads; use an empty directory",
            dir.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(seed: u64) -> Args {
        Args { roles: 120, users: 40, policies: 200, out: PathBuf::new(), seed, estate_workloads: 300 }
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(reference_day()), (2026, 11, 25));
        for day in [-1, 0, 59, 60, 365, 11_016, 20_000, 20_782] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(percent_encode(r#"{"a":"b*c"}"#), "%7B%22a%22%3A%22b%2Ac%22%7D");
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn json_is_indented_like_the_cli_and_escaped() {
        let v = obj(vec![("a", list(["x\"y".to_owned()])), ("b", J::Arr(Vec::new())), ("c", J::Num(3))]);
        let mut w = JsonWriter::new();
        w.value(&v, Some(0));
        assert_eq!(w.out, "{\n    \"a\": [\n        \"x\\\"y\"\n    ],\n    \"b\": [],\n    \"c\": 3\n}");
        let mut w = JsonWriter::new();
        w.value(&J::Encoded(Box::new(v)), None);
        assert!(w.out.starts_with("\"%7B%22a%22%3A%5B%22x%5C%22y%22%5D"), "{}", w.out);
        assert_eq!(w.encoded, 1);
    }

    #[test]
    fn estate_accounts_are_those_of_the_estate_plan() {
        let accounts = estate_accounts(300, 1);
        assert!(accounts.len() > 200, "{}", accounts.len());
        assert!(accounts.iter().all(|a| a.namespace.starts_with("ns-")));
        assert!(accounts.iter().any(|a| a.name == "shared-runner"));
    }

    #[test]
    fn same_seed_same_account() {
        let render = |seed| {
            let plan = Plan::new(&args(seed));
            let mut w = JsonWriter::new();
            for (i, r) in plan.roles.iter().enumerate() {
                w.value(&role_json(r, &plan.policies, seed, i), Some(0));
            }
            for (i, p) in plan.policies.iter().enumerate() {
                w.value(&policy_json(p, i, seed), Some(0));
            }
            w.out + &credential_report(&plan.users, seed)
        };
        assert_eq!(render(7), render(7));
        assert_ne!(render(7), render(8));
    }
}
