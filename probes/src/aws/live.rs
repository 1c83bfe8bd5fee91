//! Live collection from an AWS account (feature `aws-live`): AWS Config and the IAM APIs, read
//! through the same readers as files.
//!
//! Every object fetched is written back as the JSON the matching file input would hold (an API
//! shape configuration item, a GAAD fragment, `list-access-keys` output…) and handed to
//! [`crate::files::read_text_raw`] under a label naming the live object
//! (`aws-config://<account>/<region>/<type>/<id>`, `aws-iam://<account>/role/<name>`), so a live
//! scan and a scan of saved output read alike. Those labels become the `file` of every
//! [`Source`]; as each object is its own one-line document, their `line` is 1.
//!
//! Sources ([`AwsSources`]):
//! - AWS Config: `ListDiscoveredResources` for each resource type of [`CONFIG_RESOURCE_TYPES`]
//!   (paged, 100 a page), then `BatchGetResourceConfig` in batches of at most 100 keys, retrying
//!   `unprocessedResourceKeys` a few times; or, with an aggregator, the `*Aggregate*` twins of
//!   both calls. Config being unusable (access denied, no recorder, no aggregator) is a
//!   [`Diagnostic`], and with [`AwsSources::Config`] alone the collection falls back to IAM.
//! - IAM: `GetAccountAuthorizationDetails` (users, groups, roles with trust policies, managed
//!   policies), `ListUsers` + `ListAccessKeys` + `GetAccessKeyLastUsed`, the credential report
//!   (`GenerateCredentialReport`, polled, then `GetCredentialReport`) and the OIDC providers.
//!
//! With both sources an IAM entity seen by both keeps the IAM API's version (it has inline
//! policies and last use; a Config item of the same ARN is dropped).
//!
//! Only read-only calls are made (list, get, batch-get, and generating the credential report,
//! which changes nothing in the account). Credentials come from the standard chain (environment,
//! profile files and SSO, web identity, container and instance metadata); no secret is printed or
//! kept. Each call has a timeout and bounded retries, and the whole collection a deadline after
//! which it stops with what it has and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_config::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_config::operation::batch_get_aggregate_resource_config::BatchGetAggregateResourceConfigError;
use aws_sdk_config::operation::batch_get_resource_config::BatchGetResourceConfigError;
use aws_sdk_config::operation::list_aggregate_discovered_resources::ListAggregateDiscoveredResourcesError;
use aws_sdk_config::operation::list_discovered_resources::ListDiscoveredResourcesError;
use aws_sdk_config::types::{AggregateResourceIdentifier, BaseConfigurationItem, ResourceKey, ResourceType};
use aws_sdk_iam::config::{Credentials, ProvideCredentials};
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDetail,
    ReportStateType, RoleDetail, Tag, UserDetail,
};
use serde_json::{Map, Value, json};

use crate::aws::{elb, iam};
use crate::files;
use crate::inventory::{AwsLbItem, Diagnostic, Inventory, RawInventory, Sensitive, Source};

/// The AWS Config resource types collected (all exist as Config types; a type the SDK does not
/// know is skipped with a diagnostic).
pub const CONFIG_RESOURCE_TYPES: &[&str] = &[
    "AWS::IAM::User",
    "AWS::IAM::Role",
    "AWS::IAM::Group",
    "AWS::IAM::Policy",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
];

/// Page size of the Config list calls and batch size of the Config batch-get calls (the API's
/// maximum for both).
const CONFIG_BATCH: usize = 100;
/// How many times keys left unprocessed by a Config batch-get are asked for again.
const UNPROCESSED_RETRIES: u32 = 3;
/// How many times the credential report's generation is polled (at most two seconds apart).
const REPORT_POLLS: u32 = 15;
/// IAM calls in flight at once when fetching access keys user by user.
const IAM_CONCURRENCY: usize = 8;

/// Which APIs to collect from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AwsSources {
    /// AWS Config only (falls back to IAM when Config is unusable).
    Config,
    /// The IAM APIs only.
    Iam,
    /// Both (the default).
    #[default]
    Both,
}

impl AwsSources {
    fn config(self) -> bool {
        matches!(self, AwsSources::Config | AwsSources::Both)
    }
    fn iam(self) -> bool {
        matches!(self, AwsSources::Iam | AwsSources::Both)
    }
}

/// How to reach the account.
#[derive(Clone, Debug)]
pub struct AwsOptions {
    /// Named profile of the shared config files (`AWS_PROFILE` and then `default` otherwise).
    pub profile: Option<String>,
    /// Region (otherwise `AWS_REGION`, the profile's, or the instance's).
    pub region: Option<String>,
    /// Endpoint for every service (tests and emulators; `AWS_ENDPOINT_URL` works too).
    pub endpoint_url: Option<String>,
    /// Endpoint for AWS Config alone, over `endpoint_url` (tests with Config and IAM served
    /// apart).
    pub config_endpoint_url: Option<String>,
    /// A Config aggregator to read instead of the account's own Config.
    pub aggregator: Option<String>,
    /// Which APIs to use.
    pub sources: AwsSources,
    /// Time allowed for one API call, retries included.
    pub timeout: Duration,
    /// Time allowed for the whole collection; past it, what was collected is returned with a
    /// diagnostic.
    pub deadline: Duration,
    /// Attempts per call (1 = no retry).
    pub max_attempts: u32,
    /// Progress lines on stderr during long crawls (a summary line is printed regardless).
    pub progress: bool,
    /// A fixed access key id and secret instead of the credential chain (tests and emulators).
    pub static_credentials: Option<(String, Sensitive)>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            config_endpoint_url: None,
            aggregator: None,
            sources: AwsSources::Both,
            timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(15 * 60),
            max_attempts: 3,
            progress: std::io::stderr().is_terminal(),
            static_credentials: None,
        }
    }
}

