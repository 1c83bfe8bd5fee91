//! rustls servers on loopback for `scripts/bench-tls.sh`: one per (client auth, versions)
//! combination, repeated, with certificates made by rcgen. Writes `host:port=SNI` lines and the
//! server's client-auth setting to `--out`, the CA to `--ca`, then serves until its standard
//! input closes. The server certificate, its key and the client CA go beside the CA file too
//! (`server.pem`, `server.key`, `client-ca.pem`), for the nginx the script starts.
//!
//! ```text
//! cargo run --release --example tls_bench_servers -- --copies 4 --out target/tls-bench/targets.txt --ca target/tls-bench/ca.pem
//! ```
#![allow(clippy::print_stderr, reason = "a benchmark helper says what it started")]

#[path = "../tests/tls_support/mod.rs"]
mod tls_support;

use std::io::Read;

use tls_support::{Ca, ClientAuth, Spec, Versions};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut copies, mut out, mut ca_out) = (4usize, None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--copies" => copies = args.next().and_then(|v| v.parse().ok()).expect("--copies N"),
            "--out" => out = args.next(),
            "--ca" => ca_out = args.next(),
            _ => panic!("usage: tls_bench_servers [--copies N] --out FILE --ca FILE"),
        }
    }
    let (out, ca_out) = (out.expect("--out FILE"), ca_out.expect("--ca FILE"));
    let ca = Ca::new("bench CA");
    let clients = Ca::new("bench client CA");
    let leaf = ca.leaf(
        &["bench.example"],
        Some("spiffe://example.org/ns/bench/sa/api"),
        (2026, 11, 24, 12),
        (2026, 11, 25, 12),
    );
    let mut specs = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..copies {
        for auth in [ClientAuth::Off, ClientAuth::Optional, ClientAuth::Required] {
            for versions in [Versions::Both, Versions::Tls13Only, Versions::Tls12Only] {
                specs.push(Spec { leaf: &leaf, auth, versions, client_ca: Some(&clients) });
                labels.push(format!("{auth:?}/{versions:?}"));
            }
        }
    }
    let servers = tls_support::start(&specs, 0);
    let lines: String =
        servers.addrs.iter().zip(&labels).map(|(a, l)| format!("{a}=bench.example # {l}\n")).collect();
    std::fs::write(&out, lines).expect("write targets");
    std::fs::write(&ca_out, &ca.pem).expect("write CA");
    // The same server certificate and client CA for other servers the script starts (nginx).
    let dir = std::path::Path::new(&ca_out).parent().expect("a directory");
    std::fs::write(dir.join("server.pem"), &leaf.pem).expect("write");
    std::fs::write(dir.join("server.key"), &leaf.key_pem).expect("write");
    std::fs::write(dir.join("client-ca.pem"), &clients.pem).expect("write");
    eprintln!("{} rustls servers on 127.0.0.1; targets in {out}", servers.addrs.len());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(servers);
}
