//! A report made with `--now` must not depend on the day it is made. The binary is made to believe
//! that today is another day through `ZTPATH_TODAY=YYYY-MM-DD`, the test hook read where the
//! default of `--now` is computed (src/cli.rs): scans pinned with `--now` give byte-identical
//! output whatever "today" is, and the same scans without `--now` do change with it, so this test
//! fails if the hook stops working as well as when a report starts depending on the day.

mod common;

use common::{NOW, of_rule, run_with_env};
use ztpath_reports::Report;

/// The fixtures that hold IAM access keys (whose ages count from `--now`), as whole estates.
const INPUTS: [&str; 3] = ["fixtures/demo", "fixtures/aws", "fixtures/rules"];

/// Two "todays" far from `NOW` and from each other: before any key of the fixtures was created,
/// and long after every one of them went stale.
const DAYS: [&str; 2] = ["2001-02-03", "2093-08-17"];

/// `ztpath scan INPUT --format FORMAT --fail-on never [--now NOW]` with `ZTPATH_TODAY=today` when
/// given; returns (stdout, stderr) after checking that it exited 0 and printed a report.
fn scan(input: &str, format: &str, now: Option<&str>, today: Option<&str>) -> (String, String) {
    let mut args = vec!["scan", input, "--format", format, "--fail-on", "never"];
    if let Some(now) = now {
        args.extend(["--now", now]);
    }
    let env: Vec<(&str, &str)> = today.map(|d| ("ZTPATH_TODAY", d)).into_iter().collect();
    let (code, stdout, stderr) = run_with_env(&args, &env);
    assert_eq!(code, 0, "ztpath {args:?} with {env:?} exited {code}; stderr:\n{stderr}");
    assert!(!stdout.is_empty(), "ztpath {args:?} with {env:?} printed nothing");
    (stdout, stderr)
}

#[test]
fn a_pinned_now_gives_the_same_output_whatever_today_is() {
    for input in INPUTS {
        for format in ["json", "table", "dot"] {
            let on_the_real_day = scan(input, format, Some(NOW), None);
            for day in DAYS {
                let on_another_day = scan(input, format, Some(NOW), Some(day));
                assert!(
                    on_another_day == on_the_real_day,
                    "scan {input} --format {format} --now {NOW} differs when today is {day}"
                );
            }
        }
    }
}

#[test]
fn without_now_the_output_follows_today() {
    // The DOT graph carries no key age, so only JSON and the table are expected to change.
    for input in INPUTS {
        for format in ["json", "table"] {
            let early = scan(input, format, None, Some(DAYS[0]));
            let late = scan(input, format, None, Some(DAYS[1]));
            assert!(
                early.0 != late.0,
                "scan {input} --format {format} without --now is the same on {DAYS:?}"
            );
            // The faked today is exactly the default of --now.
            assert!(
                scan(input, format, None, Some(NOW)) == scan(input, format, Some(NOW), None),
                "scan {input} --format {format}: ZTPATH_TODAY={NOW} is not the same as --now {NOW}"
            );
        }
    }
    // What changes is the key ages: in 2001 no key of the joined estate exists yet, in 2093 its
    // active keys are all decades old.
    let stale = |today: &str| {
        let report: Report =
            serde_json::from_str(&scan("fixtures/aws/cluster-and-account", "json", None, Some(today)).0)
                .expect("a JSON report");
        let mut keys: Vec<String> =
            of_rule(&report, "ZT202").iter().map(|f| f.subject.name.clone()).collect();
        keys.sort();
        keys
    };
    assert_eq!(stale(DAYS[0]), Vec::<String>::new());
    assert_eq!(stale(DAYS[1]), ["legacy-deployer/key-1", "legacy-deployer/key-2", "metrics-reader/key-1"]);
}

#[test]
fn a_today_that_is_no_date_is_refused_and_now_wins_over_it() {
    let args = ["scan", "fixtures/demo", "--format", "json", "--fail-on", "never"];
    for bad in ["tomorrow", "2026-13-01", "25/11/2026"] {
        let (code, stdout, stderr) = run_with_env(&args, &[("ZTPATH_TODAY", bad)]);
        assert_eq!(code, 2, "ZTPATH_TODAY={bad}; stderr:\n{stderr}");
        assert!(stdout.is_empty(), "no report with ZTPATH_TODAY={bad}");
        assert!(
            stderr.contains("ZTPATH_TODAY is set but is not a date of the form YYYY-MM-DD"),
            "ZTPATH_TODAY={bad}: {stderr}"
        );
        assert!(!stderr.contains(bad), "the value is not echoed: {stderr}");
    }
    // An explicit --now does not read the variable at all.
    let mut pinned = args.to_vec();
    pinned.extend(["--now", NOW]);
    let (code, with_bad_today, stderr) = run_with_env(&pinned, &[("ZTPATH_TODAY", "tomorrow")]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(with_bad_today, scan("fixtures/demo", "json", Some(NOW), None).0);
    // Empty is unset.
    let (code, _, stderr) = run_with_env(&args, &[("ZTPATH_TODAY", "")]);
    assert_eq!(code, 0, "{stderr}");
}