/// Why nothing could be collected.
#[derive(Debug)]
pub enum AwsError {
    /// The async runtime could not start.
    Runtime(String),
    /// No region was given or found.
    NoRegion,
    /// The credential chain found no usable credentials.
    NoCredentials(String),
    /// Every call failed; the diagnostics say which and why.
    NothingCollected(Vec<Diagnostic>),
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwsError::Runtime(e) => write!(f, "cannot start the AWS client runtime: {e}"),
            AwsError::NoRegion => {
                write!(f, "no AWS region: pass --region, or set AWS_REGION or a profile's region")
            }
            AwsError::NoCredentials(e) => write!(
                f,
                "no usable AWS credentials (environment, --profile / AWS_PROFILE, SSO, web identity, container or instance role): {e}"
            ),
            AwsError::NothingCollected(diags) => {
                write!(f, "nothing could be collected from AWS")?;
                for d in diags {
                    write!(f, "\n  {d}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for AwsError {}

/// Collects the account (or aggregator) into a raw Inventory, for the [finish
/// step](crate::finish) (with whatever else the scan reads). Runs its own current-thread runtime,
/// so it is called from synchronous code. Failures of single calls are diagnostics in the
/// Inventory; an error is returned only when nothing at all could be collected.
pub fn collect(opts: &AwsOptions) -> Result<RawInventory, AwsError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AwsError::Runtime(e.to_string()))?;
    runtime.block_on(collect_async(opts))
}

async fn collect_async(opts: &AwsOptions) -> Result<RawInventory, AwsError> {
    let started = Instant::now();
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .operation_timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1)))
        .timeout_config(timeouts);
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &opts.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some((id, secret)) = &opts.static_credentials {
        loader =
            loader.credentials_provider(Credentials::new(id, secret.expose(), None, None, "ztpath-static"));
    }
    let sdk = loader.load().await;
    let region = sdk.region().ok_or(AwsError::NoRegion)?.to_string();
    let provider = sdk.credentials_provider().ok_or_else(|| AwsError::NoCredentials("no provider".into()))?;
    match tokio::time::timeout(opts.timeout, provider.provide_credentials()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(AwsError::NoCredentials(error_chain(&e))),
        Err(_) => return Err(AwsError::NoCredentials("timed out looking for credentials".into())),
    }

    let mut config_conf = aws_sdk_config::config::Builder::from(&sdk);
    if let Some(url) = &opts.config_endpoint_url {
        config_conf = config_conf.endpoint_url(url);
    }
    let mut c = Collector {
        deadline: started + opts.deadline,
        deadline_hit: false,
        progress: opts.progress,
        region,
        config: aws_sdk_config::Client::from_conf(config_conf.build()),
        iam: aws_sdk_iam::Client::new(&sdk),
        from_config: RawInventory::default(),
        from_iam: RawInventory::default(),
        diagnostics: Vec::new(),
        config_items: 0,
        iam_unreachable: false,
    };

    let mut run_iam = opts.sources.iam();
    if opts.sources.config() {
        let usable = match &opts.aggregator {
            Some(name) => {
                let reader = AggregatorConfig { client: c.config.clone(), name: name.clone() };
                c.config_scan(&reader).await
            }
            None => c.config_scan(&AccountConfig { client: c.config.clone() }).await,
        };
        if !usable && !run_iam {
            c.note("aws://config", "AWS Config is unusable: falling back to the IAM APIs".into());
            run_iam = true;
        }
    }
    if run_iam {
        // Each part goes on when another is denied, but none is tried once IAM proved unreachable.
        c.iam_authorization_details().await;
        if !c.iam_unreachable {
            c.iam_access_keys().await;
        }
        if !c.iam_unreachable {
            c.iam_credential_report().await;
        }
        if !c.iam_unreachable {
            c.iam_oidc_providers().await;
        }
    }
    c.finish(started)
}

/// The state of one collection.
struct Collector {
    deadline: Instant,
    deadline_hit: bool,
    progress: bool,
    region: String,
    config: aws_sdk_config::Client,
    iam: aws_sdk_iam::Client,
    /// What AWS Config gave.
    from_config: RawInventory,
    /// What the IAM APIs gave.
    from_iam: RawInventory,
    diagnostics: Vec<Diagnostic>,
    config_items: usize,
    /// An IAM call could not reach the service (after its retries).
    iam_unreachable: bool,
}

/// How a failed call bears on the rest of a source.
#[derive(PartialEq, Eq)]
enum Failure {
    /// The service was not reached, or gave no readable answer (timeouts included).
    Unreachable,
    /// The service answered that it cannot be used at all (no access, no recorder…).
    Source,
    /// Only this call or resource type failed.
    Call,
}

impl Collector {
    fn note(&mut self, file: &str, reason: String) {
        self.diagnostics.push(Diagnostic { source: Source { file: file.into(), line: 0 }, reason });
    }

