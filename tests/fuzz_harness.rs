//! The fuzz targets' checks (fuzz/src/lib.rs, included here as a module) run over the
//! repository's fixtures, so that the targets keep building against the readers and their
//! invariants hold on known inputs. The fuzzing itself is scripts/fuzz.sh (docs/fuzzing.md).

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_passes_its_targets_checks() {
    let mut all = Vec::new();
    files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut all);
    all.sort();
    let mut counts = [0usize; 5];
    for path in &all {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
        let data = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&data);
        match ext.as_str() {
            "yaml" | "yml" | "json" => {
                harness::yaml(&data);
                counts[0] += 1;
                if text.contains("static_resources") || text.contains("dynamic_resources") {
                    harness::envoy(&data);
                    counts[1] += 1;
                }
                if text.contains("DetailList") || text.contains("credential") {
                    harness::iam(&data);
                    counts[2] += 1;
                }
            }
            "csv" => {
                harness::iam(&data);
                counts[2] += 1;
            }
            "cfg" => {
                harness::haproxy(&data);
                counts[3] += 1;
            }
            "conf" if name.starts_with("haproxy") => {
                harness::haproxy(&data);
                counts[3] += 1;
            }
            "conf" => {
                harness::nginx(&data);
                counts[4] += 1;
            }
            _ => {}
        }
    }
    // Every target saw fixtures: a renamed directory must not turn this test into a no-op.
    let [yaml, envoy, iam, haproxy, nginx] = counts;
    assert!(yaml > 100 && envoy > 0 && iam > 1 && haproxy > 1 && nginx > 5, "{counts:?}");
}

#[test]
fn a_secret_that_reaches_the_inventory_is_caught() {
    let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {app: CANARYpublic}}\n\
                data: {token: Q0FOQVJZZGF0YQ==}\nstringData: {password: CANARYstring, app: CANARYpublic}\n";
    let docs = ztpath_probes::yaml::parse_documents(text);
    let (secret, public) = harness::secret_and_public_tokens(&docs);
    // `Q0FOQVJZZGF0YQ==` is base64 for CANARYdata; CANARYpublic is also a label, so not a secret.
    assert_eq!(secret.difference(&public).collect::<Vec<_>>(), ["CANARYdata", "CANARYstring"]);
    // The reader keeps only fingerprints: the check passes on the real Inventory.
    harness::yaml(text.as_bytes());
    let debug = format!("{:?}", ztpath_probes::read_text("s.yaml", text));
    assert!(
        harness::tokens(&debug).contains("CANARYpublic") && !harness::tokens(&debug).contains("CANARYstring")
    );
    // The planted nginx and HAProxy secrets are not in the fixed configuration's Inventory either,
    // and the fixed configuration does give a proxy (so the plant is read).
    for (inventory, secrets) in [
        (ztpath_probes::nginx::read_str("nginx.conf", harness::NGINX_PLANTED), harness::NGINX_SECRETS),
        (ztpath_probes::haproxy::read_str("haproxy.cfg", harness::HAPROXY_PLANTED), harness::HAPROXY_SECRETS),
    ] {
        assert!(inventory.diagnostics.is_empty(), "{:?}", inventory.diagnostics);
        assert_eq!(inventory.proxies.len(), 1);
        let found = harness::tokens(&format!("{inventory:?}"));
        assert!(secrets.iter().all(|s| !found.contains(*s)), "{found:?}");
    }
}

#[test]
fn tokens_and_lines() {
    let words: Vec<String> = harness::tokens("xCANARYab-CANARYCANARYc\"CANARY").into_iter().collect();
    assert_eq!(words, ["CANARY", "CANARYCANARYc", "CANARYab", "CANARYc"]);
    assert_eq!(
        (harness::last_line(""), harness::last_line("a\nb"), harness::last_line("a\r\nb\n")),
        (1, 2, 4)
    );
    assert_eq!((harness::yaml_last_line("["), harness::yaml_last_line("[\n")), (2, 2));
}

#[test]
#[should_panic(expected = "diagnostic at line 0")]
fn a_diagnostic_without_a_line_is_caught() {
    let mut inventory = ztpath_probes::Inventory::default();
    inventory.diagnostics.push(ztpath_probes::Diagnostic {
        source: ztpath_probes::Source { file: "x.yaml".into(), line: 0 },
        reason: "r".into(),
    });
    harness::check_lines(&inventory, 3);
}
