//! nginx configuration: a parser of the nginx grammar and the proxy model built from it.
//!
//! The parser follows `ngx_conf_read_token`: directives `name args… ;` and blocks
//! `name args… { … }`, words separated by blanks, `#` comments at the start of a word, `"…"` and
//! `'…'` strings with `\"`, `\'`, `\\`, `\t`, `\r`, `\n` escapes, `\` escaping one character in a
//! bare word, and `${var}` inside a word. The bodies of the Lua module's `*_by_lua_block`
//! directives are Lua, skipped as such. A syntax error becomes a [`Diagnostic`] at its file and
//! line; what was read before it is kept, and the other files are read as usual.
//!
//! `include` is resolved as nginx does, relative to the prefix (the directory of `nginx.conf`),
//! and also relative to the including file's directory; glob patterns (`*`, `?`, `[…]`) match
//! names in sorted order, skipping hidden files. A file that another file of the run includes is
//! not read as a root of its own; include cycles are cut. Includes that are not found (system
//! files such as `/etc/nginx/mime.types` in a repository) are listed in the proxy's attrs, not
//! reported as errors.
//!
//! One [`Proxy`] per root configuration (a main configuration, or a file of `server` blocks
//! meant to be included), with one [`ProxyListener`] per `server` per `listen`. The defaults
//! that matter are nginx's (docs/semantics.md#nginx):
//! - `ssl_verify_client` is off by default; `optional` does not require a certificate and
//!   `optional_no_ca` does not verify it;
//! - `proxy_ssl_verify` is off by default: HTTPS to a backend does not verify it;
//! - `proxy_set_header` is inherited from the outer level only when the current level defines
//!   none, so a `location` with any `proxy_set_header` drops the server's identity headers;
//! - `listen … ssl` on an address makes every server on that address TLS.

use include::Loader;
use include::canonical;
use include::prefix_for;
use lexer::Lexer;
use lexer::Tok;
use model::build;
use parser::parse;
use std::path::Path;
use std::sync::Arc;

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use crate::confine::ReadScope;
use crate::inventory::Inventory;

mod include;
mod lexer;
mod model;
mod parser;
#[cfg(test)]
mod tests;

/// Is this file one for the nginx reader? In a directory walk, `.conf` files whose beginning
/// reads as nginx configuration; a file named on the command line is taken when it is called
/// `nginx.conf` or reads as nginx configuration, whatever its extension. `prefix` gives the
/// beginning of the file (read through the scan's [`ReadScope`]) when it is needed.
pub(crate) fn is_candidate(
    name: &str,
    ext: &str,
    explicit: bool,
    prefix: &dyn Fn() -> Option<String>,
) -> bool {
    if explicit && name == "nginx.conf" {
        return true;
    }
    if !explicit && ext != "conf" {
        return false;
    }
    prefix().is_some_and(|text| looks_like_nginx(&text))
}

/// Does this text read as nginx configuration: at least one well-known nginx directive,
/// terminated by `;` or opening a block, before anything that breaks the grammar?
fn looks_like_nginx(text: &str) -> bool {
    let mut lexer = Lexer::new(text);
    let mut name: Option<String> = None;
    let mut known = 0usize;
    while let Ok((tok, _)) = lexer.next() {
        match tok {
            Tok::Word(w) => {
                if name.is_none() {
                    if !w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                        // A statement must start with a directive name (map and types blocks
                        // hold arbitrary keys, but only after a known block has been seen).
                        if known == 0 {
                            return false;
                        }
                        name = Some(String::new());
                    } else {
                        name = Some(w);
                    }
                }
            }
            Tok::Semi | Tok::Open => {
                let Some(n) = name.take() else { return known > 0 };
                if known_directive(&n) {
                    known += 1;
                }
                if tok == Tok::Open && n.ends_with("_by_lua_block") && lexer.skip_lua(lexer.here()).is_err() {
                    break;
                }
            }
            Tok::Close => {
                if name.is_some() {
                    break;
                }
            }
            Tok::Eof => break,
        }
    }
    known > 0
}

