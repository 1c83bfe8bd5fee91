use super::budget::*;
use super::json::*;
use super::node::*;
use super::scanner::*;
use super::*;
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

#[test]
fn keeps_lines_across_documents() {
    let text = "a: 1\n---\nkind: Pod\nmetadata:\n  name: x\n---\n\n---\nb: [1, two]\n";
    let docs = parse_documents(text);
    assert_eq!(docs.len(), 3);
    let pod = docs[1].as_ref().unwrap();
    assert_eq!(pod.line, 3);
    assert_eq!(pod.at(&["metadata", "name"]).unwrap().line, 5);
    assert_eq!(pod.at(&["metadata", "name"]).unwrap().as_str().unwrap(), "x");
    let b = docs[2].as_ref().unwrap();
    assert_eq!(b.field("b").items()[1].as_str().unwrap(), "two");
    assert_eq!(b.field("b").items()[0].value, Value::Int(1));
}

#[test]
fn quoted_scalar_continued_left_of_its_key_is_read_as_libyaml_reads_it() {
    // Continuation lines at the key's column and left of it: libyaml and go-yaml (kubectl)
    // accept them and fold the line breaks into spaces; saphyr alone refuses them.
    let text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    note: 'runs once,\n    before the rollout;\n  it''s safe\nto retry'\n    other: \"a\n  b\\\n  c\"\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n";
    let docs = parse_documents(text);
    assert_eq!(docs.len(), 1);
    let job = docs[0].as_ref().expect("the Job is read");
    assert_eq!(job.field("kind").as_str().unwrap(), "Job");
    let note = job.at(&["metadata", "annotations", "note"]).unwrap();
    assert_eq!(note.value, Value::Str("runs once, before the rollout; it's safe to retry".into()));
    assert_eq!(note.line, 6);
    let other = job.at(&["metadata", "annotations", "other"]).unwrap();
    assert_eq!(other.value, Value::Str("a bc".into()));
    assert_eq!(other.line, 10);
    let policy = job.at(&["spec", "template", "spec", "restartPolicy"]).unwrap();
    assert_eq!(policy.line, 16);
    assert_eq!(policy.as_str().unwrap(), "Never");
}

#[test]
fn directives_belong_to_the_document_they_precede() {
    // `%YAML` / `%TAG` lines before `---`: libyaml reads the document, and so do we.
    let text = "%YAML 1.2\n---\nkind: Pod\n...\n%TAG !e! tag:example.com,2000:\n--- !e!x\nname: y\n---\n%YAML 1.1\n---\n";
    let docs = parse_documents(text);
    assert_eq!(docs.len(), 2, "{docs:?}");
    let pod = docs[0].as_ref().unwrap();
    assert_eq!(pod.field("kind").as_str().unwrap(), "Pod");
    assert_eq!(pod.field("kind").line, 3);
    let second = docs[1].as_ref().unwrap();
    assert_eq!(second.field("name").as_str().unwrap(), "y");
    assert_eq!(second.field("name").line, 7);
}

#[test]
fn the_non_specific_tag_makes_a_string() {
    let doc = parse_documents("- 12\n- ! 12\n- !!str true\n").remove(0).unwrap();
    let values: Vec<&Value> = doc.items().iter().map(|n| &n.value).collect();
    assert_eq!(values, [&Value::Int(12), &Value::Str("12".into()), &Value::Str("true".into())]);
}

#[test]
fn a_comment_right_after_a_token_is_a_comment() {
    // libyaml and go-yaml read `"value"#note` as the value and a comment.
    let text = "metadata:\n  name: \"web\"#the name\n  labels: {app: web}#labels\nspec:\n  script: >#folded\n    run it\n";
    let doc = parse_documents(text).remove(0).expect("read as libyaml reads it");
    assert_eq!(doc.at(&["metadata", "name"]).unwrap().value, Value::Str("web".into()));
    assert_eq!(doc.at(&["metadata", "labels", "app"]).unwrap().line, 3);
    assert_eq!(doc.at(&["spec", "script"]).unwrap().value, Value::Str("run it\n".into()));
    assert_eq!(doc.field("spec").line, 5);
}

