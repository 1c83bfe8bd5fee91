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
//! that matter are nginx's (STANDARDS.md 7.1):
//! - `ssl_verify_client` is off by default; `optional` does not require a certificate and
//!   `optional_no_ca` does not verify it;
//! - `proxy_ssl_verify` is off by default: HTTPS to a backend does not verify it;
//! - `proxy_set_header` is inherited from the outer level only when the current level defines
//!   none, so a `location` with any `proxy_set_header` drops the server's identity headers;
//! - `listen … ssl` on an address makes every server on that address TLS.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use crate::confine::{ReadScope, Refusal};
use crate::inventory::{
    BackendTarget, ClientCertMode, Diagnostic, HeaderAction, IdentityHeader, Inventory, JwtCheck,
    ListenerTls, PortTls, Proxy, ProxyBackend, ProxyKind, ProxyListener, ProxyRoute, Source, StringMap,
};
use crate::proxy::headers::identity_name;

/// Directives kept per root after include expansion (guards against include explosions).
const MAX_EXPANDED: usize = 1_000_000;
/// Nesting of blocks and includes.
const MAX_DEPTH: usize = 64;
/// Nesting of includes.
const MAX_INCLUDE_DEPTH: usize = 16;

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

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
    Eof,
}

/// Where a token starts: its line, and its byte offset (the column is worked out from it only
/// for an error, so that long lines cost nothing more to read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: u32,
    offset: usize,
}

/// A syntax error: its line, and a reason that starts with the column and says what was
/// expected there.
///
/// The reason never holds the text of the input: it names the kind of token that was found
/// (punctuation as itself, anything else by its kind) and a directive only by a name it may
/// show (see [`directive`]). Configuration files hold secrets, and a diagnostic is printed.
type SyntaxError = (u32, String);

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    line: u32,
}

/// A character that was not expected, named without quoting the input: ASCII punctuation is
/// shown as itself (it is syntax, not content), anything else by its kind.
fn show(c: u8) -> String {
    match c {
        b'"' => "'\"'".to_owned(),
        c if c.is_ascii_punctuation() => format!("\"{}\"", c as char),
        c if c.is_ascii_alphabetic() => "a letter".to_owned(),
        c if c.is_ascii_digit() => "a digit".to_owned(),
        c if c.is_ascii_control() => "a control character".to_owned(),
        _ => "a non-ASCII character".to_owned(),
    }
}

/// A directive as a diagnostic may name it: `the "listen" directive` when its name has the
/// shape of a directive name ([`crate::common::keyword_shaped`]: every well-known one has), and
/// `an unknown directive` otherwise, so that a line holding a secret is not printed back.
fn directive(name: &str, what: &str) -> String {
    if crate::common::keyword_shaped(name, b"") {
        format!("the \"{name}\" {what}")
    } else {
        format!("an unknown {what}")
    }
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer { s: text.as_bytes(), pos: 0, line: 1 }
    }

    /// The error `column N: reason` at `at`; the column (1-based) counts characters, not bytes.
    fn error(&self, at: Pos, reason: &str) -> SyntaxError {
        let end = at.offset.min(self.s.len());
        let start = self.s[..end].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let chars = self.s[start..end].iter().filter(|b| (**b & 0xC0) != 0x80).count();
        (at.line, format!("column {}: {reason}", chars + 1))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Advances one byte, counting lines.
    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.pos += 1;
    }

    /// The position of the next byte.
    fn here(&self) -> Pos {
        Pos { line: self.line, offset: self.pos }
    }

    fn next(&mut self) -> Result<(Tok, Pos), SyntaxError> {
        loop {
            let line = self.here();
            let Some(c) = self.peek() else { return Ok((Tok::Eof, line)) };
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.bump(),
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b';' => {
                    self.pos += 1;
                    return Ok((Tok::Semi, line));
                }
                b'{' => {
                    self.pos += 1;
                    return Ok((Tok::Open, line));
                }
                b'}' => {
                    self.pos += 1;
                    return Ok((Tok::Close, line));
                }
                b'"' | b'\'' => return self.quoted(c),
                _ => return Ok((self.word(), line)),
            }
        }
    }

    fn quoted(&mut self, quote: u8) -> Result<(Tok, Pos), SyntaxError> {
        let line = self.here();
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => {
                    return Err(self.error(
                        line,
                        &format!(
                            "unexpected end of file: the string opened here with {} is not closed",
                            quote as char
                        ),
                    ));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    if self.peek().is_some() {
                        self.bump();
                    }
                }
                Some(c) if c == quote => break,
                Some(_) => self.bump(),
            }
        }
        let raw = &self.s[start..self.pos];
        self.pos += 1;
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b')') => {}
            Some(c) => {
                let reason = format!(
                    "unexpected {} after a quoted string, expecting a blank, \";\" or \"{{\"",
                    show(c)
                );
                return Err(self.error(self.here(), &reason));
            }
        }
        Ok((Tok::Word(unescape(raw)), line))
    }

    fn word(&mut self) -> Tok {
        let start = self.pos;
        let mut after_dollar = false;
        while let Some(c) = self.peek() {
            match c {
                b'\\' => {
                    self.pos += 1;
                    if self.peek().is_some() {
                        self.bump();
                    }
                    after_dollar = false;
                    continue;
                }
                b' ' | b'\t' | b'\r' | b'\n' | b';' => break,
                b'{' if !after_dollar => break,
                _ => {}
            }
            after_dollar = c == b'$';
            self.pos += 1;
        }
        Tok::Word(unescape(&self.s[start..self.pos]))
    }

    /// Skips the body of a `*_by_lua_block` (the `{` at `open_line` already read) as Lua:
    /// strings, long brackets and comments may hold braces.
    fn skip_lua(&mut self, open_line: Pos) -> Result<(), SyntaxError> {
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            match c {
                b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                b'-' if self.s.get(self.pos + 1) == Some(&b'-') => {
                    self.pos += 2;
                    if !self.skip_long_bracket() {
                        while self.peek().is_some_and(|c| c != b'\n') {
                            self.pos += 1;
                        }
                    }
                }
                b'[' => {
                    if !self.skip_long_bracket() {
                        self.pos += 1;
                    }
                }
                b'"' | b'\'' => {
                    self.pos += 1;
                    while let Some(d) = self.peek() {
                        if d == b'\\' {
                            self.pos += 1;
                            if self.peek().is_some() {
                                self.bump();
                            }
                        } else if d == c {
                            self.pos += 1;
                            break;
                        } else if d == b'\n' {
                            break; // an unfinished Lua string ends at the line (Lua's own error)
                        } else {
                            self.pos += 1;
                        }
                    }
                }
                _ => self.bump(),
            }
        }
        Err(self.error(open_line, "unexpected end of file in a Lua block, expecting \"}\""))
    }

    /// At `[`: skips a Lua long bracket `[==[ … ]==]` and returns true, or returns false.
    fn skip_long_bracket(&mut self) -> bool {
        if self.peek() != Some(b'[') {
            return false;
        }
        let mut level = 0;
        while self.s.get(self.pos + 1 + level) == Some(&b'=') {
            level += 1;
        }
        if self.s.get(self.pos + 1 + level) != Some(&b'[') {
            return false;
        }
        self.pos += level + 2;
        while self.peek().is_some() {
            if self.peek() == Some(b']')
                && self.s[self.pos + 1..].iter().take(level).all(|b| *b == b'=')
                && self.s.get(self.pos + 1 + level) == Some(&b']')
            {
                self.pos += level + 2;
                return true;
            }
            self.bump();
        }
        true
    }
}