    /// False (with one diagnostic) once the deadline has passed.
    fn in_time(&mut self, next: &str) -> bool {
        if Instant::now() < self.deadline {
            return true;
        }
        if !self.deadline_hit {
            self.deadline_hit = true;
            self.note("aws://", format!("deadline reached before {next}: the AWS inventory is partial"));
        }
        false
    }

    #[allow(clippy::print_stderr, reason = "the live crawl's progress line, on stderr when asked for")]
    fn progress(&self, line: impl FnOnce() -> String) {
        if self.progress {
            eprintln!("aws: {}", line());
        }
    }

    /// Records a failed call and classifies it.
    fn failed<E>(&mut self, file: &str, api: &str, err: &SdkError<E>) -> Failure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (reason, failure) = describe(api, err);
        self.note(file, reason);
        if failure == Failure::Unreachable && file.starts_with("aws://iam") {
            self.iam_unreachable = true;
        }
        failure
    }

    // ------------------------------------------------------------------------------------------
    // AWS Config
    // ------------------------------------------------------------------------------------------

    /// Reads every resource type of [`CONFIG_RESOURCE_TYPES`] through `reader` (the account's
    /// own Config or an aggregator): lists the keys page by page, then fetches them in batches,
    /// asking again for the keys a batch left unprocessed. False when Config could not be used at
    /// all.
    async fn config_scan<R: ConfigReader>(&mut self, reader: &R) -> bool {
        let file = reader.file(&self.region);
        for &type_name in CONFIG_RESOURCE_TYPES {
            let Some(resource_type) = known_type(type_name) else {
                self.note(
                    &file,
                    format!("{type_name} is not an AWS Config resource type known to this build; skipped"),
                );
                continue;
            };
            // Every key of the type, over all pages. A failed page ends the listing, and what was
            // listed before it is still fetched.
            let mut keys: Vec<R::Key> = Vec::new();
            let mut token: Option<String> = None;
            loop {
                if !self.in_time(R::LIST_API) {
                    return true;
                }
                match reader.list(&resource_type, token.take()).await {
                    Ok((page, next)) => {
                        keys.extend(page);
                        token = next.filter(|t| !t.is_empty());
                        if token.is_none() {
                            break;
                        }
                    }
                    Err(e) => {
                        let api = format!("{}({type_name})", R::LIST_API);
                        if self.failed(&file, &api, &e) != Failure::Call {
                            return false;
                        }
                        break;
                    }
                }
            }
            // In a stable order (batches and diagnostics repeat run to run), each key once.
            keys.sort_by_cached_key(R::name);
            keys.dedup_by(|a, b| R::name(a) == R::name(b));
            let total = keys.len();
            let mut done = 0;
            for chunk in keys.chunks(CONFIG_BATCH) {
                let mut pending = chunk.to_vec();
                let mut attempt = 0;
                while !pending.is_empty() {
                    if !self.in_time(R::BATCH_API) {
                        return true;
                    }
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(250 << attempt.min(4))).await;
                    }
                    match reader.batch(&pending).await {
                        Ok((items, unprocessed)) => {
                            for item in &items {
                                self.config_item(item);
                            }
                            pending = unprocessed;
                        }
                        Err(e) => {
                            let api = format!("{}({type_name})", R::BATCH_API);
                            if self.failed(&file, &api, &e) != Failure::Call {
                                return false;
                            }
                            break;
                        }
                    }
                    attempt += 1;
                    if attempt > UNPROCESSED_RETRIES && !pending.is_empty() {
                        let left: Vec<String> = pending.iter().map(R::name).collect();
                        self.note(
                            &file,
                            format!(
                                "{}({type_name}): {} resource(s) still unprocessed after {UNPROCESSED_RETRIES} retries: {}",
                                R::BATCH_API,
                                left.len(),
                                left.join(", ")
                            ),
                        );
                        break;
                    }
                }
                done += chunk.len();
                self.progress(|| format!("config {type_name} {done}/{total}"));
            }
        }
        true
    }

    /// Reads one configuration item through the file reader.
    fn config_item(&mut self, item: &BaseConfigurationItem) {
        let doc = config_item_json(item);
        let label = format!(
            "aws-config://{}/{}/{}/{}",
            item.account_id().unwrap_or("unknown"),
            item.aws_region().unwrap_or(&self.region),
            item.resource_type().map(ResourceType::as_str).unwrap_or("unknown"),
            item.resource_id().unwrap_or("unknown"),
        );
        self.config_items += 1;
        read_json(&mut self.from_config, &label, &doc);
    }

    // ------------------------------------------------------------------------------------------
    // IAM
    // ------------------------------------------------------------------------------------------

    /// `GetAccountAuthorizationDetails`, every page; one document per entity.
    async fn iam_authorization_details(&mut self) {
        const API: &str = "GetAccountAuthorizationDetails";
        let mut marker: Option<String> = None;
        let mut counts = [0usize; 4];
        loop {
            if !self.in_time(API) {
                return;
            }
            let result = self
                .iam
                .get_account_authorization_details()
                .max_items(1000)
                .set_marker(marker.take())
                .send()
                .await;
            let page = match result {
                Ok(page) => page,
                Err(e) => {
                    self.failed("aws://iam", API, &e);
                    return;
                }
            };
            for u in page.user_detail_list() {
                let label = iam_label(u.arn(), "user", u.user_name());
                read_json(&mut self.from_iam, &label, &json!({ "UserDetailList": [user_json(u)] }));
                counts[0] += 1;
            }
            for g in page.group_detail_list() {
                let label = iam_label(g.arn(), "group", g.group_name());
                read_json(&mut self.from_iam, &label, &json!({ "GroupDetailList": [group_json(g)] }));
                counts[1] += 1;
            }
            for r in page.role_detail_list() {
                let label = iam_label(r.arn(), "role", r.role_name());
                read_json(&mut self.from_iam, &label, &json!({ "RoleDetailList": [role_json(r)] }));
                counts[2] += 1;
            }
            for p in page.policies() {
                let label = iam_label(p.arn(), "policy", p.policy_name());
                read_json(&mut self.from_iam, &label, &json!({ "Policies": [managed_policy_json(p)] }));
                counts[3] += 1;
            }
            let [users, groups, roles, policies] = counts;
            self.progress(|| {
                format!("iam {API} {users} users, {groups} groups, {roles} roles, {policies} policies")
            });
            marker = page.marker().filter(|m| !m.is_empty()).map(str::to_owned);
            if !page.is_truncated() || marker.is_none() {
                return;
            }
        }
    }

    /// `ListUsers`, then each user's keys (`ListAccessKeys`) with their last use
    /// (`GetAccessKeyLastUsed`), a few users at a time; one document per user with keys.
    async fn iam_access_keys(&mut self) {
        let mut users: Vec<(String, String)> = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            if !self.in_time("ListUsers") {
                return;
            }
            match self.iam.list_users().set_marker(marker.take()).send().await {
                Ok(page) => {
                    users.extend(page.users().iter().map(|u| (u.user_name().to_owned(), u.arn().to_owned())));
                    marker = page.marker().filter(|m| !m.is_empty()).map(str::to_owned);
                    if !page.is_truncated() || marker.is_none() {
                        break;
                    }
                }
                Err(e) => {
                    self.failed("aws://iam", "ListUsers", &e);
                    return;
                }
            }
        }
        let total = users.len();
        let mut results: BTreeMap<usize, UserKeys> = BTreeMap::new();
        let mut set = tokio::task::JoinSet::new();
        let mut next = 0;
        while next < users.len() || !set.is_empty() {
            while next < users.len() && set.len() < IAM_CONCURRENCY && Instant::now() < self.deadline {
                let client = self.iam.clone();
                let user = users[next].0.clone();
                let index = next;
                set.spawn(async move { (index, user_keys(client, user).await) });
                next += 1;
            }
            if set.is_empty() {
                // The deadline stopped the spawning.
                self.in_time("ListAccessKeys");
                break;
            }
            if let Some(Ok((index, keys))) = set.join_next().await {
                results.insert(index, keys);
                let done = results.len();
                if done.is_multiple_of(50) || done == total {
                    self.progress(|| format!("iam access keys {done}/{total} users"));
                }
            }
        }
        for (index, keys) in results {
            let (user, arn) = &users[index];
            for (api, reason) in keys.errors {
                self.note("aws://iam", format!("{api}({user}): {reason}"));
            }
            if keys.metadata.is_empty() {
                continue;
            }
            let label = iam_label(Some(arn), "access-keys", Some(user));
            read_json(&mut self.from_iam, &label, &json!({ "AccessKeyMetadata": keys.metadata }));
        }
    }

    /// `GenerateCredentialReport` until complete (bounded), then `GetCredentialReport`.
    async fn iam_credential_report(&mut self) {
        let mut polls = 0;
        loop {
            if !self.in_time("GenerateCredentialReport") {
                return;
            }
            match self.iam.generate_credential_report().send().await {
                Ok(out) if out.state() == Some(&ReportStateType::Complete) => break,
                Ok(_) => {}
                Err(e) => {
                    self.failed("aws://iam", "GenerateCredentialReport", &e);
                    return;
                }
            }
            polls += 1;
            if polls >= REPORT_POLLS {
                self.note(
                    "aws://iam",
                    format!(
                        "GenerateCredentialReport: the report was not ready after {polls} polls; skipped"
                    ),
                );
                return;
            }
            // Half a second first (small accounts are quick), then up to two seconds apart.
            tokio::time::sleep(Duration::from_millis((250 << polls.min(3)).min(2000))).await;
        }
        if !self.in_time("GetCredentialReport") {
            return;
        }
        let out = match self.iam.get_credential_report().send().await {
            Ok(out) => out,
            Err(e) => {
                self.failed("aws://iam", "GetCredentialReport", &e);
                return;
            }
        };
        let Some(content) = out.content() else {
            self.note("aws://iam", "GetCredentialReport: the report has no content".into());
            return;
        };
        let Ok(text) = std::str::from_utf8(content.as_ref()) else {
            self.note("aws://iam", "GetCredentialReport: the report is not UTF-8 text".into());
            return;
        };
        let account = text.lines().skip(1).find_map(|l| l.split(',').nth(1).and_then(arn_account));
        let label = format!("aws-iam://{}/credential-report", account.unwrap_or("unknown"));
        let (rows, diagnostics) = iam::read_credential_report(&label, text);
        self.from_iam.objects_read += rows.len();
        self.from_iam.iam.credential_report.extend(rows);
        self.from_iam.diagnostics.extend(diagnostics);
    }

    /// `ListOpenIDConnectProviders`, then `GetOpenIDConnectProvider` for each.
    async fn iam_oidc_providers(&mut self) {
        if !self.in_time("ListOpenIDConnectProviders") {
            return;
        }
        let list = match self.iam.list_open_id_connect_providers().send().await {
            Ok(out) => out,
            Err(e) => {
                self.failed("aws://iam", "ListOpenIDConnectProviders", &e);
                return;
            }
        };
        for entry in list.open_id_connect_provider_list() {
            let Some(arn) = entry.arn() else { continue };
            if !self.in_time("GetOpenIDConnectProvider") {
                return;
            }
            let out = match self
                .iam
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    self.failed("aws://iam", &format!("GetOpenIDConnectProvider({arn})"), &e);
                    continue;
                }
            };
            let mut doc = Map::new();
            doc.insert("Arn".into(), arn.into());
            put(&mut doc, "Url", out.url());
            doc.insert("ClientIDList".into(), out.client_id_list().into());
            doc.insert("ThumbprintList".into(), out.thumbprint_list().into());
            put(&mut doc, "CreateDate", date(out.create_date()));
            let host = arn.split_once(":oidc-provider/").map_or(arn, |(_, h)| h);
            let label = format!("aws-iam://{}/oidc-provider/{host}", arn_account(arn).unwrap_or("unknown"));
            read_json(&mut self.from_iam, &label, &Value::Object(doc));
        }
    }

    // ------------------------------------------------------------------------------------------

    /// Merges both sources, prints the summary line, and turns a collection that got nothing but
    /// errors into an error. The load balancers are joined by the finish step.
    fn finish(self, started: Instant) -> Result<RawInventory, AwsError> {
        let Collector { mut from_config, from_iam, diagnostics, config_items, .. } = self;
        drop_duplicates(&mut from_config, &from_iam);
        let mut inventory = from_config;
        inventory.extend(from_iam);
        inventory.diagnostics.extend(diagnostics);
        inventory.files_read = 0;
        let i = &inventory.iam;
        #[allow(clippy::print_stderr, reason = "the live collection's closing summary, on stderr")]
        {
            eprintln!(
                "aws: collected {} object(s) in {:.1}s: {config_items} Config item(s), {} user(s), {} group(s), {} role(s), {} managed polic(ies), {} access key(s), {} credential-report row(s), {} OIDC provider(s), {} load balancer(s); {} diagnostic(s)",
                inventory.objects_read,
                started.elapsed().as_secs_f64(),
                i.users.len(),
                i.groups.len(),
                i.roles.len(),
                i.policies.len(),
                i.access_keys.len(),
                i.credential_report.len(),
                i.oidc_providers.len(),
                load_balancers(&inventory.aws_lb_items),
                inventory.diagnostics.len(),
            );
        }
        if inventory.objects_read == 0 && !inventory.diagnostics.is_empty() {
            return Err(AwsError::NothingCollected(inventory.inventory.diagnostics));
        }
        Ok(inventory)
    }
}

