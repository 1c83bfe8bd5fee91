//! The YAML reader against libyaml: every YAML file of `shared/corpora` and every case of the
//! YAML test suite (`shared/yaml-test-suite/data/**/in.yaml`) is read by
//! `ztpath_probes::yaml::documents` and by libyaml (PyYAML's `CSafeLoader`, through
//! `support/libyaml_tree.py`, run by the Python named in `ZTPATH_PYYAML`; scripts/test.sh installs
//! it into a venv). kubectl reads manifests with go-yaml, a port of libyaml, so libyaml is the
//! bar: a file libyaml reads must be read, to the same structure and the same scalar text,
//! unless it is listed in [`DELIBERATE`] with the reason. Test-suite cases that come with the
//! expected data (`in.json`) and are not marked `error` must give exactly that data.
//!
//! Scalars are compared honestly in both directions: libyaml hands out the text as written, and
//! a plain scalar's text is resolved here with the YAML 1.2 core schema (null, bool, int, float,
//! string), which is what our reader types plain scalars with; a quoted scalar must be our string
//! with the same text. Mapping keys are compared as the text our reader keeps (typed keys in
//! canonical form), a duplicated key by its last value, merge keys resolved as PyYAML resolves
//! them.
//!
//! Without `ZTPATH_PYYAML` the test skips with a note; under CI it fails.
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips or found, as tests do")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use ztpath_probes::yaml::{Node, Value, documents};

/// Files where our reader deliberately differs from libyaml, by path relative to `shared/`, with
/// the reason. Keep in step with the README ("YAML: deliberate differences from kubectl/libyaml").
const DELIBERATE: &[(&str, &str)] = &[
    // Mappings used as keys (`? [a, b] : c`, `{ &a [a]: x }`): our keys are text, and every
    // complex key reads as the same placeholder. Kubernetes objects are JSON: keys are strings.
    ("yaml-test-suite/data/M5DY", "complex keys"),
    ("yaml-test-suite/data/X38W", "complex keys"),
    // `?` at the start of a plain scalar inside a flow collection (`[?x]`, `{ ?foo: bar }`):
    // saphyr reads it as part of the scalar, libyaml as a mapping key indicator. Both are
    // unusual YAML; no manifest of the corpora has it.
    ("yaml-test-suite/data/652Z", "`?` starting a plain scalar in a flow collection"),
    ("yaml-test-suite/data/HM87/01", "`?` starting a plain scalar in a flow collection"),
    // Where libyaml gives other data than the test suite's in.json, we give in.json's (checked
    // below): a block scalar whose last line is only spaces, at the end of the stream without a
    // line break (libyaml drops the line's break); the non-specific tag `! 12`, a string by the
    // spec (PyYAML resolves it as if untagged); an anchor name with a colon (`&an:chor`, libyaml
    // ends the name at the colon).
    ("yaml-test-suite/data/JEF9/02", "libyaml differs from in.json: trailing space-only line"),
    ("yaml-test-suite/data/L24T/01", "libyaml differs from in.json: trailing space-only line"),
    ("yaml-test-suite/data/S4JQ", "libyaml differs from in.json: the non-specific tag `!`"),
    ("yaml-test-suite/data/Y2GN", "libyaml differs from in.json: a colon in an anchor name"),
];

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

fn walk(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

/// The YAML 1.2 core schema's reading of a plain scalar's text.
fn resolve(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Value::Float(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if digits(unsigned, 10) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        return Value::Float(text.parse().unwrap_or(f64::NAN));
    }
    if let Some(hex) = text.strip_prefix("0x").filter(|h| digits(h, 16)) {
        return i64::from_str_radix(hex, 16).map_or(Value::Str(text.into()), Value::Int);
    }
    if let Some(oct) = text.strip_prefix("0o").filter(|o| digits(o, 8)) {
        return i64::from_str_radix(oct, 8).map_or(Value::Str(text.into()), Value::Int);
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (digits(int, 10) || int.is_empty()) && (digits(frac, 10) || (frac.is_empty() && !int.is_empty()))
        }
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if mantissa_ok
        && exponent_ok
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.into())
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) => "string",
        Value::Seq(_) => "sequence",
        Value::Map(_) => "mapping",
    }
}

/// The text our reader keeps for a key that libyaml reads as `key`.
fn key_text(key: &Json) -> String {
    match key.get("s").and_then(Json::as_str) {
        Some(text) if key["plain"] == Json::Bool(true) && key["tag"].is_null() => match resolve(text) {
            Value::Str(s) => s,
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            _ => unreachable!(),
        },
        Some(text) => text.to_owned(),
        None => "<complex key>".to_owned(),
    }
}