/// Resolves nginx's escapes in a token.
fn unescape(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            match raw[i + 1] {
                b'"' | b'\'' | b'\\' => {
                    out.push(raw[i + 1]);
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Directives
// ---------------------------------------------------------------------------------------------

/// Include sites that lead from a root to a file: (file, line), outermost first.
type Via = Rc<Vec<(Arc<str>, u32)>>;

/// One directive, with its block when it has one.
#[derive(Clone, Debug)]
struct Directive {
    name: String,
    args: Vec<String>,
    file: Arc<str>,
    line: u32,
    /// How the file was reached from the root being read (empty in the parsed file itself).
    via: Via,
    block: Option<Vec<Directive>>,
}

impl Directive {
    fn arg(&self, i: usize) -> &str {
        self.args.get(i).map_or("", String::as_str)
    }

    fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }

    /// The line to show for this directive in `file`: its own when it is in that file, else the
    /// line of the `include` in `file` that brought it in, else `fallback`.
    fn line_in(&self, file: &str, fallback: u32) -> u32 {
        if &*self.file == file {
            return self.line;
        }
        self.via.iter().rev().find(|(f, _)| &**f == file).map_or(fallback, |(_, l)| *l)
    }
}

/// Parses one file. On a syntax error, returns what was read before it and the error (at the
/// error's line, with its column in the reason).
fn parse(text: &str, file: &Arc<str>) -> (Vec<Directive>, Option<Diagnostic>) {
    let mut lexer = Lexer::new(text);
    let mut current: Vec<Directive> = Vec::new();
    // Open blocks: the block's directive (with where it starts), and the directives around it.
    let mut open: Vec<(Directive, Pos, Vec<Directive>)> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut start = Pos { line: 0, offset: 0 };
    let empty: Via = Rc::new(Vec::new());
    let make = |args: &mut Vec<String>, line: u32| {
        let mut it = std::mem::take(args).into_iter();
        Directive {
            name: it.next().unwrap_or_default(),
            args: it.collect(),
            file: Arc::clone(file),
            line,
            via: Rc::clone(&empty),
            block: None,
        }
    };
    let error: Option<SyntaxError> = loop {
        let (tok, at) = match lexer.next() {
            Ok(t) => t,
            Err(e) => break Some(e),
        };
        match tok {
            Tok::Word(w) => {
                if args.is_empty() {
                    start = at;
                }
                args.push(w);
            }
            Tok::Semi => {
                if args.is_empty() {
                    break Some(lexer.error(at, "unexpected \";\", expecting a directive name"));
                }
                current.push(make(&mut args, start.line));
            }
            Tok::Open => {
                if args.is_empty() {
                    break Some(lexer.error(at, "unexpected \"{\", expecting a directive name"));
                }
                let mut d = make(&mut args, start.line);
                if d.name.ends_with("_by_lua_block") {
                    if let Err(e) = lexer.skip_lua(at) {
                        break Some(e);
                    }
                    d.block = Some(Vec::new());
                    current.push(d);
                } else if open.len() >= MAX_DEPTH {
                    break Some(lexer.error(at, &format!("blocks nested more than {MAX_DEPTH} deep")));
                } else {
                    open.push((d, start, std::mem::take(&mut current)));
                }
            }
            Tok::Close => {
                if !args.is_empty() {
                    let what = directive(&args[0], "directive");
                    break Some(lexer.error(start, &format!("unexpected \"}}\": {what} has no \";\"")));
                }
                let Some((mut d, _, parent)) = open.pop() else {
                    break Some(lexer.error(at, "unexpected \"}\": no block is open"));
                };
                d.block = Some(std::mem::replace(&mut current, parent));
                current.push(d);
            }
            Tok::Eof => {
                if !args.is_empty() {
                    let what = directive(&args[0], "directive");
                    break Some(
                        lexer.error(start, &format!("unexpected end of file: {what} has no \";\" or \"}}\"")),
                    );
                }
                if let Some((d, at, _)) = open.last() {
                    let what = directive(&d.name, "block");
                    break Some(lexer.error(
                        *at,
                        &format!("unexpected end of file, expecting \"}}\": {what} is not closed"),
                    ));
                }
                break None;
            }
        }
    };
    // Keep what was read: close the blocks still open.
    while let Some((mut d, _, parent)) = open.pop() {
        d.block = Some(std::mem::replace(&mut current, parent));
        current.push(d);
    }
    let diagnostic =
        error.map(|(line, reason)| Diagnostic { source: Source { file: Arc::clone(file), line }, reason });
    (current, diagnostic)
}

// ---------------------------------------------------------------------------------------------
// Files and includes
// ---------------------------------------------------------------------------------------------

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The prefix directory relative paths are resolved against: the directory of `nginx.conf`
/// (the root itself, or the nearest one in the directories above a root that is a fragment).
fn prefix_for(scope: &ReadScope, root: &Path) -> PathBuf {
    let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
    if root.file_name().is_some_and(|n| n == "nginx.conf") {
        return dir;
    }
    // Lexically up from the file, within the path as given.
    dir.ancestors()
        .take(4)
        .take_while(|up| !up.as_os_str().is_empty() && up.file_name().is_some())
        .find(|up| scope.is_file(&up.join("nginx.conf")))
        .map_or(dir.clone(), Path::to_path_buf)
}

/// An include's argument as named in a diagnostic: a path, shortened when it is long (an
/// argument is input text; a path is what the user needs to find it, nothing more).
fn reference(arg: &str) -> String {
    const MAX: usize = 120;
    let count = arg.chars().count();
    if count <= MAX {
        arg.to_owned()
    } else {
        // The end of a path says most about what it names.
        let tail: String = arg.chars().skip(count - MAX).collect();
        format!("…{tail}")
    }
}

fn has_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// What an `include` names.
enum Included {
    /// The files it reaches, all inside the scanned tree.
    Files(Vec<PathBuf>),
    /// It names something the scan may not open (outside the tree, not a regular file).
    Refused(Refusal),
    /// Nothing in the scanned tree matches it.
    Missing,
}

/// Files an `include` names, tried against the prefix and the including file's directory (and,
/// for an absolute path outside the prefix, the same path re-rooted under the prefix). Every
/// candidate goes through the scope: nothing outside the scanned tree is opened, listed or even
/// looked at.
fn resolve_include(scope: &ReadScope, pattern: &str, including: &Path, prefix: &Path) -> Included {
    let path = Path::new(pattern);
    let mut bases: Vec<PathBuf> = Vec::new();
    if path.is_absolute() {
        let prefix_canon = canonical(prefix);
        if path.starts_with(&prefix_canon) || path.starts_with(prefix) {
            bases.push(path.to_path_buf());
        }
        // `/etc/nginx/conf.d/*.conf` in a repository that holds `conf.d/`: longest suffix first.
        let parts: Vec<Component> = path.components().filter(|c| matches!(c, Component::Normal(_))).collect();
        // A glob keeps its directory: `/etc/nginx/conf.d/*.conf` never becomes `<prefix>/*.conf`.
        let keep = if has_glob(pattern) { 2 } else { 1 };
        for i in 0..(parts.len() + 1).saturating_sub(keep) {
            let mut p = prefix.to_path_buf();
            for c in &parts[i..] {
                p.push(c);
            }
            bases.push(p);
        }
    } else {
        bases.push(prefix.join(path));
        let dir = including.parent().unwrap_or(Path::new(""));
        if dir != prefix {
            bases.push(dir.join(path));
        }
    }
    let mut refused = None;
    for candidate in bases {
        let found = if has_glob(&candidate.to_string_lossy()) {
            glob(scope, &candidate, &mut refused)
        } else {
            match scope.admit_file(&candidate) {
                Ok(_) => vec![candidate],
                Err(Refusal::Missing) => Vec::new(),
                Err(other) => {
                    refused.get_or_insert(other);
                    Vec::new()
                }
            }
        };
        if !found.is_empty() {
            return Included::Files(found);
        }
    }
    refused.map_or(Included::Missing, Included::Refused)
}

/// Expands a path whose components may hold `*`, `?` and `[…]`; sorted, files only, hidden
/// names matched only by patterns that start with a dot (as glob(3)). Directories and matches
/// the scope refuses are left out; the first refusal is kept in `refused`.
fn glob(scope: &ReadScope, pattern: &Path, refused: &mut Option<Refusal>) -> Vec<PathBuf> {
    let mut current: Vec<PathBuf> = vec![PathBuf::new()];
    let parts: Vec<Component> = pattern.components().collect();
    let mut note = |r: Refusal| {
        if !matches!(r, Refusal::Missing) {
            refused.get_or_insert(r);
        }
    };
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let text = part.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        for base in &current {
            if matches!(part, Component::Normal(_)) && has_glob(&text) {
                let dir = if base.as_os_str().is_empty() { Path::new(".") } else { base.as_path() };
                let names = match scope.list_dir(dir) {
                    Ok(names) => names,
                    Err(r) => {
                        note(r);
                        continue;
                    }
                };
                for name in names {
                    let name = name.to_string_lossy();
                    if name.starts_with('.') && !text.starts_with('.') {
                        continue;
                    }
                    if wildcard(text.as_bytes(), name.as_bytes()) {
                        let p = base.join(&*name);
                        let admitted =
                            if last { scope.admit_file(&p).map(|_| ()) } else { dir_admitted(scope, &p) };
                        match admitted {
                            Ok(()) => next.push(p),
                            Err(r) => note(r),
                        }
                    }
                }
            } else if !matches!(part, Component::Normal(_)) || !last {
                // The root, `..`, or a directory on the way: checked when it is listed.
                next.push(base.join(part.as_os_str()));
            } else {
                let p = base.join(part.as_os_str());
                match scope.admit_file(&p) {
                    Ok(_) => next.push(p),
                    Err(r) => note(r),
                }
            }
        }
        current = next;
        if current.is_empty() {
            break;
        }
    }
    current
}

/// A directory the scope admits (a match of a glob component that is not the last).
fn dir_admitted(scope: &ReadScope, path: &Path) -> Result<(), Refusal> {
    let canonical = scope.admit(path)?;
    if std::fs::metadata(canonical).is_ok_and(|m| m.is_dir()) { Ok(()) } else { Err(Refusal::Missing) }
}

/// Shell-style matching of one name: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
fn wildcard(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, len)) = class(&pattern[p..], name[n])
                        && matched
                    {
                        p += len;
                        n += 1;
                        continue;
                    }
                }
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                p = sp + 1;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// A `[…]` class at the start of `pattern`: whether `c` matches, and the class's length.
fn class(pattern: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pattern.get(1), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() && (pattern[i] != b']' || first) {
        first = false;
        if i + 2 < pattern.len() && pattern[i + 1] == b'-' && pattern[i + 2] != b']' {
            if (pattern[i]..=pattern[i + 2]).contains(&c) {
                matched = true;
            }
            i += 3;
        } else {
            if pattern[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    (i < pattern.len()).then_some((matched != negate, i + 1))
}

struct Loader<'s> {
    scope: &'s ReadScope,
    /// Parsed files by canonical path.
    parsed: HashMap<PathBuf, Option<Rc<Vec<Directive>>>>,
    diagnostics: Vec<Diagnostic>,
    files_read: usize,
    /// Files (canonical) whose text did not parse to the end.
    broken: HashSet<PathBuf>,
}

/// What expanding one root found besides its directives.
#[derive(Default)]
struct Expansion {
    /// Files read (canonical), the root included.
    files: BTreeSet<PathBuf>,
    /// `include` arguments that matched nothing, with where they are.
    unresolved: Vec<String>,
    budget_spent: bool,
}

impl<'s> Loader<'s> {
    fn new(scope: &'s ReadScope) -> Loader<'s> {
        Loader {
            scope,
            parsed: HashMap::new(),
            diagnostics: Vec::new(),
            files_read: 0,
            broken: HashSet::new(),
        }
    }

    /// Reads and parses a file once; later calls return the same directives.
    fn load(&mut self, path: &Path) -> Option<Rc<Vec<Directive>>> {
        let key = canonical(path);
        if let Some(p) = self.parsed.get(&key) {
            return p.clone();
        }
        let file: Arc<str> = path.display().to_string().into();
        let bytes = match self.scope.read(path, false) {
            Ok(bytes) => Some(bytes),
            Err(refusal) => {
                let source = Source { file: Arc::clone(&file), line: 0 };
                self.diagnostics.push(Diagnostic { source, reason: refusal.to_string() });
                None
            }
        };
        let directives = bytes.map(|bytes| {
            self.files_read += 1;
            let (directives, error) = parse(&String::from_utf8_lossy(&bytes), &file);
            if let Some(error) = error {
                self.broken.insert(key.clone());
                self.diagnostics.push(error);
            }
            Rc::new(directives)
        });
        self.parsed.insert(key, directives.clone());
        directives
    }

    /// The files a root reaches through `include`, without building anything.
    fn collect_includes(&mut self, path: &Path, prefix: &Path, seen: &mut BTreeSet<PathBuf>, depth: usize) {
        if depth > MAX_INCLUDE_DEPTH || !seen.insert(canonical(path)) {
            return;
        }
        let Some(directives) = self.load(path) else { return };
        let mut includes = Vec::new();
        fn walk(dirs: &[Directive], out: &mut Vec<(String, Arc<str>)>) {
            for d in dirs {
                if d.name == "include" && d.block.is_none() && d.args.len() == 1 {
                    out.push((d.args[0].clone(), Arc::clone(&d.file)));
                }
                walk(d.children(), out);
            }
        }
        walk(&directives, &mut includes);
        for (pattern, file) in includes {
            if let Included::Files(found) = resolve_include(self.scope, &pattern, Path::new(&*file), prefix) {
                for path in found {
                    self.collect_includes(&path, prefix, seen, depth + 1);
                }
            }
        }
    }

    /// Expands `include`s: the included files' directives take the place of the directive.
    fn expand(
        &mut self,
        dirs: &[Directive],
        via: &Via,
        prefix: &Path,
        stack: &mut Vec<PathBuf>,
        exp: &mut Expansion,
        budget: &mut usize,
    ) -> Vec<Directive> {
        let mut out = Vec::with_capacity(dirs.len());
        for d in dirs {
            if *budget == 0 {
                if !exp.budget_spent {
                    exp.budget_spent = true;
                    self.diagnostics.push(Diagnostic {
                        source: Source { file: Arc::clone(&d.file), line: d.line },
                        reason: format!(
                            "includes expand to more than {MAX_EXPANDED} directives; the rest is not read"
                        ),
                    });
                }
                break;
            }
            *budget -= 1;
            if d.name == "include" && d.block.is_none() {
                if d.args.len() != 1 {
                    self.diagnostics.push(Diagnostic {
                        source: Source { file: Arc::clone(&d.file), line: d.line },
                        reason: "invalid number of arguments in \"include\" directive".to_owned(),
                    });
                    continue;
                }
                let found = match resolve_include(self.scope, &d.args[0], Path::new(&*d.file), prefix) {
                    Included::Files(found) => found,
                    Included::Refused(refusal) => {
                        self.diagnostics.push(Diagnostic {
                            source: Source { file: Arc::clone(&d.file), line: d.line },
                            reason: format!("include {} {refusal}", reference(&d.args[0])),
                        });
                        Vec::new()
                    }
                    Included::Missing => {
                        if !has_glob(&d.args[0]) {
                            self.diagnostics.push(Diagnostic {
                                source: Source { file: Arc::clone(&d.file), line: d.line },
                                reason: format!(
                                    "include {}: not found in the scanned tree; not read",
                                    reference(&d.args[0])
                                ),
                            });
                            let at = Path::new(&*d.file);
                            let at = at.strip_prefix(prefix).unwrap_or(at);
                            exp.unresolved.push(format!(
                                "{} ({}:{})",
                                reference(&d.args[0]),
                                at.display(),
                                d.line
                            ));
                        }
                        Vec::new()
                    }
                };
                for path in found {
                    let key = canonical(&path);
                    let problem = if stack.contains(&key) {
                        Some(format!(
                            "include cycle: {} is already being read; not included again",
                            path.display()
                        ))
                    } else if stack.len() > MAX_INCLUDE_DEPTH {
                        Some(format!(
                            "includes nested more than {MAX_INCLUDE_DEPTH} deep; {} is not read",
                            path.display()
                        ))
                    } else {
                        None
                    };
                    if let Some(reason) = problem {
                        self.diagnostics.push(Diagnostic {
                            source: Source { file: Arc::clone(&d.file), line: d.line },
                            reason,
                        });
                        continue;
                    }
                    let Some(included) = self.load(&path) else { continue };
                    exp.files.insert(key.clone());
                    let mut chain = (**via).clone();
                    chain.push((Arc::clone(&d.file), d.line));
                    let chain: Via = Rc::new(chain);
                    stack.push(key);
                    let expanded = self.expand(&included, &chain, prefix, stack, exp, budget);
                    stack.pop();
                    out.extend(expanded);
                }
                continue;
            }
            let mut copy = Directive {
                name: d.name.clone(),
                args: d.args.clone(),
                file: Arc::clone(&d.file),
                line: d.line,
                via: Rc::clone(via),
                block: None,
            };
            if let Some(block) = &d.block {
                copy.block = Some(self.expand(block, via, prefix, stack, exp, budget));
            }
            out.push(copy);
        }
        out
    }

    /// Reads one root with its includes and builds its proxy (None for a fragment that holds no
    /// server and is not a main configuration).
    fn read_root(&mut self, root: &Path) -> Option<Proxy> {
        let prefix = prefix_for(self.scope, root);
        let directives = self.load(root)?;
        let key = canonical(root);
        let mut exp = Expansion::default();
        exp.files.insert(key.clone());
        let mut stack = vec![key];
        let mut budget = MAX_EXPANDED;
        let tree = self.expand(&directives, &Rc::new(Vec::new()), &prefix, &mut stack, &mut exp, &mut budget);
        let file: Arc<str> = root.display().to_string().into();
        let main = root.file_name().is_some_and(|n| n == "nginx.conf")
            || tree.iter().any(|d| {
                d.block.is_some() && matches!(d.name.as_str(), "http" | "stream" | "events" | "mail")
            });
        let mut proxy = build(&tree, &file, root);
        // A fragment with no server is not a proxy; nor is a broken file that gave none (it must
        // not count as something read).
        if proxy.listeners.is_empty() && (!main || exp.files.iter().any(|f| self.broken.contains(f))) {
            return None;
        }
        proxy.attrs.insert("files".into(), exp.files.len().to_string());
        if !exp.unresolved.is_empty() {
            exp.unresolved.dedup();
            proxy.attrs.insert("unresolved_includes".into(), exp.unresolved.join(", "));
        }
        Some(proxy)
    }
}

// ---------------------------------------------------------------------------------------------
// The proxy model
// ---------------------------------------------------------------------------------------------

/// The upstream modules whose settings are inherited separately.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Module {
    Proxy,
    Grpc,
    Uwsgi,
    Other,
}

impl Module {
    fn of(pass: &str) -> Option<Module> {
        match pass {
            "proxy_pass" => Some(Module::Proxy),
            "grpc_pass" => Some(Module::Grpc),
            "uwsgi_pass" => Some(Module::Uwsgi),
            "fastcgi_pass" | "scgi_pass" | "memcached_pass" => Some(Module::Other),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Module::Proxy => 0,
            Module::Grpc => 1,
            Module::Uwsgi => 2,
            Module::Other => 3,
        }
    }

    /// The module's directive prefix (`proxy`, `grpc`, `uwsgi`).
    fn prefix(self) -> &'static str {
        match self {
            Module::Proxy => "proxy",
            Module::Grpc => "grpc",
            Module::Uwsgi => "uwsgi",
            Module::Other => "",
        }
    }
}

/// A level's `*_set_header` directives (all-or-nothing inheritance).
#[derive(Clone)]
struct HeaderLevel<'a> {
    at_location: bool,
    dirs: Vec<&'a Directive>,
}

