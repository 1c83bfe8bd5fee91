//! The checks behind ztpath's fuzz targets, one public function per target.
//!
//! Each function takes the raw bytes the fuzzer made, feeds them to a reader of ztpath-probes and
//! panics when an invariant does not hold; a panic is what the fuzzer reports as a crash. The
//! targets in `fuzz_targets/` are one line each, and `tests/fuzz_harness.rs` in the main workspace
//! includes this file as a module and runs the same functions over the repository's fixtures, so
//! the targets are built and exercised by the ordinary test suite. This file therefore uses
//! nothing but `std` and `ztpath_probes`.
//!
//! Invariants, for every input:
//! - the reader returns (a hang is caught by the fuzzer's per-input timeout);
//! - every diagnostic points at a line of the text (1 up to the number of lines), never line 0:
//!   the text was in hand, so there is always a line to show;
//! - no proxy, listener or route points past the end of the text;
//! - reading the same text twice gives the same Inventory (`Debug` output compared);
//! - a secret planted in the input never reaches the `Debug` output of the Inventory. A planted
//!   secret is a word starting with [`CANARY`] (followed by ASCII letters and digits) that occurs
//!   only in a place that holds a secret (see [`secret_and_public_tokens`]); the nginx and HAProxy
//!   targets also put such secrets in a fixed block of configuration before the fuzzer's text.
//!
//! The YAML target also checks the located YAML reader itself: every node and every error has a
//! line within the text.

use std::collections::BTreeSet;

use ztpath_probes::yaml::{self, Node, Value, YamlError};
use ztpath_probes::{Inventory, haproxy, nginx};

/// The prefix of a planted secret.
pub(crate) const CANARY: &str = "CANARY";

/// nginx configuration put before the fuzzer's text: a server whose location sets an
/// `Authorization` header with a planted secret.
pub(crate) const NGINX_PLANTED: &str = "server {
    listen 8443 ssl;
    ssl_verify_client on;
    location /planted/ {
        proxy_pass https://planted.internal:9443;
        proxy_set_header Authorization \"Bearer CANARYnginxBearer\";
        proxy_set_header X-Api-Key CANARYnginxApiKey;
    }
}
";

/// Planted secrets of [`NGINX_PLANTED`].
pub(crate) const NGINX_SECRETS: &[&str] = &["CANARYnginxBearer", "CANARYnginxApiKey"];

/// HAProxy configuration put before the fuzzer's text: a user's password and a backend that sets
/// an `Authorization` header, both planted secrets.
pub(crate) const HAPROXY_PLANTED: &str = "userlist planted_users
    user ops insecure-password CANARYhaproxyPassword
backend planted_backend
    mode http
    http-request set-header Authorization \"Bearer CANARYhaproxyBearer\"
    server api 10.0.0.1:443 ssl verify none
";

/// Planted secrets of [`HAPROXY_PLANTED`].
pub(crate) const HAPROXY_SECRETS: &[&str] = &["CANARYhaproxyPassword", "CANARYhaproxyBearer"];

/// The YAML target: the located YAML reader, then the whole reading of a YAML/JSON file.
pub(crate) fn yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let last = yaml_last_line(text);
    let docs = yaml::parse_documents(text);
    for doc in &docs {
        match doc {
            Ok(node) => check_node_lines(node, last),
            Err(e) => assert!(
                (1..=last).contains(&e.line),
                "YAML error at line {} of a text of {last} lines: {}",
                e.line,
                e.reason
            ),
        }
    }
    check_document_file("fuzz.yaml", text, &docs);
}

/// The Envoy target: an Envoy bootstrap (YAML or JSON) read as a file is.
pub(crate) fn envoy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    check_document_file("envoy.yaml", text, &yaml::parse_documents(text));
}

/// The IAM target: the text read as an IAM JSON document (`get-account-authorization-details`
/// and the other CLI outputs) and as a credential report CSV.
pub(crate) fn iam(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    check_document_file("iam.json", text, &yaml::parse_documents(text));
    let inventory = read_document_file("credential_report.csv", text);
    check_lines(&inventory, last_line(text));
    check_deterministic(&inventory, || read_document_file("credential_report.csv", text));
}