/// One way of reading AWS Config: the account's own recorder ([`AccountConfig`]) or an
/// aggregator ([`AggregatorConfig`]). Both have a paged list call and a batch-get call that may
/// leave keys unprocessed; [`Collector::config_scan`] drives either through this trait.
trait ConfigReader {
    /// What the list call yields and the batch-get call takes.
    type Key: Clone;
    type ListError: ProvideErrorMetadata + std::error::Error + 'static;
    type BatchError: ProvideErrorMetadata + std::error::Error + 'static;
    /// The list operation's name, for diagnostics and the deadline note.
    const LIST_API: &'static str;
    /// The batch-get operation's name, likewise.
    const BATCH_API: &'static str;

    /// The `file` of this reader's diagnostics.
    fn file(&self, region: &str) -> String;

    /// A key as text: it orders and deduplicates the listed keys, and names the keys left
    /// unprocessed in diagnostics.
    fn name(key: &Self::Key) -> String;

    /// One page of keys of a type (at most [`CONFIG_BATCH`]) and the next page's token.
    async fn list(
        &self,
        resource_type: &ResourceType,
        token: Option<String>,
    ) -> Result<(Vec<Self::Key>, Option<String>), SdkError<Self::ListError>>;

    /// The items of at most [`CONFIG_BATCH`] keys, and the keys to ask for again.
    async fn batch(
        &self,
        keys: &[Self::Key],
    ) -> Result<(Vec<BaseConfigurationItem>, Vec<Self::Key>), SdkError<Self::BatchError>>;
}

