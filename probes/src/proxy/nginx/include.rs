//! Files and `include`s: resolving patterns relative to the prefix and the including file, inside
//! the scan's [`ReadScope`](crate::confine::ReadScope), cutting cycles.

use super::model::build;
use super::parser::Directive;
use super::parser::Via;
use super::parser::parse;

use crate::confine::{ReadScope, Refusal};
use crate::inventory::{Diagnostic, Proxy, Source};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// Directives kept per root after include expansion (guards against include explosions).
pub(super) const MAX_EXPANDED: usize = 1_000_000;
/// Nesting of includes.
pub(super) const MAX_INCLUDE_DEPTH: usize = 16;

pub(super) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The prefix directory relative paths are resolved against: the directory of `nginx.conf`
/// (the root itself, or the nearest one in the directories above a root that is a fragment).
pub(super) fn prefix_for(scope: &ReadScope, root: &Path) -> PathBuf {
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
pub(super) fn reference(arg: &str) -> String {
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

pub(super) fn has_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// What an `include` names.
pub(super) enum Included {
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
pub(super) fn resolve_include(scope: &ReadScope, pattern: &str, including: &Path, prefix: &Path) -> Included {
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
pub(super) fn glob(scope: &ReadScope, pattern: &Path, refused: &mut Option<Refusal>) -> Vec<PathBuf> {
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
        let matches = wildcard(&text);
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
                    if matches(&name) {
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
pub(super) fn dir_admitted(scope: &ReadScope, path: &Path) -> Result<(), Refusal> {
    let canonical = scope.admit(path)?;
    if std::fs::metadata(canonical).is_ok_and(|m| m.is_dir()) { Ok(()) } else { Err(Refusal::Missing) }
}

/// Shell-style matching of one name (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`), by the `glob` crate's
/// [`Pattern`](glob::Pattern). A pattern that is not valid (an unclosed `[`) matches only itself.
pub(super) fn wildcard(pattern: &str) -> impl Fn(&str) -> bool {
    let compiled = glob::Pattern::new(pattern).ok();
    let literal = pattern.to_owned();
    move |name| compiled.as_ref().map_or(name == literal, |p| p.matches(name))
}

pub(super) struct Loader<'s> {
    pub(super) scope: &'s ReadScope,
    /// Parsed files by canonical path.
    pub(super) parsed: HashMap<PathBuf, Option<Rc<Vec<Directive>>>>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) files_read: usize,
    /// Files (canonical) whose text did not parse to the end.
    pub(super) broken: HashSet<PathBuf>,
}

/// What expanding one root found besides its directives.
#[derive(Default)]
pub(super) struct Expansion {
    /// Files read (canonical), the root included.
    pub(super) files: BTreeSet<PathBuf>,
    /// `include` arguments that matched nothing, with where they are.
    pub(super) unresolved: Vec<String>,
    pub(super) budget_spent: bool,
}

impl<'s> Loader<'s> {
    pub(super) fn new(scope: &'s ReadScope) -> Loader<'s> {
        Loader {
            scope,
            parsed: HashMap::new(),
            diagnostics: Vec::new(),
            files_read: 0,
            broken: HashSet::new(),
        }
    }

    /// Reads and parses a file once; later calls return the same directives.
    pub(super) fn load(&mut self, path: &Path) -> Option<Rc<Vec<Directive>>> {
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
    pub(super) fn collect_includes(
        &mut self,
        path: &Path,
        prefix: &Path,
        seen: &mut BTreeSet<PathBuf>,
        depth: usize,
    ) {
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
    pub(super) fn expand(
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
    pub(super) fn read_root(&mut self, root: &Path) -> Option<Proxy> {
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