/// Compares our node with libyaml's tree; the error names where they differ (a path of keys and
/// indexes) and how, never the scalar text.
fn compare(ours: &Node, theirs: &Json, at: &str) -> Result<(), String> {
    if theirs.get("cycle").is_some() {
        return Ok(());
    }
    if let Some(text) = theirs.get("s").and_then(Json::as_str) {
        let plain = theirs["plain"] == Json::Bool(true);
        let tagged = !theirs["tag"].is_null();
        let ok = match &ours.value {
            // `!!str` and the non-specific `!` make any scalar a string.
            _ if matches!(theirs["tag"].as_str(), Some("tag:yaml.org,2002:str" | "!")) => {
                ours.value == Value::Str(text.to_owned())
            }
            Value::Str(s) => s == text && (tagged || !plain || matches!(resolve(text), Value::Str(_))),
            v if plain || tagged => same_scalar(v, &resolve(text)),
            _ => false,
        };
        return if ok {
            Ok(())
        } else {
            Err(format!(
                "{at}: scalar differs (ours a {}, libyaml's {} text)",
                kind(&ours.value),
                if plain { "plain" } else { "quoted" }
            ))
        };
    }
    if let Some(items) = theirs.as_array() {
        let Value::Seq(ours_items) = &ours.value else {
            return Err(format!("{at}: ours a {}, libyaml's a sequence", kind(&ours.value)));
        };
        if items.len() != ours_items.len() {
            return Err(format!("{at}: {} items, libyaml {}", ours_items.len(), items.len()));
        }
        for (i, (o, t)) in ours_items.iter().zip(items).enumerate() {
            compare(o, t, &format!("{at}[{i}]"))?;
        }
        return Ok(());
    }
    if let Some(pairs) = theirs.get("m").and_then(Json::as_array) {
        let Value::Map(entries) = &ours.value else {
            return Err(format!("{at}: ours a {}, libyaml's a mapping", kind(&ours.value)));
        };
        let mut want: BTreeMap<String, &Json> = BTreeMap::new();
        for pair in pairs {
            want.insert(key_text(&pair[0]), &pair[1]);
        }
        let have: BTreeMap<&str, &Node> = entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
        if have.len() != want.len() || have.len() != entries.len() {
            return Err(format!("{at}: {} keys, libyaml {}", entries.len(), want.len()));
        }
        for (i, (key, t)) in want.iter().enumerate() {
            let Some(o) = have.get(key.as_str()) else {
                return Err(format!("{at}: key #{i} of libyaml's missing"));
            };
            if key != "<complex key>" {
                compare(o, t, &format!("{at}.{i}"))?;
            }
        }
        return Ok(());
    }
    Err(format!("{at}: unexpected tree from the script"))
}

/// Compares our node with the test suite's expected JSON data.
fn compare_json(ours: &Node, want: &Json, at: &str) -> Result<(), String> {
    let ok = match (&ours.value, want) {
        (Value::Null, Json::Null) => true,
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::Int(a), Json::Number(n)) => n.as_i64() == Some(*a) || n.as_f64() == Some(*a as f64),
        (Value::Float(a), Json::Number(n)) => n.as_f64() == Some(*a),
        (Value::Str(a), Json::String(b)) => a == b,
        (Value::Seq(items), Json::Array(want)) => {
            if items.len() != want.len() {
                return Err(format!("{at}: {} items, in.json {}", items.len(), want.len()));
            }
            for (i, (o, w)) in items.iter().zip(want).enumerate() {
                compare_json(o, w, &format!("{at}[{i}]"))?;
            }
            true
        }
        (Value::Map(entries), Json::Object(want)) => {
            if entries.len() != want.len() {
                return Err(format!("{at}: {} keys, in.json {}", entries.len(), want.len()));
            }
            for (i, (k, v)) in entries.iter().enumerate() {
                let Some(w) = want.get(k) else { return Err(format!("{at}: key #{i} not in in.json")) };
                compare_json(v, w, &format!("{at}.{i}"))?;
            }
            true
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(format!("{at}: ours a {}, in.json has another value", kind(&ours.value))) }
}