#[test]
fn an_unwanted_kind_with_a_template_gets_the_lenient_reading_too() {
    // A document of a kind no probe reads, with `{{` in it, is checked, not built; the check
    // accepts what the full reading accepts.
    let text = "kind: HorizontalPodAutoscaler\nmetadata:\n  annotations:\n    note: '{{ not a template }}\n  continued'\n";
    let docs = parse_documents_keeping(text, |k| k == "Pod");
    assert_eq!(docs.len(), 1);
    assert_eq!(
        docs[0].as_ref().expect("accepted").field("kind").as_str().unwrap(),
        "HorizontalPodAutoscaler"
    );
}

#[test]
fn one_broken_document_does_not_hide_the_others() {
    let text = "kind: A\n---\nkind: [unclosed\n---\nkind: C\n";
    let docs = parse_documents(text);
    assert_eq!(docs.len(), 3);
    assert!(docs[0].is_ok());
    let err = docs[1].as_ref().unwrap_err();
    assert!(err.line >= 3, "error line {} should be in the second document", err.line);
    assert_eq!(docs[2].as_ref().unwrap().field("kind").as_str().unwrap(), "C");
}

#[test]
fn quoted_scalars_stay_strings() {
    let doc = parse_documents("a: \"true\"\nb: true\nc: '8080'\nd: 8080\ne: 1.5\nf:\n").remove(0).unwrap();
    assert_eq!(doc.field("a").value, Value::Str("true".into()));
    assert_eq!(doc.field("b").value, Value::Bool(true));
    assert_eq!(doc.field("c").value, Value::Str("8080".into()));
    assert_eq!(doc.field("d").value, Value::Int(8080));
    assert_eq!(doc.field("e").value, Value::Float(1.5));
    assert!(doc.field("f").is_null());
}

#[test]
fn alias_bomb_is_refused_not_expanded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let docs = parse_documents(&text);
    let err = docs[0].as_ref().unwrap_err();
    assert!(err.reason.contains("alias"), "{}", err.reason);
}

#[test]
fn merge_keys_and_json() {
    let doc = parse_documents("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n").remove(0).unwrap();
    assert_eq!(doc.at(&["d", "x"]).unwrap().value, Value::Int(1));
    let json = parse_documents("{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"a\": 1}\n  ]\n}\n")
        .remove(0)
        .unwrap();
    assert_eq!(json.field("items").items()[0].line, 4);
}

#[test]
fn unwanted_kinds_are_counted_not_built() {
    let text = "kind: HorizontalPodAutoscaler\nspec: {a: 1}\n---\nkind: Pod\nmetadata: {name: p}\n---\nkind: PodDisruptionBudget\nspec:\n\tbad: tab\n---\nkind: ServiceMonitor\nspec:\n  {{- if .Values.x }}\n  a: b\n";
    let docs = parse_documents_keeping(text, |k| k == "Pod");
    assert_eq!(docs.len(), 4);
    let hpa = docs[0].as_ref().unwrap();
    assert_eq!(hpa.entries().len(), 1, "only the kind is kept");
    assert_eq!(hpa.field("kind").as_str().unwrap(), "HorizontalPodAutoscaler");
    assert_eq!(docs[1].as_ref().unwrap().at(&["metadata", "name"]).unwrap().as_str().unwrap(), "p");
    // Documents that look broken (a tab in the indentation, a template) are still parsed, so
    // their errors are reported with a line.
    assert!(docs[2].as_ref().unwrap_err().line >= 8, "{:?}", docs[2]);
    assert!(docs[3].as_ref().unwrap_err().line >= 11, "{:?}", docs[3]);
}

#[test]
fn flow_sequence_closed_at_key_indentation_is_accepted() {
    let text = "spec:\n  args: [\n      \"-a\", \"b\",\n  ]\n  env: x\n";
    let doc = parse_documents(text).remove(0).unwrap();
    assert_eq!(doc.at(&["spec", "args"]).unwrap().strings(), vec!["-a", "b"]);
    assert_eq!(doc.at(&["spec", "env"]).unwrap().line, 5);
}