/// `ListDiscoveredResources` and `BatchGetResourceConfig` in the caller's account and region.
struct AccountConfig {
    client: aws_sdk_config::Client,
}

impl ConfigReader for AccountConfig {
    type Key = ResourceKey;
    type ListError = ListDiscoveredResourcesError;
    type BatchError = BatchGetResourceConfigError;
    const LIST_API: &'static str = "ListDiscoveredResources";
    const BATCH_API: &'static str = "BatchGetResourceConfig";

    fn file(&self, region: &str) -> String {
        format!("aws://config/{region}")
    }

    fn name(key: &ResourceKey) -> String {
        key.resource_id().to_owned()
    }

    async fn list(
        &self,
        resource_type: &ResourceType,
        token: Option<String>,
    ) -> Result<(Vec<ResourceKey>, Option<String>), SdkError<ListDiscoveredResourcesError>> {
        let page = self
            .client
            .list_discovered_resources()
            .resource_type(resource_type.clone())
            .limit(i32::try_from(CONFIG_BATCH).unwrap_or(i32::MAX))
            .set_next_token(token)
            .send()
            .await?;
        // The identifiers carry more than a key needs (name, deletion time): keep type and id.
        let keys = page
            .resource_identifiers()
            .iter()
            .filter_map(|r| r.resource_id())
            .filter_map(|id| {
                ResourceKey::builder().resource_type(resource_type.clone()).resource_id(id).build().ok()
            })
            .collect();
        Ok((keys, page.next_token().map(str::to_owned)))
    }