#[test]
fn reader_agrees_with_libyaml() {
    let Some(python) = std::env::var_os("ZTPATH_PYYAML").filter(|p| !p.is_empty()) else {
        assert!(
            !common::in_ci(),
            "ZTPATH_PYYAML is not set; under CI the differential test needs it (scripts/test.sh sets it)"
        );
        eprintln!("skipping: ZTPATH_PYYAML not set (scripts/test.sh installs PyYAML and sets it)");
        return;
    };
    let shared = shared();
    let mut files = Vec::new();
    let corpora = shared.join("corpora");
    let suite = shared.join("yaml-test-suite/data");
    for root in [&corpora, &suite] {
        assert!(root.is_dir() || !common::in_ci(), "{} not found; CI is set", root.display());
    }
    walk(&corpora, &|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"), &mut files);
    walk(&suite, &|p| p.file_name().is_some_and(|n| n == "in.yaml"), &mut files);
    if files.is_empty() {
        eprintln!("skipping: no corpora and no test suite under {}", shared.display());
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/libyaml_tree.py");
    let mut theirs = Vec::new();
    for batch in files.chunks(200) {
        let out = Command::new(&python).arg(&script).args(batch).output().expect("run the PyYAML script");
        assert!(out.status.success(), "the PyYAML script failed: {}", String::from_utf8_lossy(&out.stderr));
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            theirs.push(serde_json::from_str::<Json>(line).unwrap());
        }
    }
    assert_eq!(theirs.len(), files.len());

    let (mut agree, mut allowed, mut libyaml_refuses) = (0, 0, 0);
    let mut spec_errors = Vec::new();
    let (mut in_json_checked, mut both_refuse_valid) = (0, 0);
    let mut failures = Vec::new();
    for (path, theirs) in files.iter().zip(&theirs) {
        let name = path.strip_prefix(&shared).unwrap_or(path).display().to_string();
        let case = path.parent().filter(|_| path.starts_with(&suite));
        let marked_error = case.is_some_and(|c| c.join("error").exists());
        let deliberate = DELIBERATE.iter().find(|(p, _)| name == *p || name.starts_with(&format!("{p}/")));
        let text = std::fs::read_to_string(path);
        let ours: Result<Vec<Node>, String> = match &text {
            Ok(text) => documents(text, |_| true)
                .map(|d| d.map(|d| d.node).map_err(|e| format!("line {}: {}", e.line, e.reason)))
                .collect(),
            Err(_) => Err("not UTF-8".into()),
        };
        // What libyaml read, compared with what we read.
        let libyaml_read = theirs.get("docs").is_some();
        let verdict = match (theirs.get("docs").and_then(Json::as_array), &ours) {
            (None, _) => {
                libyaml_refuses += 1;
                Ok(())
            }
            (Some(_), Err(e)) => Err(format!("refused by ztpath ({e}), read by libyaml")),
            (Some(docs), Ok(ours)) => {
                let docs: Vec<&Json> = docs.iter().filter(|d| d.get("empty").is_none()).collect();
                if ours.len() == docs.len() {
                    ours.iter()
                        .zip(&docs)
                        .enumerate()
                        .try_for_each(|(i, (o, t))| compare(o, t, &format!("doc{i}")))
                } else {
                    Err(format!("{} documents, libyaml {}", ours.len(), docs.len()))
                }
            }
        };
        // The expected data of the test suite, where given, when we read the case. (A valid case
        // that libyaml refuses too is counted, not asserted: libyaml is the bar.)
        let in_json = case.map(|c| c.join("in.json")).filter(|p| p.exists() && !marked_error);
        let verdict = verdict.and_then(|()| {
            let Some(in_json) = in_json else { return Ok(()) };
            let Ok(ours) = &ours else {
                both_refuse_valid += 1;
                return Ok(());
            };
            in_json_checked += 1;
            let raw = std::fs::read_to_string(in_json).unwrap();
            let want: Vec<Json> =
                serde_json::Deserializer::from_str(&raw).into_iter::<Json>().map(Result::unwrap).collect();
            // Empty documents are dropped by our reader (in.json has `null` for them).
            let want: Vec<&Json> = if want.len() == ours.len() {
                want.iter().collect()
            } else {
                want.iter().filter(|w| !w.is_null()).collect()
            };
            if want.len() != ours.len() {
                return Err(format!("{} documents, in.json {}", ours.len(), want.len()));
            }
            ours.iter()
                .zip(want)
                .enumerate()
                .try_for_each(|(i, (o, w))| compare_json(o, w, &format!("in.json doc{i}")))
        });
        match (verdict, deliberate) {
            (Ok(()), None) => agree += usize::from(libyaml_read),
            (Ok(()), Some(_)) => failures.push(format!("{name}: agrees now; remove it from DELIBERATE")),
            (Err(_), Some(_)) => allowed += 1,
            // A case the suite marks invalid may be refused even where libyaml reads it.
            (Err(e), None) if marked_error => spec_errors.push(format!("{name}: {e}")),
            (Err(e), None) => failures.push(format!("{name}: {e}")),
        }
    }
    eprintln!(
        "{} files: {agree} agree, {allowed} deliberate differences, {} invalid by the suite and refused by ztpath only, {libyaml_refuses} refused by libyaml; {in_json_checked} checked against in.json, {both_refuse_valid} valid cases refused by both",
        files.len(),
        spec_errors.len()
    );
    for e in &spec_errors {
        eprintln!("  invalid by the suite, read by libyaml, refused by ztpath: {e}");
    }
    assert!(failures.is_empty(), "{} files differ from libyaml:\n{}", failures.len(), failures.join("\n"));
}