#[test]
fn helm_template_gives_an_error_not_a_panic() {
    let text =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n  {{- if .Values.x }}\n";
    let docs = parse_documents(text);
    assert_eq!(docs.len(), 1);
}

// --- merge keys -------------------------------------------------------------------------

fn doc(text: &str) -> Document {
    let mut docs: Vec<_> = documents(text, |_| true).collect();
    assert_eq!(docs.len(), 1, "{text}");
    docs.remove(0).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn names(node: &Node) -> Vec<&str> {
    node.entries().iter().map(|(k, _)| k.as_str()).collect()
}

#[test]
fn explicit_keys_win_over_merged_ones_after_the_merge_key() {
    let d =
        doc("subjects:\n- &s {kind: ServiceAccount, name: reader, namespace: ns}\n- <<: *s\n  name: app\n");
    let second = &d.node.field("subjects").items()[1];
    assert_eq!(second.field("name").as_str().unwrap(), "app");
    assert_eq!(second.field("namespace").as_str().unwrap(), "ns");
    assert_eq!(names(second), ["kind", "name", "namespace"], "each key once");
    assert!(d.warnings.is_empty(), "overriding a merged key is what merge keys are for: {:?}", d.warnings);
}

#[test]
fn explicit_keys_win_over_merged_ones_before_the_merge_key_and_the_ambiguity_is_reported() {
    let d = doc("base: &b {name: cluster-admin, kind: ClusterRole}\nref:\n  name: view\n  <<: *b\n");
    let r = d.node.field("ref");
    assert_eq!(r.field("name").as_str().unwrap(), "view");
    assert_eq!(r.field("kind").as_str().unwrap(), "ClusterRole");
    assert_eq!(names(r), ["name", "kind"]);
    assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    assert_eq!(d.warnings[0].line, 4);
    assert!(d.warnings[0].reason.starts_with("key name is set before a merge key (<<)"), "{:?}", d.warnings);
    assert!(!d.warnings[0].reason.contains("cluster-admin") && !d.warnings[0].reason.contains("view"));
    // The same value on both sides is not ambiguous.
    let same = doc("base: &b {name: view}\nref:\n  name: view\n  <<: *b\n");
    assert!(same.warnings.is_empty(), "{:?}", same.warnings);
}

#[test]
fn of_several_merged_mappings_the_earlier_wins() {
    let d = doc("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n");
    let c = d.node.field("c");
    assert_eq!(c.field("x").value, Value::Int(1));
    assert_eq!(c.field("y").value, Value::Int(1));
    assert_eq!(c.field("z").value, Value::Int(2));
    assert_eq!(names(c), ["x", "y", "z", "w"]);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // A mapping written in place merges like an alias.
    let inline = doc("c:\n  <<: {x: 1}\n  x: 2\n");
    assert_eq!(inline.node.at(&["c", "x"]).unwrap().value, Value::Int(2));
}

#[test]
fn a_second_merge_key_overrides_what_the_first_merged_but_not_explicit_keys() {
    let d = doc("a: &a {x: 1, y: 1}\nb: &b {x: 2}\nc:\n  y: 0\n  <<: *a\n  <<: *b\n");
    let c = d.node.field("c");
    assert_eq!(c.field("x").value, Value::Int(2));
    assert_eq!(c.field("y").value, Value::Int(0));
    let reasons: Vec<&str> = d.warnings.iter().map(|w| w.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("key y is set before a merge key"), "{reasons:?}");
    assert!(reasons[1].starts_with("duplicate merge key (<<)"), "{reasons:?}");
}

#[test]
fn merging_something_else_than_mappings_is_an_error_not_a_panic() {
    for (text, line) in [
        ("a: &a 5\nb:\n  <<: *a\n", 3),
        ("a: &a {x: 1}\nb:\n  <<: [*a, 3]\n", 3),
        ("b:\n  <<: [x]\n", 2),
        ("b:\n  <<:\n", 2),
    ] {
        let docs = parse_documents(text);
        let err = docs[0].as_ref().unwrap_err();
        assert_eq!(err.reason, "a merge key (<<) must be given a mapping or a list of mappings", "{text}");
        assert_eq!(err.line, line, "{text}: the line of the merge key");
    }
}

#[test]
fn only_a_plain_merge_key_merges() {
    let d = doc("a: &a {x: 1}\nb:\n  \"<<\": *a\n");
    assert_eq!(names(d.node.field("b")), ["<<"]);
    let json = doc("{\"a\": {\"<<\": {\"x\": 1}}}");
    assert_eq!(names(json.node.field("a")), ["<<"]);
    let tagged = doc("a: &a {x: 1}\nb:\n  !!merge <<: *a\n");
    assert_eq!(names(tagged.node.field("b")), ["x"]);
}

// --- duplicate keys ---------------------------------------------------------------------

#[test]
fn a_duplicate_key_keeps_its_last_value_in_yaml_and_json_at_any_depth() {
    for text in [
        "roleRef:\n  kind: ClusterRole\n  name: view\n  name: cluster-admin\n",
        "roleRef: {kind: ClusterRole, name: view,\n  name: cluster-admin}\n",
        "{\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"view\",\n  \"name\": \"cluster-admin\"}}",
        "[{\"roleRef\": {\"kind\": \"ClusterRole\", \"name\": \"view\",\n  \"name\": \"cluster-admin\"}}]",
    ] {
        let d = doc(text);
        let root = if d.node.is_seq() { &d.node.items()[0] } else { &d.node };
        let role_ref = root.field("roleRef");
        assert_eq!(role_ref.field("name").as_str().unwrap(), "cluster-admin", "{text}");
        assert_eq!(names(role_ref), ["kind", "name"], "{text}");
        assert_eq!(role_ref.field("name").line, 4 - u32::from(!text.starts_with("roleRef:\n")) * 2, "{text}");
        assert_eq!(d.warnings.len(), 1, "{text}: {:?}", d.warnings);
        let w = &d.warnings[0];
        assert_eq!(w.reason, "duplicate key name: the last value is read, as the Kubernetes API server does");
        assert_eq!(w.line, role_ref.field("name").line, "{text}: the line of the second key");
    }
}

#[test]
fn a_duplicate_key_that_is_not_an_identifier_is_not_named() {
    let d = doc("\"a key: with spaces\": 1\n\"a key: with spaces\": 2\n");
    assert_eq!(d.node.field("a key: with spaces").value, Value::Int(2));
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(
        d.warnings[0].reason,
        "a duplicate key: the last value is read, as the Kubernetes API server does"
    );
    assert_eq!(d.warnings[0].line, 2);
    let long = "k".repeat(65);
    let d = doc(&format!("{long}: 1\n{long}: 2\n"));
    assert!(d.warnings[0].reason.starts_with("a duplicate key"), "{:?}", d.warnings);
}

#[test]
fn duplicates_in_large_mappings_are_found_through_the_index() {
    let mut text: String = (0..200).map(|i| format!("k{i}: {i}\n")).collect();
    text.push_str("k3: last\nk199: last\n");
    let d = doc(&text);
    assert_eq!(d.node.entries().len(), 200);
    assert_eq!(d.node.field("k3").as_str().unwrap(), "last");
    assert_eq!(d.node.field("k199").as_str().unwrap(), "last");
    assert_eq!(d.node.field("k100").value, Value::Int(100));
    let lines: Vec<u32> = d.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [201, 202]);
}

