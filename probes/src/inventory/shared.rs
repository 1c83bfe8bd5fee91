//! The types every family of the Inventory shares: where an item came from ([`Source`]), secret
//! values as keyed fingerprints ([`Fingerprint`], [`Sensitive`], [`Userinfo`]), object metadata
//! and label selectors, and diagnostics. A leaf: it imports no other part of the Inventory.

use std::fmt;
use std::sync::{Arc, OnceLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Where an item came from: a file and a 1-based line, or a live object (then `file` holds its
/// reference, e.g. `k8s://ns/Pod/name`, and `line` is 0).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    /// Path as given on the command line (joined with the relative path inside a directory).
    pub file: Arc<str>,
    /// Line of the document or field (1-based; 0 when unknown).
    pub line: u32,
}

impl Source {
    /// The same file at another line.
    pub fn at(&self, line: u32) -> Source {
        Source { file: Arc::clone(&self.file), line }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { write!(f, "{}", self.file) } else { write!(f, "{}:{}", self.file, self.line) }
    }
}

/// A short fingerprint of a secret value: `hmac:` and the first 12 hex digits of its
/// HMAC-SHA-256 under the scan's [fingerprint key](set_fingerprint_key). Two places that hold the
/// same value get the same fingerprint within one scan (or across scans that use the same key),
/// so reuse is visible; without the key, a fingerprint does not let anyone test a guessed value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub String);

/// What the printed form of a fingerprint starts with.
pub const FINGERPRINT_PREFIX: &str = "hmac:";

/// The HMAC key of this process's fingerprints: set once, before anything is fingerprinted.
static FINGERPRINT_KEY: OnceLock<[u8; 32]> = OnceLock::new();

/// Why the fingerprint key could not be set.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FingerprintKeyError {
    /// A key was already in use (set before, or a value was fingerprinted first).
    #[error("the fingerprint key is already set")]
    AlreadySet,
    /// The operating system gave no random bytes.
    #[error("cannot draw a random fingerprint key from the operating system: {0}")]
    Random(String),
}

/// Fixes the key of every fingerprint this process computes, from any text (the HMAC key is the
/// SHA-256 of it). Reports that must be compared (baselines, diffs) are made with the same text;
/// whoever knows it can test guesses against the fingerprints, so keep it as secret as the values.
/// Must be called before anything is fingerprinted.
pub fn set_fingerprint_key(text: &str) -> Result<(), FingerprintKeyError> {
    let key: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    FINGERPRINT_KEY.set(key).map_err(|_| FingerprintKeyError::AlreadySet)
}

/// Draws a random fingerprint key from the operating system, unless a key is already set: the
/// default, so that fingerprints can be compared within one report only. Without this call the
/// first fingerprint draws the key (and panics if the system has no randomness to give).
pub fn init_random_fingerprint_key() -> Result<(), FingerprintKeyError> {
    if FINGERPRINT_KEY.get().is_some() {
        return Ok(());
    }
    let key = random_key()?;
    // Another thread may have drawn one meanwhile: either key is as good.
    let _ = FINGERPRINT_KEY.set(key);
    Ok(())
}

fn random_key() -> Result<[u8; 32], FingerprintKeyError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| FingerprintKeyError::Random(e.to_string()))?;
    Ok(key)
}

fn fingerprint_key() -> &'static [u8; 32] {
    FINGERPRINT_KEY.get_or_init(|| {
        random_key().unwrap_or_else(|e| panic!("{e}: refusing to fingerprint secret values without a key"))
    })
}

impl Fingerprint {
    /// Fingerprints raw bytes with the process's key.
    pub fn of(bytes: &[u8]) -> Fingerprint {
        Fingerprint::keyed(fingerprint_key(), bytes)
    }

    fn keyed(key: &[u8; 32], bytes: &[u8]) -> Fingerprint {
        let mut mac = mac_with(key);
        mac.update(bytes);
        Fingerprint(prefixed_hex(FINGERPRINT_PREFIX, &mac.finalize().into_bytes()[..6]))
    }
}

fn mac_with(key: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts a key of any length")
}

/// `prefix` and `bytes` in lowercase hex.
fn prefixed_hex(prefix: &str, bytes: &[u8]) -> String {
    let mut text = String::with_capacity(prefix.len() + 2 * bytes.len());
    text.push_str(prefix);
    text.push_str(&hex::encode(bytes));
    text
}

/// The prefix of an [`InputDigest`].
pub const INPUT_DIGEST_PREFIX: &str = "hmac-sha256:";

