//! The layout's promises, checked on the sources: no module of any crate imports another that
//! imports it back (directly or around a circle), and no source file outside tests is longer than
//! 1,200 lines.
//!
//! An import is any path through `crate::`, `super::` or `self::`, or through the name of one of
//! the module's own child modules (`child::item`), outside `#[cfg(test)]` code and comments. A
//! path is charged to the longest module it names. A parent declaring a child (`mod child;`) is
//! not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: &[&str] = &["src", "probes/src", "reports/src"];
const MAX_LINES: usize = 1200;

type Module = Vec<String>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b/mod.rs` and `a/b.rs` are module `a::b`; `lib.rs` and `main.rs` are the crate root.
fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file.strip_prefix(src).expect("file under its crate");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code of a file without `//` comments, string literals and the `#[cfg(test)]` tail.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                }
                prev = if prev == '\\' && c == '\\' { ' ' } else { c };
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' {
                in_str = true;
                prev = ' ';
                continue;
            }
            kept.push(c);
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The module paths a module's code names, each as written (`crate::a::b::Item`).
fn named_paths(module: &Module, children: &BTreeSet<String>, code: &str) -> Vec<Module> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i]) || (i > 0 && (is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if !(i + 1 < chars.len() && chars[i] == ':' && chars[i + 1] == ':') {
            continue;
        }
        let mut base: Module = match word.as_str() {
            "crate" => Vec::new(),
            "self" => module.clone(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            w if children.contains(w) => {
                let mut m = module.clone();
                m.push(w.to_owned());
                m
            }
            _ => continue,
        };
        // The rest of the path: `::seg` repeated, then maybe a `{...}` group.
        let mut grouped = false;
        loop {
            if !(i + 1 < chars.len() && chars[i] == ':' && chars[i + 1] == ':') {
                break;
            }
            i += 2;
            if chars.get(i) == Some(&'{') {
                let close = chars[i..].iter().position(|&c| c == '}').map_or(chars.len(), |p| i + p);
                let group: String = chars[i + 1..close].iter().collect();
                for item in group.split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    let first: String = first.chars().take_while(|&c| is_ident(c)).collect();
                    if !first.is_empty() && first != "self" {
                        let mut m = base.clone();
                        m.push(first);
                        out.push(m);
                    }
                }
                i = close;
                grouped = true;
                break;
            }
            let s = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            let seg: String = chars[s..i].iter().collect();
            if seg == "super" {
                base.pop();
            } else if !seg.is_empty() {
                base.push(seg);
            }
        }
        if !grouped {
            out.push(base);
        }
    }
    out
}

/// Import edges between the modules of one crate.
fn imports(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Module, PathBuf> = files.iter().map(|f| (module_of(src, f), f.clone())).collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, file) in &modules {
        let children: BTreeSet<String> = modules
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].clone())
            .collect();
        let code = code_of(&std::fs::read_to_string(file).expect("readable source"));
        let mut to = BTreeSet::new();
        for mut path in named_paths(module, &children, &code) {
            while !path.is_empty() && !modules.contains_key(&path) {
                path.pop();
            }
            if &path != module && modules.contains_key(&path) {
                to.insert(path);
            }
        }
        edges.insert(module.clone(), to);
    }
    edges
}

/// A circle of imports, if any: found by a depth-first walk.
fn find_circle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<Module, u8>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        state.insert(m.clone(), 1);
        stack.push(m.clone());
        for n in edges.get(m).into_iter().flatten() {
            match state.get(n).copied().unwrap_or(0) {
                0 => {
                    if let Some(c) = visit(n, edges, state, stack) {
                        return Some(c);
                    }
                }
                1 => {
                    let from = stack.iter().position(|s| s == n).unwrap_or(0);
                    let mut circle = stack[from..].to_vec();
                    circle.push(n.clone());
                    return Some(circle);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in edges.keys() {
        if state.get(m).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(m, edges, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

fn show(m: &Module) -> String {
    if m.is_empty() { "crate".to_owned() } else { m.join("::") }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    for krate in CRATES {
        let edges = imports(&root().join(krate));
        assert!(edges.len() > 5, "{krate}: too few modules found; is the walk broken?");
        if let Some(circle) = find_circle(&edges) {
            let names: Vec<String> = circle.iter().map(show).collect();
            panic!("{krate}: import circle {}", names.join(" -> "));
        }
    }
}

#[test]
fn the_circle_finder_sees_a_circle() {
    let m = |s: &str| -> Module { s.split("::").map(str::to_owned).collect() };
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    assert_eq!(find_circle(&edges).map(|c| c.len()), Some(4));
    edges.insert(m("c"), BTreeSet::new());
    assert_eq!(find_circle(&edges), None);
}

#[test]
fn the_path_reader_sees_groups_parents_and_children() {
    let module: Module = vec!["rules".into(), "zt001".into()];
    let code = code_of(
        "use super::rule::{Hit, Sink};\nuse crate::analysis::Analysis; // crate::not::this\nlet s = \"crate::nor::this\";\n",
    );
    let paths = named_paths(&module, &BTreeSet::new(), &code);
    let shown: Vec<String> = paths.iter().map(show).collect();
    assert_eq!(shown, ["rules::rule::Hit", "rules::rule::Sink", "analysis::Analysis"]);
    let children = BTreeSet::from(["zt001".to_owned()]);
    let paths = named_paths(&vec!["rules".into()], &children, "static R: &[&Rule] = &[&zt001::RULE];");
    assert_eq!(paths.iter().map(show).collect::<Vec<_>>(), ["rules::zt001::RULE"]);
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let mut long = Vec::new();
    for krate in CRATES {
        let mut files = Vec::new();
        rust_files(&root().join(krate), &mut files);
        assert!(!files.is_empty());
        for f in files {
            // Unit-test files beside the code they test are not part of the layout's modules.
            if f.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let lines = std::fs::read_to_string(&f).expect("readable source").lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", f.strip_prefix(root()).unwrap_or(&f).display()));
            }
        }
    }
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {}", long.join(", "));
}