#[test]
fn a_second_kind_line_is_never_skipped_as_an_unwanted_kind() {
    let wanted = |k: &str| k == "ClusterRoleBinding";
    for text in [
        "kind: HorizontalPodAutoscaler\nmetadata: {name: x}\nkind: ClusterRoleBinding\n",
        "kind: HorizontalPodAutoscaler\n\"kind\": ClusterRoleBinding\n",
        "kind: HorizontalPodAutoscaler\nkind : ClusterRoleBinding\n",
        "kind: HorizontalPodAutoscaler\n? kind\n: ClusterRoleBinding\n",
        "kind: HorizontalPodAutoscaler\nmetadata: {name: x}\rkind: ClusterRoleBinding\n",
    ] {
        let docs: Vec<_> = documents(text, wanted).collect();
        let d = docs[0].as_ref().unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(d.node.field("kind").as_str().unwrap(), "ClusterRoleBinding", "{text}");
    }
    // The usual shapes still take the short cut.
    let usual = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler # a comment\nmetadata:\n  name: x\nspec:\n- a\n";
    let docs = parse_documents_keeping(usual, wanted);
    assert_eq!(names(docs[0].as_ref().unwrap()), ["kind"]);
}

// --- budgets ----------------------------------------------------------------------------

#[test]
fn the_alias_budget_is_shared_by_the_documents_of_a_file() {
    // 150 copies of a 1,001-node sequence: 150,150 copied nodes, under the per-document cap.
    let anchor = format!("a: &a [{}]\n", vec!["x"; 1000].join(", "));
    let heavy = format!("{anchor}b: [{}]\n", vec!["*a"; 150].join(", "));
    let mut text = String::new();
    for _ in 0..8 {
        text.push_str("---\n");
        text.push_str(&heavy);
    }
    text.push_str("---\nkind: ServiceAccount\nmetadata: {name: survivor}\n");
    let docs = parse_documents(&text);
    assert_eq!(docs.len(), 9);
    // 6 × 150,150 = 900,900 copied nodes fit in the file's 1,000,000; the 7th would not.
    let ok: Vec<bool> = docs.iter().map(Result::is_ok).collect();
    assert_eq!(ok, [true, true, true, true, true, true, false, false, true]);
    for d in &docs[6..8] {
        let e = d.as_ref().unwrap_err();
        assert_eq!(
            e.reason,
            "alias expansion exceeds 1000000 copied nodes in this file (alias bomb?); later documents that expand aliases are refused too"
        );
    }
    assert_eq!(docs[8].as_ref().unwrap().at(&["metadata", "name"]).unwrap().as_str().unwrap(), "survivor");
    // Each file has its own budget.
    assert!(parse_documents(&heavy).iter().all(Result::is_ok));
}

