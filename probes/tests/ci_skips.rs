//! Under CI the probe crate's corpus tests fail instead of skipping when a corpus is missing.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{ci_value, corpus_in};

#[test]
fn ci_is_any_value_but_empty_false_and_0() {
    for on in ["true", "1", "yes"] {
        assert!(ci_value(Some(OsStr::new(on))), "CI={on}");
    }
    for off in ["", "false", "0"] {
        assert!(!ci_value(Some(OsStr::new(off))), "CI={off:?}");
    }
    assert!(!ci_value(None), "CI unset");
}

#[test]
fn a_missing_corpus_skips_outside_ci_and_fails_under_ci() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(corpus_in(root, "tests", true), Some(root.join("tests")));
    assert_eq!(corpus_in(root, "no-such-corpus", false), None);
    let under_ci = std::panic::catch_unwind(|| corpus_in(root, "no-such-corpus", true));
    let message = under_ci.expect_err("a missing corpus under CI fails the test");
    let text = message.downcast_ref::<String>().map(String::as_str).unwrap_or_default();
    assert!(text.contains("no-such-corpus") && text.contains("CI is set"), "{text}");
}