/// Settings inherited from the outer levels (http → server → location).
#[derive(Clone, Default)]
struct Settings<'a> {
    ssl_on: bool,
    verify_client: Option<&'a Directive>,
    client_ca: bool,
    /// `*_ssl_verify` per module.
    upstream_verify: [Option<&'a Directive>; 4],
    /// `*_ssl_certificate` per module.
    upstream_cert: [Option<&'a Directive>; 4],
    /// `proxy_set_header` / `grpc_set_header`.
    headers: [Option<HeaderLevel<'a>>; 2],
    /// Stream `proxy_ssl on`.
    stream_ssl: bool,
    /// Stream `ssl_preread on`: the server reads the ClientHello (to route on its SNI).
    ssl_preread: bool,
    auth_request: Option<&'a Directive>,
    auth_basic: Option<&'a Directive>,
    auth_jwt: Option<&'a Directive>,
}

impl<'a> Settings<'a> {
    /// The settings of a level: the outer ones overridden by the level's own directives.
    fn apply(&self, dirs: &'a [Directive], at_location: bool) -> Settings<'a> {
        let mut s = self.clone();
        let mut headers: [Vec<&'a Directive>; 2] = [Vec::new(), Vec::new()];
        for d in dirs.iter().filter(|d| d.block.is_none()) {
            match d.name.as_str() {
                "ssl" => s.ssl_on = d.arg(0) == "on",
                "ssl_verify_client" => s.verify_client = Some(d),
                "ssl_client_certificate" | "ssl_trusted_certificate" => s.client_ca = true,
                "proxy_ssl" => s.stream_ssl = d.arg(0) == "on",
                "ssl_preread" => s.ssl_preread = d.arg(0) == "on",
                "proxy_set_header" => headers[0].push(d),
                "grpc_set_header" => headers[1].push(d),
                "auth_request" => s.auth_request = Some(d),
                "auth_basic" => s.auth_basic = Some(d),
                "auth_jwt" => s.auth_jwt = Some(d),
                name => {
                    for m in [Module::Proxy, Module::Grpc, Module::Uwsgi] {
                        if let Some(rest) = name.strip_prefix(m.prefix()) {
                            match rest {
                                "_ssl_verify" => s.upstream_verify[m.index()] = Some(d),
                                "_ssl_certificate" => s.upstream_cert[m.index()] = Some(d),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        for (i, list) in headers.into_iter().enumerate() {
            if !list.is_empty() {
                s.headers[i] = Some(HeaderLevel { at_location, dirs: list });
            }
        }
        s
    }
}

/// What `proxy_set_header NAME VALUE` does to an identity header, or None when it is not one.
fn header_action(name: &str, value: &str) -> Option<HeaderAction> {
    let from_cert = value.contains("$ssl_client_") || value.contains("${ssl_client_");
    if !from_cert && !identity_name(name) {
        return None;
    }
    Some(if value.is_empty() {
        HeaderAction::Remove
    } else if value.contains("$http_") || value.contains("${http_") {
        // The client's own request header copied over.
        HeaderAction::PassThrough
    } else {
        HeaderAction::Set { from_client_cert: from_cert }
    })
}

/// The identity headers of one level's `*_set_header` directives, with lines in `file`.
fn identity_headers(level: Option<&HeaderLevel<'_>>, file: &str, fallback: u32) -> Vec<IdentityHeader> {
    let Some(level) = level else { return Vec::new() };
    level
        .dirs
        .iter()
        .filter_map(|d| {
            let action = header_action(d.arg(0), d.arg(1))?;
            Some(IdentityHeader { name: d.arg(0).to_owned(), action, line: d.line_in(file, fallback) })
        })
        .collect()
}

/// A fixed credential set by the proxy in place of the caller's (`proxy_set_header
/// Authorization "Bearer …"`), described without its value.
fn fixed_credential(level: Option<&HeaderLevel<'_>>) -> Option<String> {
    let level = level?;
    level.dirs.iter().find_map(|d| {
        let value = d.arg(1);
        (d.arg(0).eq_ignore_ascii_case("authorization") && !value.is_empty() && !value.contains("$http_"))
            .then(|| format!("nginx sets its own Authorization header ({}:{})", d.file, d.line))
    })
}

/// `listen` address: normalised address (for sharing `ssl` between servers) and port.
fn parse_listen(arg: &str, stream: bool) -> (String, Option<u32>) {
    if arg.starts_with("unix:") {
        return (arg.to_owned(), None);
    }
    let default_port = if stream { None } else { Some(80) };
    if arg.bytes().all(|b| b.is_ascii_digit()) {
        return (format!("*:{arg}"), arg.parse().ok());
    }
    let (host, port) = split_host_port(arg);
    let host = if host.is_empty() || host == "0.0.0.0" { "*".to_owned() } else { host };
    let port = match port {
        Some(p) => p.parse().ok(),
        None => default_port,
    };
    (format!("{host}:{}", port.map_or_else(String::new, |p: u32| p.to_string())), port)
}

/// Splits `host:port`, `[v6]:port`, `[v6]`, `host`.
fn split_host_port(s: &str) -> (String, Option<String>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').map(str::to_owned);
            return (format!("[{h}]"), port);
        }
        return (s.to_owned(), None);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p.to_owned())),
        _ => (s.to_owned(), None),
    }
}

/// The context a server is built in.
struct Ctx<'a> {
    upstreams: HashMap<&'a str, &'a Directive>,
    maps: HashMap<&'a str, &'a Directive>,
    stream: bool,
}

/// Builds the proxy of one expanded root.
fn build(tree: &[Directive], file: &Arc<str>, root: &Path) -> Proxy {
    let name =
        root.file_stem().map_or_else(|| root.display().to_string(), |s| s.to_string_lossy().into_owned());
    let mut proxy = Proxy {
        kind: ProxyKind::Nginx,
        name,
        namespace: None,
        source: Source { file: Arc::clone(file), line: 1 },
        runs_on: None,
        listeners: Vec::new(),
        attrs: StringMap::new(),
        credentials: Vec::new(),
    };
    let base = Settings::default();
    // `server` blocks at the top of a fragment are http servers.
    let mut contexts: Vec<(&[Directive], bool)> = vec![(tree, false)];
    for d in tree {
        match (d.name.as_str(), &d.block) {
            ("http", Some(block)) => contexts.push((block, false)),
            ("stream", Some(block)) => contexts.push((block, true)),
            _ => {}
        }
    }
    for (dirs, stream) in contexts {
        let ctx = Ctx {
            upstreams: blocks(dirs, "upstream"),
            maps: dirs
                .iter()
                .filter(|d| d.name == "map" && d.block.is_some())
                .filter_map(|d| Some((d.args.get(1)?.strip_prefix('$')?, d)))
                .collect(),
            stream,
        };
        let settings = base.apply(dirs, false);
        let servers: Vec<&Directive> =
            dirs.iter().filter(|d| d.name == "server" && d.block.is_some()).collect();
        // `ssl` on any server's listen makes the address TLS for all servers on it.
        let mut tls_addresses: HashSet<String> = HashSet::new();
        for server in &servers {
            for l in server.children().iter().filter(|d| d.name == "listen") {
                if l.args.iter().skip(1).any(|a| a == "ssl") {
                    tls_addresses.insert(parse_listen(l.arg(0), stream).0);
                }
            }
        }
        for server in servers {
            build_server(server, &settings, &ctx, &tls_addresses, &mut proxy);
        }
    }
    proxy
}

fn blocks<'a>(dirs: &'a [Directive], name: &str) -> HashMap<&'a str, &'a Directive> {
    dirs.iter()
        .filter(|d| d.name == name && d.block.is_some())
        .filter_map(|d| Some((d.args.first()?.as_str(), d)))
        .collect()
}

fn build_server(
    server: &Directive,
    outer: &Settings<'_>,
    ctx: &Ctx<'_>,
    tls_addresses: &HashSet<String>,
    proxy: &mut Proxy,
) {
    let dirs = server.children();
    let s = outer.apply(dirs, false);
    let sfile: &str = &server.file;
    let server_names: Vec<String> = dirs
        .iter()
        .filter(|d| d.name == "server_name")
        .flat_map(|d| d.args.iter().cloned())
        .filter(|n| !n.is_empty())
        .collect();
    let name = server_names.first().cloned().unwrap_or_else(|| "server".to_owned());

    // Routes and authorization, from the locations (http) or the server itself (stream).
    let mut routes = Vec::new();
    let mut authz = Vec::new();
    let mut jwt = Vec::new();
    if ctx.stream {
        for d in dirs.iter().filter(|d| d.name == "proxy_pass") {
            routes.extend(pass_routes(d, &s, String::new(), ctx, sfile, server.line));
        }
    } else {
        describe_auth(&s, None, None, sfile, server.line, &mut authz, &mut jwt);
        for loc in dirs.iter().filter(|d| d.name == "location" && d.block.is_some()) {
            walk_location(loc, &s, ctx, sfile, server.line, &mut routes, &mut authz, &mut jwt);
        }
    }

    let identity = identity_headers(s.headers[0].as_ref(), sfile, server.line);
    let listens: Vec<&Directive> = dirs.iter().filter(|d| d.name == "listen").collect();
    // (port, TLS, bound to loopback or a Unix socket only, line)
    let mut specs: Vec<(Option<u32>, bool, bool, u32)> = Vec::new();
    if listens.is_empty() && !ctx.stream {
        // nginx's default: `listen *:80`.
        specs.push((Some(80), s.ssl_on || tls_addresses.contains("*:80"), false, server.line));
    }
    for l in listens {
        let (address, port) = parse_listen(l.arg(0), ctx.stream);
        // `quic` (HTTP/3) is TLS 1.3 on its own UDP socket.
        let ssl = s.ssl_on || tls_addresses.contains(&address) || l.args.iter().skip(1).any(|a| a == "quic");
        let host = if address.starts_with("unix:") {
            address.as_str()
        } else {
            address.rsplit_once(':').map_or(address.as_str(), |(h, _)| h)
        };
        let local = crate::proxy::address::is_local_host(host);
        specs.push((port, ssl, local, l.line_in(sfile, server.line)));
    }
    let client_cert = client_cert_mode(&s, proxy);
    // A stream server that originates TLS to every backend wraps the client's bytes in its own.
    let originates_tls = !routes.is_empty() && routes.iter().all(|r| r.backend.tls);
    for (port, ssl, local_only, line) in specs {
        let tls = if ssl {
            ListenerTls::Terminate
        } else if ctx.stream && s.ssl_preread && !originates_tls {
            // Reading the ClientHello to route on its SNI: TLS passes through.
            ListenerTls::Passthrough
        } else if ctx.stream && !originates_tls {
            // Bytes forwarded as they come, TLS or not.
            ListenerTls::Layer4
        } else {
            ListenerTls::Plaintext
        };
        proxy.listeners.push(ProxyListener {
            name: name.clone(),
            port,
            hosts: server_names.clone(),
            tls,
            client_cert: if ssl { client_cert } else { ClientCertMode::None },
            xfcc: None,
            identity_headers: identity.clone(),
            jwt: jwt.clone(),
            authz: authz.clone(),
            routes: routes.clone(),
            local_only,
            line,
            file: (server.file != proxy.source.file).then(|| Arc::clone(&server.file)),
        });
    }
}

fn client_cert_mode(s: &Settings<'_>, proxy: &mut Proxy) -> ClientCertMode {
    let Some(d) = s.verify_client else { return ClientCertMode::None };
    match d.arg(0) {
        "on" => {
            if !s.client_ca {
                proxy.attrs.insert(
                    format!("note {}:{}", d.file, d.line),
                    "ssl_verify_client on without ssl_client_certificate or ssl_trusted_certificate: nginx \
                     refuses this configuration"
                        .to_owned(),
                );
            }
            ClientCertMode::Required
        }
        "optional" => ClientCertMode::Optional,
        "optional_no_ca" => ClientCertMode::Unverified,
        _ => ClientCertMode::None,
    }
}

/// Describes the `auth_request` / `auth_basic` / `auth_jwt` in effect at a level, leaving out
/// those already in effect at the outer level (`outer`).
fn describe_auth(
    s: &Settings<'_>,
    outer: Option<&Settings<'_>>,
    location: Option<&str>,
    file: &str,
    fallback: u32,
    authz: &mut Vec<String>,
    jwt: &mut Vec<JwtCheck>,
) {
    fn new<'d>(d: Option<&'d Directive>, before: Option<&Directive>) -> Option<&'d Directive> {
        d.filter(|d| d.arg(0) != "off" && !before.is_some_and(|b| std::ptr::eq(*d, b)))
    }
    let at = location.map_or_else(String::new, |l| format!(" on location {l}"));
    if let Some(d) = new(s.auth_request, outer.and_then(|o| o.auth_request)) {
        authz.push(format!("auth_request {}{at} (line {})", d.arg(0), d.line_in(file, fallback)));
    }
    if let Some(d) = new(s.auth_basic, outer.and_then(|o| o.auth_basic)) {
        authz.push(format!("auth_basic{at} (line {})", d.line_in(file, fallback)));
    }
    if let Some(d) = new(s.auth_jwt, outer.and_then(|o| o.auth_jwt)) {
        let line = d.line_in(file, fallback);
        jwt.push(JwtCheck { issuer: None, audiences: Vec::new(), enforced: true, verified: true, line });
    }
}

#[allow(clippy::too_many_arguments)]
fn walk_location(
    loc: &Directive,
    outer: &Settings<'_>,
    ctx: &Ctx<'_>,
    file: &str,
    fallback: u32,
    routes: &mut Vec<ProxyRoute>,
    authz: &mut Vec<String>,
    jwt: &mut Vec<JwtCheck>,
) {
    let s = outer.apply(loc.children(), true);
    let matches = loc.args.join(" ");
    let loc_line = loc.line_in(file, fallback);
    describe_auth(&s, Some(outer), Some(&matches), file, loc_line, authz, jwt);
    for d in loc.children() {
        if Module::of(&d.name).is_some() {
            routes.extend(pass_routes(d, &s, matches.clone(), ctx, file, loc_line));
        } else if matches!(d.name.as_str(), "if" | "limit_except") {
            let cond = format!("{matches} {} {}", d.name, d.args.join(" "));
            for inner in d.children().iter().filter(|i| Module::of(&i.name).is_some()) {
                routes.extend(pass_routes(inner, &s, cond.clone(), ctx, file, loc_line));
            }
        } else if d.name == "location" && d.block.is_some() {
            walk_location(d, &s, ctx, file, loc_line, routes, authz, jwt);
        }
    }
}

/// The routes of one `*_pass` directive: one per upstream server, or one to its address.
fn pass_routes(
    d: &Directive,
    s: &Settings<'_>,
    matches: String,
    ctx: &Ctx<'_>,
    file: &str,
    fallback: u32,
) -> Vec<ProxyRoute> {
    let module = if ctx.stream { Module::Proxy } else { Module::of(&d.name).unwrap_or(Module::Other) };
    let line = d.line_in(file, fallback);
    // A `user:password@` in the URL is the proxy's credential, never part of a name.
    let (url, credential) = crate::urls::split_userinfo(d.arg(0));
    let url = url.as_str();
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => (String::new(), url),
    };
    let tls = if ctx.stream { s.stream_ssl } else { matches!(scheme.as_str(), "https" | "grpcs" | "suwsgi") };
    let default_port = match scheme.as_str() {
        "http" | "grpc" => Some(80),
        "https" | "grpcs" => Some(443),
        _ => None,
    };
    let verify =
        if tls { Some(s.upstream_verify[module.index()].is_some_and(|v| v.arg(0) == "on")) } else { None };
    let cert = s.upstream_cert[module.index()].filter(|c| tls && c.arg(0) != "off");
    let header_level = match module {
        Module::Proxy if !ctx.stream => s.headers[0].as_ref(),
        Module::Grpc => s.headers[1].as_ref(),
        _ => None,
    };
    let substitutes = match cert {
        Some(c) => {
            Some(format!("nginx presents its own client certificate {} ({}:{})", c.arg(0), c.file, c.line))
        }
        None if module == Module::Proxy && !ctx.stream => fixed_credential(header_level),
        None => None,
    };
    let identity = match module {
        Module::Proxy if ctx.stream => None,
        Module::Proxy => {
            header_level.filter(|l| l.at_location).map(|l| identity_headers(Some(l), file, fallback))
        }
        Module::Grpc => Some(identity_headers(header_level, file, fallback)),
        // FastCGI, uwsgi, SCGI: client headers reach the backend as HTTP_* parameters.
        Module::Uwsgi | Module::Other => Some(Vec::new()),
    };
    let route = |target: BackendTarget, line_of_target: u32, matches: String| ProxyRoute {
        matches,
        backend: ProxyBackend {
            target,
            tls,
            verify_server: verify,
            client_cert: cert.is_some(),
            substitutes_identity: substitutes.clone(),
            credential: credential.clone(),
            port_tls: PortTls::Unknown,
            line: line_of_target,
        },
        identity_headers: identity.clone(),
        line,
    };

    // `unix:/path` (after the scheme) and the host:port part.
    let hostport = if let Some(socket) = rest.strip_prefix("unix:") {
        let path_end = socket.find(':').map_or(rest.len(), |i| i + 5);
        &rest[..path_end]
    } else {
        rest.split('/').next().unwrap_or("")
    };
    if hostport.is_empty() {
        return vec![route(BackendTarget::Named(url.to_owned()), line, matches)];
    }
    if hostport.starts_with("unix:") {
        return vec![route(BackendTarget::Address { host: hostport.to_owned(), port: None }, line, matches)];
    }
    // `$var` mapped by a `map` block: one route per value.
    if let Some(var) = hostport.strip_prefix('$').map(|v| v.trim_start_matches('{').trim_end_matches('}'))
        && let Some(map) = ctx.maps.get(var)
    {
        let mut out = Vec::new();
        for entry in map.children().iter().filter(|e| !e.args.is_empty()) {
            if matches!(entry.name.as_str(), "hostnames" | "volatile" | "include") {
                continue;
            }
            let value = entry.arg(0);
            let m = format!("{matches} {} {}", map.arg(0), entry.name).trim().to_owned();
            let entry_line = entry.line_in(file, line);
            for (target, target_line) in resolve_target(value, default_port, ctx, file, entry_line) {
                out.push(route(target, target_line, m.clone()));
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    if hostport.contains('$') {
        return vec![route(BackendTarget::Named(url.to_owned()), line, matches)];
    }
    resolve_target(hostport, default_port, ctx, file, line)
        .into_iter()
        .map(|(target, target_line)| route(target, target_line, matches.clone()))
        .collect()
}

/// An upstream name (one target per server) or `host[:port]`.
fn resolve_target(
    hostport: &str,
    default_port: Option<u32>,
    ctx: &Ctx<'_>,
    file: &str,
    line: u32,
) -> Vec<(BackendTarget, u32)> {
    if hostport.contains('$') {
        return vec![(BackendTarget::Named(hostport.to_owned()), line)];
    }
    if let Some(upstream) = ctx.upstreams.get(hostport) {
        let dynamic = upstream.children().iter().any(|d| d.name == "balancer_by_lua_block");
        let servers: Vec<&Directive> = upstream
            .children()
            .iter()
            .filter(|d| d.name == "server" && d.block.is_none() && !d.args.iter().any(|a| a == "down"))
            .collect();
        if dynamic || servers.is_empty() {
            // ingress-nginx's `upstream_balancer`: the servers are chosen in Lua at run time.
            return vec![(BackendTarget::Named(hostport.to_owned()), line)];
        }
        return servers
            .into_iter()
            .map(|srv| {
                let addr = srv.arg(0);
                let target = if addr.starts_with("unix:") {
                    BackendTarget::Address { host: addr.to_owned(), port: None }
                } else {
                    let (host, port) = split_host_port(addr);
                    BackendTarget::Address { host, port: port.and_then(|p| p.parse().ok()).or(Some(80)) }
                };
                (target, srv.line_in(file, line))
            })
            .collect();
    }
    let (host, port) = split_host_port(hostport);
    let port = match port {
        Some(p) => p.parse().ok(),
        None => default_port,
    };
    vec![(BackendTarget::Address { host, port }, line)]
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

#[cfg(test)]
mod tests {
    /// Reads files with a scope whose roots are the files themselves (their directories).
    fn read_all(paths: &[std::path::PathBuf]) -> crate::inventory::Inventory {
        let scope = crate::confine::ReadScope::new(paths, crate::confine::ReadOptions::default());
        super::read_files(&scope, paths)
    }
    use super::*;

    fn parse_str(text: &str) -> (Vec<Directive>, Option<Diagnostic>) {
        parse(text, &Arc::from("t.conf"))
    }

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn one(text: &str) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "nginx.conf", text);
        let inv = read_all(&[p]);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        assert_eq!(inv.proxies.len(), 1);
        inv.proxies.into_iter().next().unwrap()
    }

    #[test]
    fn tokens_quotes_escapes_comments_and_variables() {
        let (dirs, err) = parse_str(
            "log_format main '$remote_addr \"$request\"' \"a\\\"b\\n\"; # comment { ;\n\
             return 200 ${host}x#y;\nrewrite ^/(a)\\;b$ /x;\nif ($a = \"b\") { return 403; }\n",
        );
        assert!(err.is_none(), "{err:?}");
        assert_eq!(dirs[0].args, vec!["main", "$remote_addr \"$request\"", "a\"b\n"]);
        assert_eq!(dirs[1].args, vec!["200", "${host}x#y"]);
        assert_eq!(dirs[1].line, 2);
        assert_eq!(dirs[2].args, vec!["^/(a)\\;b$", "/x"]);
        assert_eq!(dirs[3].args, vec!["($a", "=", "b", ")"]);
        assert_eq!(dirs[3].children()[0].name, "return");
    }

    #[test]
    fn lua_blocks_are_skipped_as_lua() {
        let (dirs, err) = parse_str(
            "http {\n content_by_lua_block {\n local t = { a = \"}\" } -- }\n s = [[ { ]] --[==[ } ]==]\n }\n server { listen 80; }\n}\n",
        );
        assert!(err.is_none(), "{err:?}");
        let http = dirs[0].children();
        assert_eq!(http[0].name, "content_by_lua_block");
        assert_eq!(http[1].name, "server");
        assert_eq!(http[1].line, 6);
    }

    #[test]
    fn syntax_errors_have_lines_and_keep_what_was_read() {
        let (dirs, err) = parse_str("events {}\nhttp {\n  server {\n    listen 80\n  }\n}\n");
        let err = err.unwrap();
        assert_eq!(err.source.line, 4);
        assert_eq!(err.reason, "column 5: unexpected \"}\": the \"listen\" directive has no \";\"");
        assert_eq!(dirs.len(), 2);
        let (_, err) = parse_str("http {\n server {\n }\n");
        let err = err.unwrap();
        assert_eq!(err.source.line, 1);
        assert_eq!(
            err.reason,
            "column 1: unexpected end of file, expecting \"}\": the \"http\" block is not closed"
        );
        let (_, err) = parse_str("a \"b\"c;\n");
        assert_eq!(
            err.unwrap().reason,
            "column 6: unexpected a letter after a quoted string, expecting a blank, \";\" or \"{\""
        );
        let (_, err) = parse_str("a \"b\"|;\n");
        assert!(err.unwrap().reason.starts_with("column 6: unexpected \"|\" after a quoted string"));
        let (_, err) = parse_str("}\n");
        assert_eq!(err.unwrap().reason, "column 1: unexpected \"}\": no block is open");
        let (_, err) = parse_str("events {}\n  ;\n");
        let err = err.unwrap();
        assert_eq!(
            (err.source.line, err.reason.as_str()),
            (2, "column 3: unexpected \";\", expecting a directive name")
        );
        // Columns count characters, not bytes.
        let (_, err) = parse_str("# é\nhttp { a \"é\"é; }\n");
        assert_eq!(err.unwrap().reason.split(':').next(), Some("column 13"));
        let (_, err) = parse_str("server {\n  return 200 'x\n");
        let err = err.unwrap();
        assert_eq!(err.source.line, 2);
        assert_eq!(
            err.reason,
            "column 14: unexpected end of file: the string opened here with ' is not closed"
        );
        let (_, err) = parse_str("server {\n content_by_lua_block { x = 1\n");
        let err = err.unwrap();
        assert_eq!(err.source.line, 2);
        assert_eq!(err.reason, "column 23: unexpected end of file in a Lua block, expecting \"}\"");
    }

    /// A line that is not nginx (a secret pasted in) gives a diagnostic that names the file, the
    /// line and the column and what was expected, never the line's text.
    #[test]
    fn syntax_errors_never_quote_the_input() {
        const CANARY: &str = "canary123secret";
        for (text, line, col) in [
            // Before a closing brace, at the end of the file, as a block's name.
            ("server {\n  listen 80;\n  API_KEY=canary123secret\n}\n", 3, 3),
            ("server {\n  listen 80;\n}\nAPI_KEY=canary123secret\n", 4, 1),
            ("server {\n  listen 80;\n}\n  canary123secret", 4, 3),
            ("server {\n  listen 80;\n}\nAPI_KEY=canary123secret {\n", 4, 1),
            ("http {\n  \"API_KEY=canary123secret\"x;\n}\n", 2, 28),
            ("http {\n  x \"canary123secret\n", 2, 5),
            ("http {\n  x 'canary123secret\"\n}\n", 2, 5),
        ] {
            let (_, err) = parse_str(text);
            let err = err.unwrap_or_else(|| panic!("no error for {text:?}"));
            assert_eq!(err.source.line, line, "{text:?}: {err}");
            assert!(err.reason.starts_with(&format!("column {col}: ")), "{text:?}: {err}");
            assert!(!err.reason.contains(CANARY) && !err.reason.contains("API_KEY"), "{text:?}: {err}");
        }
        let (_, err) = parse_str("server {\n  listen 80;\n  API_KEY=canary123secret\n}\n");
        assert_eq!(err.unwrap().reason, "column 3: unexpected \"}\": an unknown directive has no \";\"");
        // A name with the shape of a directive is named.
        let (_, err) = parse_str("server {\n  more_set_headers x\n}\n");
        assert_eq!(
            err.unwrap().reason,
            "column 3: unexpected \"}\": the \"more_set_headers\" directive has no \";\""
        );
        let (_, err) = parse_str("API_KEY=canary123secret {\n");
        assert_eq!(
            err.unwrap().reason,
            "column 1: unexpected end of file, expecting \"}\": an unknown block is not closed"
        );
    }

    #[test]
    fn broken_file_is_reported_and_others_are_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(
            dir.path(),
            "a/bad.conf",
            "server {\n  listen 80;\n  location / {\n    proxy_pass http://x\n  }\n}\n",
        );
        let good = write(dir.path(), "b/good.conf", "server {\n  listen 8080;\n}\n");
        let inv = read_all(&[bad.clone(), good]);
        assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
        assert_eq!(&*inv.diagnostics[0].source.file, bad.display().to_string());
        assert_eq!(inv.diagnostics[0].source.line, 4);
        let ports: Vec<Option<u32>> =
            inv.proxies.iter().flat_map(|p| p.listeners.iter().map(|l| l.port)).collect();
        assert_eq!(ports, vec![Some(80), Some(8080)]);
    }

    #[test]
    fn unreadable_root_is_one_diagnostic() {
        let dir = tempfile::tempdir().unwrap();
        let inv = read_all(&[dir.path().join("nginx.conf")]);
        assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
        assert_eq!(inv.diagnostics[0].reason, "not found");
        assert!(inv.proxies.is_empty());
    }

    #[test]
    fn includes_and_upstreams_are_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let root = write(
            dir.path(),
            "nginx.conf",
            "events {}\nhttp {\n  include upstreams.conf;\n  include conf.d/*.conf;\n  include missing.conf;\n}\n",
        );
        let ups = write(
            dir.path(),
            "upstreams.conf",
            "upstream app {\n  server 10.0.0.1:8080;\n  server app-2;\n  server 10.0.0.3 down;\n}\n",
        );
        let site = write(
            dir.path(),
            "conf.d/site.conf",
            "server {\n  listen 443 ssl;\n  server_name api.example.com;\n  include snippets/mtls.conf;\n  location / {\n    proxy_pass http://app;\n  }\n}\n",
        );
        let snippet = write(
            dir.path(),
            "snippets/mtls.conf",
            "ssl_verify_client on;\nssl_client_certificate /ca.pem;\n",
        );
        let hidden = write(dir.path(), "conf.d/.hidden.conf", "server { listen 9999; }\n");
        let inv = read_all(&[hidden, root.clone(), site.clone(), snippet, ups]);
        // A missing include is said, with where it is.
        let said: Vec<String> = inv.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [format!("{}:5: include missing.conf: not found in the scanned tree; not read", root.display())]
        );
        // The included files are not roots; the hidden file is not matched by the glob.
        assert_eq!(inv.proxies.len(), 2, "{:?}", inv.proxies.iter().map(|p| &p.source).collect::<Vec<_>>());
        let p = inv.proxies.iter().find(|p| p.name == "nginx").unwrap();
        assert_eq!(p.attrs.get("files").map(String::as_str), Some("4"));
        assert!(p.attrs["unresolved_includes"].starts_with("missing.conf ("));
        assert_eq!(p.listeners.len(), 1);
        let l = &p.listeners[0];
        assert_eq!(l.file.as_deref(), Some(&*site.display().to_string()));
        assert_eq!(
            (l.port, l.tls, l.client_cert, l.line),
            (Some(443), ListenerTls::Terminate, ClientCertMode::Required, 2)
        );
        assert_eq!(l.hosts, vec!["api.example.com"]);
        let targets: Vec<(&BackendTarget, u32)> =
            l.routes.iter().map(|r| (&r.backend.target, r.backend.line)).collect();
        assert_eq!(
            targets,
            vec![
                (&BackendTarget::Address { host: "10.0.0.1".into(), port: Some(8080) }, 6),
                (&BackendTarget::Address { host: "app-2".into(), port: Some(80) }, 6),
            ]
        );
        assert!(l.routes.iter().all(|r| r.matches == "/" && r.line == 6 && !r.backend.tls));
        assert_eq!(l.routes[0].backend.verify_server, None);
    }

    #[test]
    fn absolute_includes_are_rerooted_under_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let root = write(
            dir.path(),
            "nginx.conf",
            "http {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n  include /etc/nginx/proxy_params;\n}\n",
        );
        write(dir.path(), "conf.d/a.conf", "server { listen 81; }\n");
        write(dir.path(), "proxy_params", "proxy_set_header X-Client-Verify $ssl_client_verify;\n");
        write(dir.path(), "other.conf", "server { listen 82; }\n");
        let inv = read_all(&[root]);
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
        let p = &inv.proxies[0];
        // conf.d/a.conf found under the prefix; `sites-enabled/*` does not fall back to `*`.
        assert_eq!(p.listeners.iter().map(|l| l.port).collect::<Vec<_>>(), vec![Some(81)]);
        assert_eq!(p.listeners[0].identity_headers.len(), 1);
        assert_eq!(p.attrs.get("files").map(String::as_str), Some("3"));
    }

    #[test]
    fn include_cycles_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.conf", "include b.conf;\nserver { listen 81; }\n");
        let b = write(dir.path(), "b.conf", "include a.conf;\n");
        let inv = read_all(&[a, b]);
        assert_eq!(inv.proxies.len(), 1);
        assert_eq!(inv.proxies[0].listeners.len(), 1);
        assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
        assert!(inv.diagnostics[0].reason.contains("include cycle"));
    }

    #[test]
    fn proxy_set_header_inheritance_is_all_or_nothing() {
        let p = one(
            "http {\n server {\n  listen 443 ssl;\n  ssl_verify_client on;\n  ssl_client_certificate ca.pem;\n\
             \x20 proxy_set_header X-SSL-Client-DN $ssl_client_s_dn;\n  proxy_set_header X-Real-IP $remote_addr;\n\
             \x20 location /a {\n    proxy_pass http://a:8080;\n  }\n\
             \x20 location /b {\n    proxy_set_header Host $host;\n    proxy_pass http://b:8080;\n  }\n\
             \x20 location /c {\n    proxy_set_header X-Client-Cert \"\";\n    proxy_set_header X-SSL-Client-Verify $http_x_ssl_client_verify;\n    proxy_pass http://c;\n  }\n }\n}\n",
        );
        let l = &p.listeners[0];
        assert_eq!(
            l.identity_headers,
            vec![IdentityHeader {
                name: "X-SSL-Client-DN".into(),
                action: HeaderAction::Set { from_client_cert: true },
                line: 6
            }]
        );
        let by = |m: &str| l.routes.iter().find(|r| r.matches == m).unwrap();
        assert_eq!(by("/a").identity_headers, None);
        // The location's own `proxy_set_header Host` discards the server's X-SSL-Client-DN.
        assert_eq!(by("/b").identity_headers, Some(Vec::new()));
        assert_eq!(
            by("/c").identity_headers,
            Some(vec![
                IdentityHeader { name: "X-Client-Cert".into(), action: HeaderAction::Remove, line: 16 },
                IdentityHeader {
                    name: "X-SSL-Client-Verify".into(),
                    action: HeaderAction::PassThrough,
                    line: 17
                },
            ])
        );
        assert_eq!(by("/c").backend.target, BackendTarget::Address { host: "c".into(), port: Some(80) });
    }

    #[test]
    fn client_cert_modes_and_inheritance() {
        let p = one("http {\n ssl_verify_client optional_no_ca;\n\
             \x20server { listen 443 ssl; server_name a; }\n\
             \x20server { listen 8443 ssl; server_name b; ssl_verify_client optional; ssl_client_certificate ca; }\n\
             \x20server { listen 9443 ssl; server_name c; ssl_verify_client off; }\n\
             \x20server { listen 80; server_name d; }\n\
             \x20server { listen 7443; ssl on; server_name e; ssl_verify_client on; }\n}\n");
        let modes: Vec<(&str, ListenerTls, ClientCertMode)> =
            p.listeners.iter().map(|l| (l.name.as_str(), l.tls, l.client_cert)).collect();
        assert_eq!(
            modes,
            vec![
                ("a", ListenerTls::Terminate, ClientCertMode::Unverified),
                ("b", ListenerTls::Terminate, ClientCertMode::Optional),
                ("c", ListenerTls::Terminate, ClientCertMode::None),
                ("d", ListenerTls::Plaintext, ClientCertMode::None),
                ("e", ListenerTls::Terminate, ClientCertMode::Required),
            ]
        );
        assert!(p.attrs.keys().any(|k| k.starts_with("note ")), "{:?}", p.attrs);
    }

    #[test]
    fn ssl_on_an_address_applies_to_every_server_on_it() {
        let p = one(
            "http {\n server { listen 443 ssl; server_name a; }\n server { listen 443; server_name b; }\n}\n",
        );
        assert!(p.listeners.iter().all(|l| l.tls == ListenerTls::Terminate));
    }

    #[test]
    fn upstream_tls_defaults_to_unverified() {
        let p = one("http {\n proxy_ssl_certificate /etc/nginx/client.pem;\n server {\n  listen 80;\n\
             \x20 location /a { proxy_pass https://a.internal; }\n\
             \x20 location /b { proxy_ssl_verify on; proxy_pass https://b.internal:8443/x; }\n\
             \x20 location /c { grpc_pass grpcs://c:50051; }\n\
             \x20 location /d { auth_request /auth; uwsgi_pass unix:/run/app.sock; }\n\
             \x20 location = /e { return 204; }\n }\n}\n");
        let l = &p.listeners[0];
        assert_eq!(l.routes.len(), 4);
        let a = &l.routes[0].backend;
        assert_eq!(a.target, BackendTarget::Address { host: "a.internal".into(), port: Some(443) });
        assert_eq!((a.tls, a.verify_server, a.client_cert), (true, Some(false), true));
        assert!(a.substitutes_identity.as_deref().unwrap().contains("client.pem"));
        let b = &l.routes[1].backend;
        assert_eq!(
            (b.tls, b.verify_server, b.target.clone()),
            (true, Some(true), BackendTarget::Address { host: "b.internal".into(), port: Some(8443) })
        );
        let c = &l.routes[2].backend;
        assert_eq!((c.tls, c.verify_server, c.client_cert), (true, Some(false), false));
        let d = &l.routes[3].backend;
        assert_eq!(d.target, BackendTarget::Address { host: "unix:/run/app.sock".into(), port: None });
        assert_eq!(l.authz, vec!["auth_request /auth on location /d (line 8)"]);
    }

    #[test]
    fn variables_maps_and_stream() {
        let p = one(
            "stream {\n upstream db { server 10.1.0.1:5432; }\n map $ssl_preread_server_name $be {\n  a.example.com db;\n  default 10.9.9.9:443;\n }\n\
             \x20server { listen 443; ssl_preread on; proxy_pass $be; }\n\
             \x20server { listen 6443 ssl; proxy_ssl on; proxy_pass k8s:6443; }\n}\n\
             http { server { listen 80; location / { proxy_pass http://$host$request_uri; } } }\n",
        );
        let l = &p.listeners[0];
        assert_eq!((l.tls, l.port), (ListenerTls::Passthrough, Some(443)));
        let targets: Vec<(&str, &BackendTarget)> =
            l.routes.iter().map(|r| (r.matches.as_str(), &r.backend.target)).collect();
        assert_eq!(
            targets,
            vec![
                (
                    "$ssl_preread_server_name a.example.com",
                    &BackendTarget::Address { host: "10.1.0.1".into(), port: Some(5432) }
                ),
                (
                    "$ssl_preread_server_name default",
                    &BackendTarget::Address { host: "10.9.9.9".into(), port: Some(443) }
                ),
            ]
        );
        let k = &p.listeners[1];
        assert_eq!(
            (k.tls, k.routes[0].backend.tls, k.routes[0].backend.verify_server),
            (ListenerTls::Terminate, true, Some(false))
        );
        let h = &p.listeners[2];
        assert_eq!(h.routes[0].backend.target, BackendTarget::Named("http://$host$request_uri".into()));
    }

    #[test]
    fn every_truncation_reads_without_panic() {
        let text = "http {\n upstream u { server [::1]:81; server unix:/s; }\n map $host $b { default u; }\n\
                    \x20server {\n  listen [::]:443 ssl; listen unix:/x; server_name \"a b\" 'c';\n\
                    \x20 init_by_lua_block { s = [==[ } ]==] -- }\n x = \"}\" }\n\
                    \x20 location ~ \"^/(\\d{3})$\" { if ($a) { proxy_pass https://$b; } proxy_pass http://unix:/t:/x; }\n\
                    \x20 location / { proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert; grpc_pass grpcs://[::1]; }\n }\n}\n\
                    stream { server { listen 1; proxy_pass $b; } }\n";
        let file: Arc<str> = Arc::from("t.conf");
        for end in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            let (tree, _) = parse(&text[..end], &file);
            let _ = build(&tree, &file, Path::new("t.conf"));
        }
        let (tree, err) = parse(text, &file);
        assert!(err.is_none(), "{err:?}");
        let p = build(&tree, &file, Path::new("t.conf"));
        assert_eq!(p.listeners.len(), 3);
        let _ = looks_like_nginx("\u{0}\\\"'{");
    }

    #[test]
    fn candidates_are_sniffed() {
        assert!(looks_like_nginx("server {\n listen 80;\n}\n"));
        assert!(looks_like_nginx("# tls\nssl_protocols TLSv1.2;\n"));
        // `include` alone is not enough (BIND's named.conf has it too).
        assert!(!looks_like_nginx(
            "include \"/etc/rndc.key\";\noptions {\n listen-on port 53 { any; };\n};\n"
        ));
        assert!(!looks_like_nginx("[Resolve]\nDNS=1.1.1.1\n"));
        assert!(!looks_like_nginx("include /etc/ld.so.conf.d/*.conf\n"));
        assert!(!looks_like_nginx("net.ipv4.ip_forward = 1\n"));
        assert!(!looks_like_nginx("/var/log/nginx/*.log {\n daily\n rotate 7\n}\n"));
        assert!(!looks_like_nginx("<VirtualHost *:80>\n ServerName x\n</VirtualHost>\n"));
        assert!(!looks_like_nginx("global\n  daemon\nfrontend fe\n  bind :80\n"));
        assert!(wildcard(b"*.conf", b"site.conf"));
        assert!(!wildcard(b"*.conf", b"site.conf.bak"));
        assert!(wildcard(b"s?te[0-9].c*", b"site1.conf"));
        assert!(!wildcard(b"[!s]*", b"site"));
    }

    #[test]
    fn loopback_listens_are_local_and_a_stream_server_without_preread_is_layer4() {
        let p = one(
            "http {\n server { listen 127.0.0.1:8080; listen [::1]:8081; listen localhost:8082; listen unix:/run/n.sock;\n\
                       \x20 listen 8083; listen 10.0.0.1:8084; location / { proxy_pass http://127.0.0.1:9000; } }\n}\n\
                     stream {\n server { listen 5432; proxy_pass db:5432; }\n\
                     \x20server { listen 6443; proxy_ssl on; proxy_pass k8s:6443; }\n}\n",
        );
        let got: Vec<(Option<u32>, bool, ListenerTls)> =
            p.listeners.iter().map(|l| (l.port, l.local_only, l.tls)).collect();
        assert_eq!(
            got,
            vec![
                (Some(8080), true, ListenerTls::Plaintext),
                (Some(8081), true, ListenerTls::Plaintext),
                (Some(8082), true, ListenerTls::Plaintext),
                (None, true, ListenerTls::Plaintext),
                (Some(8083), false, ListenerTls::Plaintext),
                (Some(8084), false, ListenerTls::Plaintext),
                // Bytes forwarded as they come; wrapped in nginx's own TLS: plaintext from clients.
                (Some(5432), false, ListenerTls::Layer4),
                (Some(6443), false, ListenerTls::Plaintext),
            ]
        );
    }
}