#[test]
fn a_document_of_empty_collections_is_refused_by_the_tree_budget() {
    // 4 MB of `[[[[[]]]]],…`: 5 nodes per 11 bytes of text, far more memory than text.
    let unit = "[[[[[]]]]]";
    let n = 4_000_000 / (unit.len() + 1);
    let text = format!("[{}]", vec![unit; n].join(","));
    let docs = parse_documents(&text);
    let Err(err) = &docs[0] else { panic!("not refused") };
    assert!(
        err.reason.starts_with(
            "document refused: its tree would take more than 77 MiB (16 bytes per byte of text + 16 MiB)"
        ),
        "{}",
        err.reason
    );
    assert_eq!(err.line, 1);
    // Real data of the same size is read: 60,000 small objects.
    let items: Vec<String> = (0..60_000)
            .map(|i| format!("{{\"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"cm-{i:06}\"}}, \"data\": {{\"k\": \"v\"}}}}"))
            .collect();
    let list = format!("{{\"kind\": \"List\", \"items\": [\n{}\n]}}", items.join(",\n"));
    assert!(list.len() > 4_000_000);
    let d = doc(&list);
    assert_eq!(d.node.field("items").items().len(), 60_000);
    assert_eq!(d.node.field("items").items()[59_999].line, 60_001);
}