    async fn batch(
        &self,
        keys: &[ResourceKey],
    ) -> Result<(Vec<BaseConfigurationItem>, Vec<ResourceKey>), SdkError<BatchGetResourceConfigError>> {
        let out =
            self.client.batch_get_resource_config().set_resource_keys(Some(keys.to_vec())).send().await?;
        Ok((out.base_configuration_items().to_vec(), out.unprocessed_resource_keys().to_vec()))
    }
}

/// `ListAggregateDiscoveredResources` and `BatchGetAggregateResourceConfig` through a named
/// aggregator (every source account and region it gathers).
struct AggregatorConfig {
    client: aws_sdk_config::Client,
    name: String,
}

impl ConfigReader for AggregatorConfig {
    type Key = AggregateResourceIdentifier;
    type ListError = ListAggregateDiscoveredResourcesError;
    type BatchError = BatchGetAggregateResourceConfigError;
    const LIST_API: &'static str = "ListAggregateDiscoveredResources";
    const BATCH_API: &'static str = "BatchGetAggregateResourceConfig";

    fn file(&self, region: &str) -> String {
        format!("aws://config/{region}/aggregator/{}", self.name)
    }

    /// `<source account>/<source region>/<resource id>`: a resource id alone may repeat across
    /// the aggregated accounts and regions.
    fn name(key: &AggregateResourceIdentifier) -> String {
        format!("{}/{}/{}", key.source_account_id(), key.source_region(), key.resource_id())
    }

    async fn list(
        &self,
        resource_type: &ResourceType,
        token: Option<String>,
    ) -> Result<
        (Vec<AggregateResourceIdentifier>, Option<String>),
        SdkError<ListAggregateDiscoveredResourcesError>,
    > {
        let page = self
            .client
            .list_aggregate_discovered_resources()
            .configuration_aggregator_name(&self.name)
            .resource_type(resource_type.clone())
            .limit(i32::try_from(CONFIG_BATCH).unwrap_or(i32::MAX))
            .set_next_token(token)
            .send()
            .await?;
        // Listed identifiers are valid batch-get keys as they are.
        Ok((page.resource_identifiers().to_vec(), page.next_token().map(str::to_owned)))
    }

    async fn batch(
        &self,
        keys: &[AggregateResourceIdentifier],
    ) -> Result<
        (Vec<BaseConfigurationItem>, Vec<AggregateResourceIdentifier>),
        SdkError<BatchGetAggregateResourceConfigError>,
    > {
        let out = self
            .client
            .batch_get_aggregate_resource_config()
            .configuration_aggregator_name(&self.name)
            .set_resource_identifiers(Some(keys.to_vec()))
            .send()
            .await?;
        Ok((out.base_configuration_items().to_vec(), out.unprocessed_resource_identifiers().to_vec()))
    }
}

/// One user's access keys as `list-access-keys` items joined with their last use, and the calls
/// that failed.
struct UserKeys {
    metadata: Vec<Value>,
    errors: Vec<(&'static str, String)>,
}

async fn user_keys(client: aws_sdk_iam::Client, user: String) -> UserKeys {
    let mut out = UserKeys { metadata: Vec::new(), errors: Vec::new() };
    let mut marker: Option<String> = None;
    loop {
        let page = match client.list_access_keys().user_name(&user).set_marker(marker.take()).send().await {
            Ok(page) => page,
            Err(e) => {
                out.errors.push(("ListAccessKeys", describe("ListAccessKeys", &e).0));
                return out;
            }
        };
        for key in page.access_key_metadata() {
            let mut doc = Map::new();
            doc.insert("UserName".into(), key.user_name().unwrap_or(&user).into());
            put(&mut doc, "AccessKeyId", key.access_key_id());
            put(&mut doc, "Status", key.status().map(aws_sdk_iam::types::StatusType::as_str));
            put(&mut doc, "CreateDate", date(key.create_date()));
            if let Some(id) = key.access_key_id() {
                match client.get_access_key_last_used().access_key_id(id).send().await {
                    Ok(used) => {
                        if let Some(last) = used.access_key_last_used() {
                            let mut l = Map::new();
                            put(&mut l, "LastUsedDate", date(last.last_used_date()));
                            l.insert("ServiceName".into(), last.service_name().into());
                            l.insert("Region".into(), last.region().into());
                            doc.insert("AccessKeyLastUsed".into(), Value::Object(l));
                        }
                    }
                    Err(e) => {
                        out.errors.push(("GetAccessKeyLastUsed", describe("GetAccessKeyLastUsed", &e).0));
                    }
                }
            }
            out.metadata.push(Value::Object(doc));
        }
        marker = page.marker().filter(|m| !m.is_empty()).map(str::to_owned);
        if !page.is_truncated() || marker.is_none() {
            return out;
        }
    }
}

/// Text for a failed call (`API: code: message`, or the transport error) and how far it
/// reaches. Error texts come from the service or the transport and hold no credential.
fn describe<E>(api: &str, err: &SdkError<E>) -> (String, Failure)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("unknown error");
            let message = e.message().unwrap_or("");
            let failure = if [
                "AccessDenied",
                "NoAvailableConfigurationRecorder",
                "NoSuchConfigurationAggregator",
                "UnrecognizedClient",
                "InvalidClientTokenId",
                "ExpiredToken",
                "OptInRequired",
                "SubscriptionRequired",
            ]
            .iter()
            .any(|c| code.starts_with(c))
            {
                Failure::Source
            } else {
                Failure::Call
            };
            (format!("{api} failed: {code}: {message}"), failure)
        }
        // Not reached, timed out, or unreadable answers: the next call would fare no better.
        other => (format!("{api} failed: {}", error_chain(other)), Failure::Unreachable),
    }
}