/// A digest of the files a scan read: HMAC-SHA-256, under the fingerprint key, of one line per
/// file in path order (`name`, a NUL, the file's SHA-256 in hex, a newline). Keyed, so that the
/// digest of a small file cannot be used to test guesses of the secrets in it (whoever holds the
/// key can, as with fingerprints); with a fixed `--fingerprint-key`, the same files give the same
/// digest on every run and machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDigest(String);

impl InputDigest {
    /// The digest of files given as (name, SHA-256 of the bytes read), in any order; a name given
    /// twice counts once.
    pub fn of_files(mut files: Vec<(String, [u8; 32])>) -> InputDigest {
        files.sort();
        files.dedup_by(|a, b| a.0 == b.0);
        let mut mac = mac_with(fingerprint_key());
        for (name, sha) in &files {
            mac.update(name.as_bytes());
            mac.update(b"\0");
            mac.update(hex::encode(sha).as_bytes());
            mac.update(b"\n");
        }
        InputDigest(prefixed_hex(INPUT_DIGEST_PREFIX, &mac.finalize().into_bytes()))
    }

    /// The SHA-256 of bytes read, as [`InputDigest::of_files`] takes it.
    pub fn sha256(bytes: &[u8]) -> [u8; 32] {
        Sha256::digest(bytes).into()
    }

    /// The digest as shown (`hmac-sha256:` and 64 hex digits).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A literal value that may be a secret. Its text is reachable only through [`Sensitive::expose`];
/// `Debug` and `Display` show the fingerprint, and it has no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive {
    text: String,
}

impl Sensitive {
    /// Wraps a value.
    pub fn new(text: String) -> Sensitive {
        Sensitive { text }
    }
    /// The value itself: for analysis only, never for output.
    pub fn expose(&self) -> &str {
        &self.text
    }
    /// The value's fingerprint (computed on demand: most values are never shown).
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self.text.as_bytes())
    }
    /// Length in characters.
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sensitive({})", self.fingerprint())
    }
}

/// The `user[:password]` part of a URL or address (`scheme://user:password@host`), taken out of
/// it by the readers (`urls::split_userinfo`) so that it never becomes part of a name or an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Userinfo {
    /// The user name (which may itself be a token: `https://<token>@host`).
    pub user: Sensitive,
    /// The password, when a `:` follows the user name.
    pub password: Option<Sensitive>,
}

impl Userinfo {
    /// The password, when there is a non-empty one.
    pub fn password(&self) -> Option<&Sensitive> {
        self.password.as_ref().filter(|p| !p.is_empty())
    }
}

/// A problem reading the estate: one file or document that could not be read. The scan goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub source: Source,
    /// Why, in words a user can act on.
    pub reason: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

pub use super::string_map::StringMap;

/// Identity of any Kubernetes object, with its source.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectMeta {
    /// `kind` as written (e.g. `Deployment`).
    pub kind: String,
    /// `apiVersion` as written.
    pub api_version: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`; `None` for cluster-scoped kinds. Namespaced objects without one get
    /// `default`, as `kubectl apply` would, or the namespace the scan was given
    /// (the `default_namespace` of the read options, as `kubectl apply -n`).
    pub namespace: Option<String>,
    /// True when the object carries no namespace and the scan was given none either, so that
    /// `namespace` is `default` by convention only: where the object is meant to run is not known.
    pub namespace_defaulted: bool,
    /// `metadata.labels`.
    pub labels: StringMap,
    /// `metadata.annotations`.
    pub annotations: StringMap,
    /// `metadata.creationTimestamp` as written (used for Istio's "oldest wins").
    pub creation_timestamp: Option<String>,
    /// Controller owner (`ownerReferences` entry with `controller: true`, else the first): kind and
    /// name. Lets the engine fold Pods into their Deployment.
    pub owner: Option<(String, String)>,
    /// File and line of the object's document.
    pub source: Source,
}

impl ObjectMeta {
    /// Namespace or `""` for cluster-scoped objects.
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
}

/// A label selector (`matchLabels` + `matchExpressions`). An empty selector selects everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels` (or a plain map selector such as a Service's `spec.selector`).
    pub match_labels: StringMap,
    /// `matchExpressions`.
    pub match_expressions: Vec<SelectorRequirement>,
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorRequirement {
    /// Label key.
    pub key: String,
    /// `operator`.
    pub operator: SelectorOperator,
    /// Values for `In`/`NotIn`.
    pub values: Vec<String>,
}

/// The `operator` of a label-selector requirement. The API server accepts exactly these four
/// (case-sensitive) and refuses an object whose selector uses anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectorOperator {
    /// `In`: the label is present with one of the values.
    In,
    /// `NotIn`: the label is absent, or present with none of the values.
    NotIn,
    /// `Exists`: the label is present.
    Exists,
    /// `DoesNotExist`: the label is absent.
    DoesNotExist,
    /// Anything else, or no operator. The object would be refused by the API server; here the
    /// requirement holds for no object, so that the selector selects nothing (and the reader
    /// says so in a diagnostic). The text is not kept: it is input that no message may quote.
    Unknown,
}