#[test]
fn a_huge_flow_collection_in_yaml_is_refused_before_the_scanner_buffers_it() {
    // Inside YAML, saphyr would read the whole `[…]` ahead (about 100 bytes per token).
    // (It does so where a flow collection could start an implicit key: a sequence entry, the
    // top of a document.)
    let text = format!("kind: ConfigMap\ndata:\n- [{}]\n", vec!["[]"; 200_000].join(","));
    let docs = parse_documents(&text);
    let Err(err) = &docs[0] else { panic!("not refused") };
    assert!(err.reason.starts_with("more than 100000 tokens to read ahead at once"), "{}", err.reason);
    assert_eq!(err.line, 3);
    // At the top of a document that is not strict JSON, the JSON reader's error is reported.
    let text = format!("[x, {}]\n", vec!["[]"; 200_000].join(","));
    let Err(err) = &parse_documents(&text)[0] else { panic!("not refused") };
    assert_eq!(err.reason, "expected a value (column 2)");
    // Smaller collections are read.
    let text = format!("data:\n- [{}]\n", vec!["[]"; 20_000].join(","));
    assert_eq!(doc(&text).node.field("data").items()[0].items().len(), 20_000);
    // A JSON document of as many tokens is read by the JSON reader.
    let json = format!(
        "{{\"data\": [{}]}}",
        (0..200_000).map(|i| format!("\"item-{i:06}\"")).collect::<Vec<_>>().join(",")
    );
    assert_eq!(doc(&json).node.field("data").items().len(), 200_000);
    // Long scalars are single tokens: a large block scalar of JSON and a long quoted string.
    let block: String =
        (0..20_000).map(|i| format!("    {{\"k{i}\": [1, 2, 3], \"v\": \"x\"}},\n")).collect();
    let words = vec!["word"; 50_000].join(" ");
    let text = format!("kind: ConfigMap\ndata:\n  a.json: |\n{block}  b: \"{words}\"\n");
    let d = doc(&text);
    assert_eq!(d.node.at(&["data", "a.json"]).unwrap().as_str().unwrap().len(), block.len() - 4 * 20_000);
    assert_eq!(d.node.at(&["data", "b"]).unwrap().as_str().unwrap().len(), words.len());
}

#[test]
fn deep_json_is_refused_at_the_depth_limit() {
    let text = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300));
    let err = parse_documents(&text).remove(0).unwrap_err();
    assert_eq!(err.reason, "nesting deeper than 256 levels");
    let text = format!("{}{}", "[".repeat(300), "]".repeat(300));
    assert_eq!(parse_documents(&text).remove(0).unwrap_err().reason, "nesting deeper than 256 levels");
}

// --- JSON -------------------------------------------------------------------------------

#[test]
fn json_documents_read_like_yaml_would_read_them() {
    let text = "\u{feff}{\r\n  \"a\": \"t\\u00e9\\n\\\"\\/\",\r\n  \"b\": [1, -2.5e3, 1e400, true, null, \"1\"],\r\n  \"c\": {}\r\n}\r\n";
    let d = doc(text);
    assert_eq!(d.node.field("a").as_str().unwrap(), "t\u{e9}\n\"/");
    let b = d.node.field("b").items();
    assert_eq!(b[0].value, Value::Int(1));
    assert_eq!(b[1].value, Value::Float(-2500.0));
    assert_eq!(b[2].value, Value::Float(f64::INFINITY));
    assert_eq!(b[3].value, Value::Bool(true));
    assert_eq!(b[4].value, Value::Null);
    assert_eq!(b[5].value, Value::Str("1".into()));
    assert_eq!((d.node.line, d.node.field("b").line, d.node.field("c").line), (1, 3, 4));
    let mut budget = FileBudget { alias_nodes_left: MAX_ALIAS_NODES_PER_FILE };
    let by_yaml = parse_yaml(text, 0, &mut budget).ok().flatten().expect("YAML reads it too");
    assert_eq!(by_yaml.node, d.node);
    // JSON's surrogate pairs, which saphyr refuses, are read as Go's JSON decoding reads them.
    let d = doc("{\"a\": \"\\ud83d\\ude00\"}");
    assert_eq!(d.node.field("a").as_str().unwrap(), "\u{1f600}");
}

#[test]
fn text_that_is_not_strict_json_is_read_as_yaml() {
    for (text, keys) in [
        ("{a: 1, b: [x, y,]}", vec!["a", "b"]),
        ("{\"a\": 1} # a comment\n", vec!["a"]),
        ("{\"a\": 'single', \"b\": 01}\n", vec!["a", "b"]),
        ("[a, b]: c\n", vec!["<complex key>"]),
    ] {
        assert_eq!(names(&doc(text).node), keys, "{text}");
    }
    // Broken both ways: saphyr's error, with its column.
    let err = parse_documents("{\n  \"a\": 1\n  \"b\": 2\n}\n").remove(0).unwrap_err();
    assert_eq!(
        (err.line, err.reason.as_str()),
        (3, "while parsing a flow mapping, did not find expected ',' or '}' (column 6)")
    );
}