/// An error and its sources, each shown once (`Display` only: no debug dump of requests).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn known_type(name: &str) -> Option<ResourceType> {
    ResourceType::values().contains(&name).then(|| ResourceType::from(name))
}

/// The load balancers among the collected ELBv2 resources.
fn load_balancers(items: &[AwsLbItem]) -> usize {
    let arns: std::collections::BTreeSet<&str> =
        items.iter().filter(|i| i.resource_type == elb::LOAD_BALANCER).map(|i| i.arn.as_str()).collect();
    arns.len()
}

/// Parses generated JSON through the file reader into `into`.
fn read_json(into: &mut RawInventory, label: &str, doc: &Value) {
    let part = files::read_text_raw(label, &doc.to_string(), None);
    into.extend(part);
}

/// The account of an ARN (`arn:partition:service:region:account:…`).
fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

fn iam_label(arn: Option<&str>, kind: &str, name: Option<&str>) -> String {
    format!(
        "aws-iam://{}/{kind}/{}",
        arn.and_then(arn_account).unwrap_or("unknown"),
        name.unwrap_or("unknown")
    )
}

/// Drops from `config` the IAM entities that the IAM APIs also returned (same ARN).
fn drop_duplicates(config: &mut Inventory, iam_api: &Inventory) {
    let seen: BTreeSet<&str> = iam_api
        .iam
        .users
        .iter()
        .map(|u| u.arn.as_str())
        .chain(iam_api.iam.groups.iter().map(|g| g.arn.as_str()))
        .chain(iam_api.iam.roles.iter().map(|r| r.arn.as_str()))
        .chain(iam_api.iam.policies.iter().map(|p| p.arn.as_str()))
        .collect();
    let before =
        config.iam.users.len() + config.iam.groups.len() + config.iam.roles.len() + config.iam.policies.len();
    config.iam.users.retain(|u| !seen.contains(u.arn.as_str()));
    config.iam.groups.retain(|g| !seen.contains(g.arn.as_str()));
    config.iam.roles.retain(|r| !seen.contains(r.arn.as_str()));
    config.iam.policies.retain(|p| !seen.contains(p.arn.as_str()));
    let after =
        config.iam.users.len() + config.iam.groups.len() + config.iam.roles.len() + config.iam.policies.len();
    config.objects_read -= (before - after).min(config.objects_read);
}

// ----------------------------------------------------------------------------------------------
// The SDK's values back to the JSON the files hold
// ----------------------------------------------------------------------------------------------

/// A timestamp as ISO 8601 (as the AWS CLI prints it).
fn date(value: Option<&DateTime>) -> Option<String> {
    value.and_then(|d| d.fmt(DateTimeFormat::DateTime).ok())
}

fn put<V: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<V>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v.into());
    }
}

/// A base configuration item in the API shape: camelCase keys, `configuration` kept as the JSON
/// string Config returns.
fn config_item_json(item: &BaseConfigurationItem) -> Value {
    let mut m = Map::new();
    put(&mut m, "version", item.version());
    put(&mut m, "accountId", item.account_id());
    put(&mut m, "configurationItemCaptureTime", date(item.configuration_item_capture_time()));
    put(
        &mut m,
        "configurationItemStatus",
        item.configuration_item_status().map(aws_sdk_config::types::ConfigurationItemStatus::as_str),
    );
    put(&mut m, "configurationStateId", item.configuration_state_id());
    put(&mut m, "arn", item.arn());
    put(&mut m, "resourceType", item.resource_type().map(ResourceType::as_str));
    put(&mut m, "resourceId", item.resource_id());
    put(&mut m, "resourceName", item.resource_name());
    put(&mut m, "awsRegion", item.aws_region());
    put(&mut m, "availabilityZone", item.availability_zone());
    put(&mut m, "resourceCreationTime", date(item.resource_creation_time()));
    put(&mut m, "configuration", item.configuration());
    if let Some(extra) = item.supplementary_configuration() {
        let sorted: BTreeMap<&String, &String> = extra.iter().collect();
        m.insert("supplementaryConfiguration".into(), json!(sorted));
    }
    put(
        &mut m,
        "recordingFrequency",
        item.recording_frequency().map(aws_sdk_config::types::RecordingFrequency::as_str),
    );
    put(&mut m, "configurationItemDeliveryTime", date(item.configuration_item_delivery_time()));
    Value::Object(m)
}

