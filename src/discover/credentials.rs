//! What calls and credentials discovery finds: calls to Services and hosts, the credentials a
//! workload holds and what each is for, and values written in clear.

use ztpath_probes::Source;

use crate::discover::shapes::LeakShape;
use crate::discover::values::Weakness;

/// What a call reaches.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A Service of the estate (index into `Estate::services`).
    Service(usize),
    /// A host outside the estate.
    External(String),
}

/// One discovered call.
#[derive(Clone, Debug)]
pub struct Call {
    pub caller: usize,
    pub target: Target,
    /// Service port named in the reference, if any.
    pub port: Option<u32>,
    /// Where the reference is (env var, arg or ConfigMap key).
    pub via: String,
    pub source: Source,
}

/// Where a held credential comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialOrigin {
    /// A key of a Secret (namespace is the workload's).
    SecretKey { secret: String, key: String },
    /// A whole Secret loaded with `envFrom` that the input does not define.
    SecretUnknownKeys { secret: String },
    /// A literal value in the manifest (env, arguments or a ConfigMap it loads).
    Literal { fingerprint: String, shape: Option<LeakShape> },
    /// A password inside a URL written in the manifest.
    UrlPassword { fingerprint: String },
}

/// Which side of an authentication a workload's static credential is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// It presents the credential to a peer (the credential's `target`, when it can be told).
    Presents,
    /// It is a server configured with the secret its callers must present (`what` says which, e.g.
    /// "the MySQL root password"); `holders` are the callers that hold it (see
    /// [`crate::discover::servers::link_holders`]).
    Accepts { what: &'static str, holders: Vec<Holder> },
}

/// A caller holding the secret a server accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub workload: usize,
    /// Index in [`Calls::credentials`] of the credential it presents.
    pub credential: usize,
    pub how: HolderHow,
}

/// How a caller was found to hold a server's secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderHow {
    /// It loads the same key of the same Secret.
    SameSecretKey,
    /// Its credential has the same value (same keyed fingerprint).
    SameValue,
    /// It holds a credential for one of the server's Services (in a URL, or by name prefix).
    NamesServer,
}

impl HolderHow {
    pub fn describe(self) -> &'static str {
        match self {
            HolderHow::SameSecretKey => "the same Secret key",
            HolderHow::SameValue => "the same value",
            HolderHow::NamesServer => "a static credential for its Service",
        }
    }
}

/// A static credential a workload holds: one it presents to some peer, or one it accepts.
#[derive(Clone, Debug)]
pub struct HeldCredential {
    pub workload: usize,
    /// Env var (or key) name.
    pub name: String,
    pub origin: CredentialOrigin,
    pub source: Source,
    /// The peer it authenticates to, when it can be told (always `None` when it accepts).
    pub target: Option<Target>,
    pub role: Role,
    /// The target was inferred only because the callee loads the same Secret (see
    /// `keep_pair_secrets`), not named by the caller's configuration.
    pub target_from_shared_secret: bool,
}

/// A credential value written in clear in a manifest (env literal or ConfigMap entry).
#[derive(Clone, Debug)]
pub struct LeakedValue {
    /// Workload index or ConfigMap index.
    pub owner: LeakOwner,
    pub name: String,
    pub fingerprint: String,
    pub shape: LeakShape,
    pub source: Source,
    /// Why the value is guessable, if it is.
    pub weakness: Option<Weakness>,
}

/// What holds a leaked value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakOwner {
    Workload(usize),
    ConfigMap(usize),
    /// A proxy's configuration (index into `Inventory::proxies`): a credential in a backend URL.
    Proxy(usize),
}

/// What a value written on a container's command line is named by.
pub const ARGUMENT: &str = "container argument";

/// All calls, held credentials and leaked values of an estate.
#[derive(Default)]
pub struct Calls {
    pub calls: Vec<Call>,
    pub credentials: Vec<HeldCredential>,
    pub leaks: Vec<LeakedValue>,
}