/// `../shared/yaml-test-suite` relative to the repository root.
fn yaml_test_suite() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/yaml-test-suite/data");
    assert!(dir.is_dir(), "the YAML test suite is expected at {}", dir.display());
    dir
}

fn suite_cases(file: &str) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![yaml_test_suite()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.file_name().is_some_and(|n| n == file)
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// Every `.json` file under `dir`, recursively.
fn json_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for path in std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_json_reader_agrees_with_saphyr_on_the_yaml_test_suite_and_the_corpora() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpora = root.join("../shared/corpora");
    assert!(corpora.is_dir(), "the corpora are expected at {}", corpora.display());
    let mut cases = suite_cases("in.json");
    cases.extend(json_files(&corpora));
    cases.extend(json_files(&root.join("fixtures")));
    let mut compared = 0;
    for (path, text) in cases {
        let mut budget = FileBudget { alias_nodes_left: MAX_ALIAS_NODES_PER_FILE };
        let Ok(by_json) = parse_json(&text, 0, &mut budget) else { continue };
        let by_yaml = parse_yaml(&text, 0, &mut budget).ok().flatten();
        assert_eq!(by_yaml.as_ref(), Some(&by_json), "{}", path.display());
        compared += 1;
    }
    assert!(compared > 300, "only {compared} JSON documents compared");
}

#[test]
fn no_message_quotes_the_input() {
    // Every error case of the test suite, and broken inputs made of one distinctive word.
    let mut texts: Vec<String> = suite_cases("in.yaml")
        .into_iter()
        .filter(|(p, _)| p.with_file_name("error").exists())
        .map(|(_, t)| t)
        .collect();
    assert!(texts.len() > 50);
    for broken in [
        "a: @zqxj\n",
        "a: `zqxj\n",
        "a: %zqxj\n",
        "zqxj: [zqxj\n",
        "zqxj: \"zqxj\\q\"\n",
        "- zqxj\nzqxj: 1\n",
        "{\"zqxj\": zqxj zqxj}",
        "[\"zqxj\" \"zqxj\"]",
        "a: *zqxj\n",
        "a: !<zqxj\n",
    ] {
        texts.push(broken.to_owned());
    }
    for text in &texts {
        for d in documents(text, |_| true) {
            let reason = match d {
                Ok(d) => d.warnings.iter().map(|w| w.reason.clone()).collect::<Vec<_>>().join("; "),
                Err(e) => e.reason,
            };
            assert!(!reason.contains("zqxj"), "{text:?}: {reason}");
            // Only our fixed wordings and saphyr's fixed messages, with a column.
            let message = reason.rsplit_once(" (column ").map_or(reason.as_str(), |(m, _)| m);
            assert!(
                SAPHYR_MESSAGES.contains(&message)
                    || message.is_empty()
                    || [
                        "unexpected character: '%', '@' and '`' cannot start a plain scalar",
                        "syntax error",
                        "unexpected second document",
                        "a merge key (<<) must be given a mapping or a list of mappings",
                        "an alias refers to an anchor that is not defined before it",
                    ]
                    .contains(&message)
                    || message.starts_with("duplicate key ")
                    || message.starts_with("a duplicate key")
                    || message.starts_with("nesting deeper than"),
                "{text:?}: unexpected message {reason}"
            );
        }
    }
    let err = parse_documents("a: @zqxj\n").remove(0).unwrap_err();
    assert_eq!(err.reason, "unexpected character: '%', '@' and '`' cannot start a plain scalar (column 4)");
}

#[test]
fn keys_taken_as_text_are_the_keys_typing_would_give() {
    for text in [
        "name", "kind", "nullable", "trueish", "x1", "-", "-1", "1.0", "0x10", "~", "", "null", "True", ".5",
        "+1", "Ñ", "a b",
    ] {
        if is_plain_text(text) {
            assert_eq!(
                scalar(Cow::Borrowed(text), ScalarStyle::Plain, None),
                Value::Str(text.into()),
                "{text}"
            );
        }
    }
    let d = doc("1.0: a
0x10: b
~: c
True: d
name: e
");
    assert_eq!(names(&d.node), ["1", "16", "", "true", "name"]);
}