fn attached_json(list: &[AttachedPolicy]) -> Value {
    list.iter().map(|p| json!({ "PolicyName": p.policy_name(), "PolicyArn": p.policy_arn() })).collect()
}

fn inline_json(list: &[PolicyDetail]) -> Value {
    list.iter()
        .map(|p| json!({ "PolicyName": p.policy_name(), "PolicyDocument": p.policy_document() }))
        .collect()
}

fn tags_json(list: &[Tag]) -> Value {
    list.iter().map(|t| json!({ "Key": t.key(), "Value": t.value() })).collect()
}

fn boundary_json(map: &mut Map<String, Value>, b: Option<&AttachedPermissionsBoundary>) {
    if let Some(b) = b {
        map.insert(
            "PermissionsBoundary".into(),
            json!({
                "PermissionsBoundaryType": b.permissions_boundary_type().map(aws_sdk_iam::types::PermissionsBoundaryAttachmentType::as_str),
                "PermissionsBoundaryArn": b.permissions_boundary_arn(),
            }),
        );
    }
}

fn user_json(u: &UserDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", u.path());
    put(&mut m, "UserName", u.user_name());
    put(&mut m, "UserId", u.user_id());
    put(&mut m, "Arn", u.arn());
    put(&mut m, "CreateDate", date(u.create_date()));
    m.insert("UserPolicyList".into(), inline_json(u.user_policy_list()));
    m.insert("GroupList".into(), u.group_list().into());
    m.insert("AttachedManagedPolicies".into(), attached_json(u.attached_managed_policies()));
    boundary_json(&mut m, u.permissions_boundary());
    m.insert("Tags".into(), tags_json(u.tags()));
    Value::Object(m)
}

fn group_json(g: &GroupDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", g.path());
    put(&mut m, "GroupName", g.group_name());
    put(&mut m, "GroupId", g.group_id());
    put(&mut m, "Arn", g.arn());
    put(&mut m, "CreateDate", date(g.create_date()));
    m.insert("GroupPolicyList".into(), inline_json(g.group_policy_list()));
    m.insert("AttachedManagedPolicies".into(), attached_json(g.attached_managed_policies()));
    Value::Object(m)
}

fn role_json(r: &RoleDetail) -> Value {
    let mut m = Map::new();
    put(&mut m, "Path", r.path());
    put(&mut m, "RoleName", r.role_name());
    put(&mut m, "RoleId", r.role_id());
    put(&mut m, "Arn", r.arn());
    put(&mut m, "CreateDate", date(r.create_date()));
    put(&mut m, "AssumeRolePolicyDocument", r.assume_role_policy_document());
    let profiles: Value = r
        .instance_profile_list()
        .iter()
        .map(|p| {
            json!({
                "Path": p.path(),
                "InstanceProfileName": p.instance_profile_name(),
                "InstanceProfileId": p.instance_profile_id(),
                "Arn": p.arn(),
                "CreateDate": date(Some(p.create_date())),
            })
        })
        .collect();
    m.insert("InstanceProfileList".into(), profiles);
    m.insert("RolePolicyList".into(), inline_json(r.role_policy_list()));
    m.insert("AttachedManagedPolicies".into(), attached_json(r.attached_managed_policies()));
    boundary_json(&mut m, r.permissions_boundary());
    m.insert("Tags".into(), tags_json(r.tags()));
    if let Some(used) = r.role_last_used() {
        let mut l = Map::new();
        put(&mut l, "LastUsedDate", date(used.last_used_date()));
        put(&mut l, "Region", used.region());
        m.insert("RoleLastUsed".into(), Value::Object(l));
    }
    Value::Object(m)
}

fn managed_policy_json(p: &ManagedPolicyDetail) -> Value {
    let mut m = Map::new();
    // A managed policy's ARN ends with its name; some emulators leave `PolicyName` out.
    let name = p.policy_name().or_else(|| p.arn().and_then(|a| a.rsplit('/').next()));
    put(&mut m, "PolicyName", name);
    put(&mut m, "PolicyId", p.policy_id());
    put(&mut m, "Arn", p.arn());
    put(&mut m, "Path", p.path());
    put(&mut m, "DefaultVersionId", p.default_version_id());
    put(&mut m, "AttachmentCount", p.attachment_count());
    put(&mut m, "PermissionsBoundaryUsageCount", p.permissions_boundary_usage_count());
    m.insert("IsAttachable".into(), p.is_attachable().into());
    put(&mut m, "Description", p.description());
    put(&mut m, "CreateDate", date(p.create_date()));
    put(&mut m, "UpdateDate", date(p.update_date()));
    let versions: Value = p
        .policy_version_list()
        .iter()
        .map(|v| {
            json!({
                "Document": v.document(),
                "VersionId": v.version_id(),
                "IsDefaultVersion": v.is_default_version(),
                "CreateDate": date(v.create_date()),
            })
        })
        .collect();
    m.insert("PolicyVersionList".into(), versions);
    Value::Object(m)
}