/// The nginx target: the text alone, then after [`NGINX_PLANTED`].
pub(crate) fn nginx(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_text_config(&text, NGINX_PLANTED, NGINX_SECRETS, |t| nginx::read_str("nginx.conf", t));
}

/// The HAProxy target: the text alone, then after [`HAPROXY_PLANTED`].
pub(crate) fn haproxy(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_text_config(&text, HAPROXY_PLANTED, HAPROXY_SECRETS, |t| haproxy::read_str("haproxy.cfg", t));
}

/// Reads a YAML/JSON/CSV text as `ztpath scan` reads a file: the file, then the finish step that
/// joins items across files.
fn read_document_file(name: &str, text: &str) -> Inventory {
    ztpath_probes::read_text(name, text)
}

fn check_document_file(name: &str, text: &str, docs: &[Result<Node, YamlError>]) {
    let inventory = read_document_file(name, text);
    check_lines(&inventory, yaml_last_line(text));
    let debug = check_deterministic(&inventory, || read_document_file(name, text));
    let (secret, public) = secret_and_public_tokens(docs);
    let found = tokens(&debug);
    let leaked: Vec<&String> = secret.difference(&public).filter(|t| found.contains(*t)).collect();
    assert!(leaked.is_empty(), "planted secrets reach the Inventory: {leaked:?}");
}

fn check_text_config(text: &str, planted: &str, secrets: &[&str], read: impl Fn(&str) -> Inventory) {
    let inventory = read(text);
    check_lines(&inventory, last_line(text));
    check_deterministic(&inventory, || read(text));

    let combined = format!("{planted}{text}");
    let inventory = read(&combined);
    check_lines(&inventory, last_line(&combined));
    let debug = format!("{inventory:?}");
    let found = tokens(&debug);
    for secret in secrets {
        // The fuzzer may have copied the secret into its own text, where it is not one.
        if !text.contains(secret) {
            assert!(!found.contains(*secret), "the planted secret {secret} reaches the Inventory");
        }
    }
}

/// The `Debug` output of the Inventory, after checking that reading again gives the same.
fn check_deterministic(first: &Inventory, again: impl Fn() -> Inventory) -> String {
    let debug = format!("{first:?}");
    assert!(debug == format!("{:?}", again()), "reading the same text twice gives different Inventories");
    debug
}

/// The last line a position in the text can be on: lines are counted from 1 and broken by `\n`,
/// `\r` or `\r\n`, so this counts every break character (an upper bound).
pub(crate) fn last_line(text: &str) -> u32 {
    let breaks = text.bytes().filter(|b| matches!(b, b'\n' | b'\r')).count();
    u32::try_from(breaks + 1).unwrap_or(u32::MAX)
}

/// [`last_line`] as the YAML reader sees it: when the text does not end with a line break, an
/// error at its very end is reported on the line after the last (`[` gives line 2). That
/// off-by-one is known and tolerated here (see docs/fuzzing.md).
pub(crate) fn yaml_last_line(text: &str) -> u32 {
    let open_end = !text.is_empty() && !text.ends_with(['\n', '\r']);
    last_line(text).saturating_add(u32::from(open_end))
}

/// Checks the lines of the diagnostics and proxies of an Inventory read from a text of `last` lines.
pub(crate) fn check_lines(inventory: &Inventory, last: u32) {
    for d in &inventory.diagnostics {
        assert!(
            (1..=last).contains(&d.source.line),
            "diagnostic at line {} of a text of {last} lines: {}",
            d.source.line,
            d.reason
        );
    }
    for p in &inventory.proxies {
        assert!(p.source.line <= last, "proxy {} at line {} of {last}", p.name, p.source.line);
        for l in &p.listeners {
            assert!(l.line <= last, "listener {} of {} at line {} of {last}", l.name, p.name, l.line);
            for r in &l.routes {
                assert!(r.line <= last, "route {} of {} at line {} of {last}", r.matches, p.name, r.line);
            }
        }
    }
}