fn known_directive(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "http",
        "server",
        "location",
        "upstream",
        "events",
        "stream",
        "mail",
        "listen",
        "server_name",
        "worker_processes",
        "worker_connections",
        "worker_rlimit_nofile",
        "error_log",
        "access_log",
        "log_format",
        "root",
        "index",
        "try_files",
        "add_header",
        "return",
        "rewrite",
        "error_page",
        "resolver",
        "map",
        "types",
        "default_type",
        "sendfile",
        "tcp_nopush",
        "tcp_nodelay",
        "keepalive_timeout",
        "pid",
        "user",
        "daemon",
        "load_module",
        "charset",
        "expires",
        "alias",
        "autoindex",
        "allow",
        "deny",
        "satisfy",
        "internal",
        "server_tokens",
        "underscores_in_headers",
        "large_client_header_buffers",
        "real_ip_header",
        "set_real_ip_from",
        "etag",
        "if_modified_since",
    ];
    const PREFIXES: &[&str] = &[
        "proxy_",
        "ssl_",
        "fastcgi_",
        "uwsgi_",
        "scgi_",
        "grpc_",
        "gzip",
        "brotli",
        "client_",
        "lua_",
        "auth_",
        "limit_",
        "open_file_cache",
        "http2",
        "http3",
        "quic_",
        "keepalive_",
        "worker_",
        "server_names_",
        "variables_hash",
        "types_hash",
        "map_hash",
        "upstream_",
        "health_check",
    ];
    NAMES.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Reads nginx configuration files (roots and the files they include).
pub(crate) fn read_files(scope: &ReadScope, paths: &[PathBuf]) -> Inventory {
    let mut loader = Loader::new(scope);
    let mut inventory = Inventory::default();

    // Which candidates does each include (when read as a root)?
    let mut reach: Vec<(PathBuf, PathBuf, BTreeSet<PathBuf>)> = Vec::new();
    for path in paths {
        let key = canonical(path);
        let prefix = prefix_for(scope, path);
        let mut seen = BTreeSet::new();
        loader.collect_includes(path, &prefix, &mut seen, 0);
        seen.remove(&key);
        reach.push((path.clone(), key, seen));
    }
    let included: HashSet<&PathBuf> = reach.iter().flat_map(|(_, _, seen)| seen.iter()).collect();
    let mut roots: Vec<&PathBuf> =
        reach.iter().filter(|(_, key, _)| !included.contains(key)).map(|(p, _, _)| p).collect();
    // Files that only include each other (a cycle): the first of each cycle becomes a root.
    let mut covered: HashSet<&PathBuf> = HashSet::new();
    for (path, key, seen) in &reach {
        if roots.contains(&path) {
            covered.insert(key);
            covered.extend(seen.iter());
        }
    }
    for (path, key, seen) in &reach {
        if !covered.contains(key) {
            roots.push(path);
            covered.insert(key);
            covered.extend(seen.iter());
        }
    }
    roots.sort();

    for root in roots {
        if let Some(proxy) = loader.read_root(root) {
            inventory.proxies.push(proxy);
        }
    }
    inventory.files_read = loader.files_read;
    let mut seen = HashSet::new();
    inventory.diagnostics = loader
        .diagnostics
        .into_iter()
        .filter(|d| seen.insert((d.source.clone(), d.reason.clone())))
        .collect();
    inventory
}

/// Reads one nginx configuration held in memory, named `name`, without touching the file system:
/// `include`s are left unresolved. An entry point for the fuzz targets (`fuzz/`) and their tests.
#[doc(hidden)]
pub fn read_str(name: &str, text: &str) -> Inventory {
    let file: Arc<str> = name.into();
    let (tree, error) = parse(text, &file);
    let mut inventory = Inventory { files_read: 1, ..Inventory::default() };
    inventory.diagnostics.extend(error);
    inventory.proxies.push(build(&tree, &file, Path::new(name)));
    inventory
}