impl SelectorOperator {
    /// The operator as written in a manifest.
    pub fn parse(text: &str) -> SelectorOperator {
        match text {
            "In" => SelectorOperator::In,
            "NotIn" => SelectorOperator::NotIn,
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            _ => SelectorOperator::Unknown,
        }
    }
}

impl LabelSelector {
    /// True when the selector selects every object.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    /// Does the selector select an object with these labels?
    pub fn matches(&self, labels: &StringMap) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let have = labels.get(&r.key);
                match r.operator {
                    SelectorOperator::In => have.is_some_and(|v| r.values.contains(v)),
                    SelectorOperator::NotIn => have.is_none_or(|v| !r.values.contains(v)),
                    SelectorOperator::Exists => have.is_some(),
                    SelectorOperator::DoesNotExist => have.is_none(),
                    SelectorOperator::Unknown => false,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_keyed_hmacs() {
        // HMAC-SHA-256 under the key SHA-256("k"), first 6 bytes (computed independently).
        let key: [u8; 32] = Sha256::digest(b"k").into();
        assert_eq!(Fingerprint::keyed(&key, b"hello").0, "hmac:299f7e190077");
        // Not the bare SHA-256 of the value (`sha256:2cf24dba5fb0` for "hello"), whatever the key.
        let f = Fingerprint::of(b"hello");
        assert!(f.0.starts_with("hmac:") && f.0.len() == 17, "{f}");
        assert!(!f.0.contains("2cf24dba5fb0"), "{f}");
        // One process, one key: the same value always gives the same fingerprint.
        assert_eq!(Fingerprint::of(b"hello"), f);
        assert_ne!(Fingerprint::of(b"hello!"), f);
        let other: [u8; 32] = Sha256::digest(b"other").into();
        assert_ne!(Fingerprint::keyed(&other, b"hello"), Fingerprint::keyed(&key, b"hello"));
    }

    #[test]
    fn sensitive_never_prints_its_value() {
        let s = Sensitive::new("hunter2-very-secret".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("hmac:"), "{shown}");
        assert_eq!(s.fingerprint().0.len(), "hmac:".len() + 12);
    }

    #[test]
    fn selector_semantics() {
        let labels: StringMap = [("app".to_owned(), "web".to_owned())].into();
        let mut sel = LabelSelector::default();
        assert!(sel.matches(&labels));
        sel.match_expressions.push(SelectorRequirement {
            key: "tier".into(),
            operator: SelectorOperator::DoesNotExist,
            values: vec![],
        });
        assert!(sel.matches(&labels));
        sel.match_labels.insert("app".into(), "db".into());
        assert!(!sel.matches(&labels));
    }

    #[test]
    fn selector_operators_parse_case_sensitively_and_unknown_ones_select_nothing() {
        for (text, op) in [
            ("In", SelectorOperator::In),
            ("NotIn", SelectorOperator::NotIn),
            ("Exists", SelectorOperator::Exists),
            ("DoesNotExist", SelectorOperator::DoesNotExist),
            ("in", SelectorOperator::Unknown),
            ("Gt", SelectorOperator::Unknown),
            ("", SelectorOperator::Unknown),
        ] {
            assert_eq!(SelectorOperator::parse(text), op, "{text:?}");
        }
        let labels: StringMap = [("app".to_owned(), "web".to_owned())].into();
        let requirement = |operator, values: &[&str]| LabelSelector {
            match_labels: StringMap::new(),
            match_expressions: vec![SelectorRequirement {
                key: "app".into(),
                operator,
                values: values.iter().map(|v| (*v).to_owned()).collect(),
            }],
        };
        assert!(requirement(SelectorOperator::In, &["web"]).matches(&labels));
        assert!(!requirement(SelectorOperator::NotIn, &["web"]).matches(&labels));
        assert!(requirement(SelectorOperator::NotIn, &["db"]).matches(&labels));
        assert!(requirement(SelectorOperator::Exists, &[]).matches(&labels));
        assert!(!requirement(SelectorOperator::DoesNotExist, &[]).matches(&labels));
        // Neither for the labels it names nor for any other: the selector selects nothing.
        assert!(!requirement(SelectorOperator::Unknown, &["web"]).matches(&labels));
        assert!(!requirement(SelectorOperator::Unknown, &[]).matches(&StringMap::new()));
    }
}
