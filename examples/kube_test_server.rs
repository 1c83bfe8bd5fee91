//! The test Kubernetes API server of `tests/kube_support` as a process, for
//! `scripts/bench-kube.sh`: serves the objects of the YAML/JSON files under `--objects` over HTTPS
//! on a loopback port, writes a kubeconfig (context `bench`) to `--kubeconfig`, then serves until
//! its standard input closes.
//!
//! ```text
//! cargo run --release --example kube_test_server -- --objects target/bench-estates/w10000-s1 --kubeconfig target/kube-bench/kubeconfig
//! ```
#![allow(clippy::print_stderr, reason = "a benchmark helper says what it started")]

#[path = "../tests/kube_support/mod.rs"]
mod kube_support;

use std::io::Read;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out);
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml" | "json")) {
            out.push(p);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut objects, mut kubeconfig) = (None, None);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--objects" => objects = args.next().map(PathBuf::from),
            "--kubeconfig" => kubeconfig = args.next().map(PathBuf::from),
            other => {
                eprintln!("kube_test_server: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let (Some(objects), Some(kubeconfig)) = (objects, kubeconfig) else {
        eprintln!("usage: kube_test_server --objects DIR --kubeconfig FILE");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    files_under(&objects, &mut files);
    files.sort();
    let server = kube_support::KubeServer::start(kube_support::objects_of_files(&files), "bench");
    std::fs::copy(&server.kubeconfig, &kubeconfig).expect("write the kubeconfig");
    let total: usize = server.loaded.values().sum();
    eprintln!("kube_test_server: {total} objects from {} files on 127.0.0.1:{}", files.len(), server.port);
    // Serve until standard input closes.
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}