fn check_node_lines(node: &Node, last: u32) {
    assert!((1..=last).contains(&node.line), "YAML node at line {} of a text of {last} lines", node.line);
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| check_node_lines(n, last)),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| check_node_lines(n, last)),
        _ => {}
    }
}

/// The [`CANARY`] words of the parsed documents, split in two: those in places that hold a
/// secret, and those anywhere else (keys included). A word found in both is not a planted secret.
///
/// Places that hold a secret: the values under `data` and `stringData` of a `kind: Secret`
/// object (a document, or an item of a `List`), `data` values base64-decoded too; in a document
/// without `kind` (an Envoy bootstrap), everything under `private_key`, `password` and
/// `generic_secret`, and the `value` of a `header` whose `key` is `authorization`.
pub(crate) fn secret_and_public_tokens(
    docs: &[Result<Node, YamlError>],
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut split = (BTreeSet::new(), BTreeSet::new());
    for node in docs.iter().flatten() {
        object(node, 0, &mut split);
    }
    split
}

type Split = (BTreeSet<String>, BTreeSet<String>);

fn object(node: &Node, depth: usize, split: &mut Split) {
    let kind = match node.get("kind").map(|k| &k.value) {
        Some(Value::Str(kind)) => kind.as_str(),
        _ => "",
    };
    let Value::Map(entries) = &node.value else { return walk(node, Place::Public, split) };
    for (key, value) in entries {
        split.1.extend(tokens(key));
        let place = match (kind, key.as_str()) {
            (k, "items") if k.ends_with("List") && depth < 4 && value.is_seq() => {
                for item in value.items() {
                    object(item, depth + 1, split);
                }
                continue;
            }
            ("Secret", "data") => Place::SecretData,
            ("Secret", "stringData") => Place::SecretStringData,
            ("", _) => Place::Bootstrap,
            _ => Place::Public,
        };
        walk(value, place, split);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Public,
    /// Under a Secret's `data` (values are base64).
    SecretData,
    SecretStringData,
    /// In a document without `kind`, outside the secret-holding keys.
    Bootstrap,
    /// Under a secret-holding key of a document without `kind`.
    BootstrapSecret,
}

fn walk(node: &Node, place: Place, split: &mut Split) {
    match &node.value {
        Value::Str(s) => match place {
            Place::Public | Place::Bootstrap => split.1.extend(tokens(s)),
            Place::SecretStringData | Place::BootstrapSecret => split.0.extend(tokens(s)),
            Place::SecretData => {
                split.0.extend(tokens(s));
                if let Some(clear) = base64_decode(s) {
                    split.0.extend(tokens(&String::from_utf8_lossy(&clear)));
                }
            }
        },
        Value::Seq(items) => items.iter().for_each(|n| walk(n, place, split)),
        Value::Map(entries) => {
            let auth_header = place == Place::Bootstrap
                && node
                    .get("key")
                    .and_then(Node::string)
                    .is_some_and(|k| k.eq_ignore_ascii_case("authorization"));
            for (key, value) in entries {
                split.1.extend(tokens(key));
                let inner = match place {
                    Place::Bootstrap
                        if matches!(key.as_str(), "private_key" | "password" | "generic_secret")
                            || (auth_header && key == "value") =>
                    {
                        Place::BootstrapSecret
                    }
                    other => other,
                };
                walk(value, inner, split);
            }
        }
        _ => {}
    }
}

/// Every [`CANARY`] word of a text: from each occurrence of the prefix, the ASCII letters and
/// digits that follow it.
pub(crate) fn tokens(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(CANARY).map(|i| from + i) {
        let end = bytes[at + CANARY.len()..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |n| at + CANARY.len() + n);
        out.insert(text[at..end].to_owned());
        from = at + 1;
    }
    out
}

/// Standard base64 with padding, blanks ignored (as the Secret reader decodes `data`).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() / 4 * 3);
    for chunk in digits.chunks(4) {
        let mut acc = 0u32;
        let mut pad = 0;
        for &c in chunk {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' => {
                    pad += 1;
                    0
                }
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad.min(3)]);
    }
    Some(out)
}
