//! `ztpath probe tls` against real nginx and HAProxy from Debian, started here on loopback ports
//! with generated configurations and certificates in a temporary directory, and stopped at the
//! end: each server's client-authentication setting must give its verdict; and a drift test
//! reads an nginx file that says `ssl_verify_client on` while the running nginx says `optional`.
//!
//! The servers come from `scripts/test.sh` (`apt-get install nginx haproxy` when missing). Without
//! them the tests skip, except under CI (CI set), where a missing server is a failure.
#![allow(clippy::print_stderr, reason = "a test says on stderr what it skips")]

mod common;
mod tls_support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tls_support::Ca;

const NOW: &str = "2026-11-25";

/// A server process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SIGTERM, so that nginx's master stops its workers too (SIGKILL would orphan them).
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn in_ci() -> bool {
    common::ci_value(std::env::var_os("CI").as_deref())
}

/// The server's binary, or `None` (after saying so) outside CI; under CI a missing one fails.
fn binary(name: &str) -> Option<PathBuf> {
    let found = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            !in_ci(),
            "{name} is not installed: scripts/test.sh installs it (apt-get install {name}); under CI it is required"
        );
        eprintln!("skipped: {name} is not installed (scripts/test.sh installs it)");
    }
    found
}

/// `n` loopback ports for a server started by a test, each handed out once per test process.
///
/// A port from `bind(127.0.0.1:0)`, closed again before nginx binds it, can be handed by the
/// kernel to another test running at the same time (another nginx, or one of the rustls servers
/// that bind port 0), and the test then probes that server instead of its own (CI saw a verdict
/// from the wrong nginx once). So the ports come from below the kernel's ephemeral range, which
/// `bind(:0)` and outgoing connections never use, from an offset that depends on the process id
/// (another test run on the machine starts elsewhere), and a port is handed out only once.
fn free_ports(n: usize) -> Vec<u16> {
    use std::sync::Mutex;
    static NEXT: Mutex<Option<u16>> = Mutex::new(None);
    // Ports 20000..(the ephemeral range's start): 12,768 ports with Linux's default range.
    let ephemeral_low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|w| w.parse().ok()))
        .unwrap_or(32768);
    let (low, high) = (20000u16, ephemeral_low.max(20000 + 1000));
    let span = u32::from(high - low);
    let mut next = NEXT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut port = next.unwrap_or_else(|| {
        let offset = u64::from(std::process::id()) * 97 % u64::from(span);
        low + u16::try_from(offset).expect("offset below the span")
    });
    let mut ports = Vec::with_capacity(n);
    let mut tried = 0u32;
    while ports.len() < n {
        assert!(tried < span, "no free loopback port below {high}");
        tried += 1;
        port = if port + 1 >= high { low } else { port + 1 };
        // Free now (nothing else of ours will be given it again).
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            ports.push(port);
        }
    }
    *next = Some(port);
    ports
}

fn wait_for(ports: &[u16], child: &mut Child, what: &str, log: &Path) {
    let start = Instant::now();
    for &port in ports {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{what} exited ({status}): {}", std::fs::read_to_string(log).unwrap_or_default());
            }
            assert!(start.elapsed() < Duration::from_secs(15), "{what} did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Certificates: a CA, the server's leaf (for 127.0.0.1 and edge.example) and its key.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    /// Certificate and key in one file (HAProxy `crt`).
    combined: PathBuf,
}

fn pki(dir: &Path) -> Pki {
    let ca = Ca::new("edge test CA");
    let leaf = ca.leaf(&["edge.example"], None, (2026, 1, 1, 0), (2027, 12, 1, 0));
    let p = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        combined: dir.join("combined.pem"),
    };
    std::fs::write(&p.ca, &ca.pem).expect("write");
    std::fs::write(&p.cert, &leaf.pem).expect("write");
    std::fs::write(&p.key, &leaf.key_pem).expect("write");
    std::fs::write(&p.combined, format!("{}{}", leaf.pem, leaf.key_pem)).expect("write");
    p
}

fn start_nginx(
    nginx: &Path,
    dir: &Path,
    pki: &Pki,
    modes: &[&str],
    plaintext: u16,
    ports: &[u16],
) -> Running {
    let mut servers = String::new();
    for (mode, port) in modes.iter().zip(ports) {
        let verify = if *mode == "off" {
            String::new()
        } else {
            format!("ssl_client_certificate {};\n    ssl_verify_client {mode};\n", pki.ca.display())
        };
        servers.push_str(&format!(
            "  server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name edge.example;\n    ssl_certificate {};\n    ssl_certificate_key {};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    {verify}    location / {{ return 200 \"ok\\n\"; }}\n  }}\n",
            pki.cert.display(),
            pki.key.display()
        ));
    }
    servers.push_str(&format!(
        "  server {{\n    listen 127.0.0.1:{plaintext};\n    location / {{ return 200 \"ok\\n\"; }}\n  }}\n"
    ));
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\nerror_log {d}/nginx-error.log;\npid {d}/nginx.pid;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/t1;\n  proxy_temp_path {d}/t2;\n  fastcgi_temp_path {d}/t3;\n  uwsgi_temp_path {d}/t4;\n  scgi_temp_path {d}/t5;\n{servers}}}\n"
    );
    std::fs::write(dir.join("running-nginx.conf"), conf).expect("write");
    let log = dir.join("nginx-error.log");
    let mut child = Command::new(nginx)
        .args([
            "-p",
            &dir.display().to_string(),
            "-c",
            &dir.join("running-nginx.conf").display().to_string(),
            "-g",
            "daemon off;",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let mut all = ports[..modes.len()].to_vec();
    all.push(plaintext);
    wait_for(&all, &mut child, "nginx", &log);
    Running(child)
}

fn start_haproxy(haproxy: &Path, dir: &Path, pki: &Pki, modes: &[&str], ports: &[u16]) -> Running {
    let mut conf = String::from(
        "global\n  maxconn 64\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n",
    );
    for (mode, port) in modes.iter().zip(ports) {
        conf.push_str(&format!(
            "frontend verify_{mode}\n  bind 127.0.0.1:{port} ssl crt {} ca-file {} verify {mode}\n  http-request return status 200 content-type text/plain string ok\n",
            pki.combined.display(),
            pki.ca.display()
        ));
    }
    std::fs::write(dir.join("haproxy.cfg"), conf).expect("write");
    let log = dir.join("haproxy.log");
    let out = std::fs::File::create(&log).expect("log");
    let mut child = Command::new(haproxy)
        .args(["-db", "-f", &dir.join("haproxy.cfg").display().to_string()])
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log"))
        .stderr(out)
        .spawn()
        .expect("start haproxy");
    wait_for(ports, &mut child, "haproxy", &log);
    Running(child)
}

fn probe(targets: &[String], ca: &Path) -> Value {
    let mut args = vec!["probe", "tls", "--format", "json", "--now", NOW, "--fail-on", "never", "--tls-ca"];
    let ca = ca.display().to_string();
    args.push(&ca);
    args.extend(targets.iter().map(String::as_str));
    let (code, stdout, stderr) = common::run(&args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `ztpath scan . --tls` in `repo` against the CA in `ca`, with `extra` arguments: the exit code
/// and the JSON report.
fn scan_tls(repo: &Path, ca: &str, fail_on: &str, extra: &[&str]) -> (i32, Value) {
    let mut args =
        vec!["scan", ".", "--tls", "--tls-ca", ca, "--format", "json", "--now", NOW, "--fail-on", fail_on];
    args.extend(extra);
    let (code, stdout, stderr) = common::run_in(repo, &args);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (code, doc)
}

#[test]
fn nginx_verdicts_match_ssl_verify_client() {
    let Some(nginx) = binary("nginx") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let modes = ["on", "optional", "optional_no_ca", "off"];
    let ports = free_ports(5);
    let _nginx = start_nginx(&nginx, dir.path(), &pki, &modes, ports[4], &ports);
    let targets: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}=edge.example")).collect();
    let doc = probe(&targets, &pki.ca);
    let tls = doc["tls"].as_array().expect("tls[]");
    let verdicts: Vec<(&str, &str)> = tls
        .iter()
        .take(4)
        .map(|e| (e["client_auth"].as_str().unwrap_or("?"), e["refusal"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        verdicts,
        vec![("required", "http 400"), ("optional", "-"), ("optional", "-"), ("not-requested", "-")],
        "{doc}"
    );
    for e in &tls[..4] {
        assert_eq!(
            (e["tls"].clone(), e["version"].clone(), e["verified"].clone()),
            (Value::Bool(true), Value::from("TLSv1.3"), Value::Bool(true))
        );
    }
    // The CA names nginx sends are its ssl_client_certificate's subjects.
    assert_eq!(tls[0]["ca_names"], serde_json::json!(["CN=edge test CA, O=ztpath tests"]));
    assert_eq!(tls[3]["ca_names"], serde_json::json!([]));
    assert_eq!(tls[4]["tls"], false, "the plaintext port");
}

#[test]
fn haproxy_verdicts_match_verify() {
    let Some(haproxy) = binary("haproxy") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let modes = ["required", "optional", "none"];
    let ports = free_ports(3);
    let _haproxy = start_haproxy(&haproxy, dir.path(), &pki, &modes, &ports);
    let targets: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}=edge.example")).collect();
    let doc = probe(&targets, &pki.ca);
    let tls = doc["tls"].as_array().expect("tls[]");
    let verdicts: Vec<(&str, &str)> = tls
        .iter()
        .map(|e| (e["client_auth"].as_str().unwrap_or("?"), e["refusal"].as_str().unwrap_or("-")))
        .collect();
    // OpenSSL refuses a missing certificate after the TLS 1.3 handshake with certificate_required;
    // `verify none` sends no request even with a ca-file.
    assert_eq!(
        verdicts,
        vec![("required", "alert 116 (certificate_required)"), ("optional", "-"), ("not-requested", "-")],
        "{doc}"
    );
    assert_eq!(tls[0]["tls12_accepted"], true);
}

#[test]
fn the_running_nginx_drifted_from_its_file() {
    let Some(nginx) = binary("nginx") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let ports = free_ports(2);
    // What runs says `optional`...
    let _nginx = start_nginx(&nginx, dir.path(), &pki, &["optional"], ports[1], &ports);
    // ...while the repository's file says `on`.
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    std::fs::write(
        repo.join("nginx.conf"),
        format!(
            "events {{}}\nhttp {{\n  server {{\n    listen {} ssl;\n    server_name edge.example;\n    ssl_certificate server.pem;\n    ssl_certificate_key server.key;\n    ssl_client_certificate ca.pem;\n    ssl_verify_client on;\n    location / {{ proxy_pass http://127.0.0.1:8080; }}\n  }}\n}}\n",
            ports[0]
        ),
    )
    .expect("write");
    let target = format!("127.0.0.1:{}=edge.example=NginxConfig/nginx", ports[0]);
    let ca = pki.ca.display().to_string();
    let scan = |target: &str| scan_tls(&repo, &ca, "high", &["--tls-target", target]);
    let (code, doc) = scan(&target);
    let drift: Vec<&Value> =
        doc["findings"].as_array().expect("findings").iter().filter(|f| f["rule"] == "ZT301").collect();
    assert_eq!(drift.len(), 1, "{doc}");
    assert_eq!(drift[0]["subject"], serde_json::json!({"kind": "NginxConfig", "name": "nginx"}));
    assert_eq!(
        drift[0]["message"],
        format!(
            "The configuration says `ssl_verify_client on`, but the live endpoint 127.0.0.1:{} asks for a client certificate but lets a client without one in.",
            ports[0]
        )
    );
    let evidence: Vec<String> = drift[0]["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| format!("{}:{}", e["file"].as_str().unwrap_or_default(), e["line"]))
        .collect();
    // The listener's `listen` line, and the endpoint probed.
    assert_eq!(evidence, vec!["./nginx.conf:4".to_owned(), format!("tls://127.0.0.1:{}:0", ports[0])]);
    assert_eq!(code, 1, "a high finding fails the scan");

    // The same file against a running nginx that enforces it: no drift.
    let ports2 = free_ports(2);
    let dir2 = tempfile::tempdir().expect("tempdir");
    let pki2 = self::pki(dir2.path());
    let _enforcing = start_nginx(&nginx, dir2.path(), &pki2, &["on"], ports2[1], &ports2);
    std::fs::write(
        repo.join("nginx.conf"),
        std::fs::read_to_string(repo.join("nginx.conf"))
            .expect("read")
            .replace(&format!("listen {} ssl", ports[0]), &format!("listen {} ssl", ports2[0])),
    )
    .expect("write");
    let (_, doc) = scan(&format!("127.0.0.1:{}=edge.example=NginxConfig/nginx", ports2[0]));
    assert!(doc["findings"].as_array().expect("findings").iter().all(|f| f["rule"] != "ZT301"), "{doc}");
    assert_eq!(doc["tls"][0]["client_auth"], "required");
}

#[test]
fn scan_tls_probes_the_endpoints_the_estate_names() {
    let Some(nginx) = binary("nginx") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let ports = free_ports(2);
    // The running nginx lets clients without a certificate in on the TLS port; the other port is
    // plaintext.
    let _nginx = start_nginx(&nginx, dir.path(), &pki, &["optional"], ports[1], &ports);
    // The repository's file binds both to an address of the documentation range (pinned to
    // loopback with --tls-resolve, as curl's --resolve), says `on`, and has a loopback-only
    // server that must not be probed.
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    std::fs::write(
        repo.join("nginx.conf"),
        format!(
            "events {{}}\nhttp {{\n  server {{\n    listen 192.0.2.44:{} ssl;\n    server_name edge.example;\n    ssl_certificate server.pem;\n    ssl_certificate_key server.key;\n    ssl_client_certificate ca.pem;\n    ssl_verify_client on;\n    location / {{ proxy_pass http://app.internal:8080; }}\n  }}\n  server {{\n    listen 192.0.2.44:{};\n    server_name plain.example;\n    location / {{ return 200; }}\n  }}\n  server {{\n    listen 127.0.0.1:9 ssl;\n    server_name local.example;\n    ssl_certificate server.pem;\n    ssl_certificate_key server.key;\n  }}\n}}\n",
            ports[0], ports[1]
        ),
    )
    .expect("write");
    let ca = pki.ca.display().to_string();
    let pins: Vec<String> = ports.iter().map(|p| format!("192.0.2.44:{p}:127.0.0.1")).collect();
    let scan = |extra: &[&str]| {
        let mut args = vec!["--tls-resolve", &pins[0], "--tls-resolve", &pins[1]];
        args.extend(extra);
        let (code, doc) = scan_tls(&repo, &ca, "never", &args);
        assert_eq!(code, 0, "{doc}");
        doc
    };
    let doc = scan(&[]);
    let tls = doc["tls"].as_array().expect("tls");
    let seen: Vec<(&str, &Value, &Value)> =
        tls.iter().map(|t| (t["target"].as_str().unwrap_or_default(), &t["tls"], &t["maps_to"])).collect();
    let nginx_ref = serde_json::json!({"kind": "NginxConfig", "name": "nginx"});
    assert_eq!(
        seen,
        vec![
            (format!("192.0.2.44:{}=edge.example", ports[0]).as_str(), &Value::Bool(true), &nginx_ref),
            (format!("192.0.2.44:{}=plain.example", ports[1]).as_str(), &Value::Bool(false), &nginx_ref),
        ],
        "{doc}"
    );
    assert_eq!(tls[0]["client_auth"], "optional");
    let findings = doc["findings"].as_array().expect("findings");
    // The TLS listener drifted; the plaintext one is as its file says.
    let drift: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "ZT301").collect();
    assert_eq!(drift.len(), 1, "{doc}");
    assert!(drift[0]["message"].as_str().unwrap_or_default().contains(&format!("192.0.2.44:{}", ports[0])));
    assert!(findings.iter().all(|f| f["rule"] != "ZT302"), "{doc}");
    // The finding sits on the path through that listener, and the hop into nginx shows the wire.
    let on: Vec<&str> =
        drift[0]["paths"].as_array().expect("paths").iter().filter_map(Value::as_str).collect();
    assert_eq!(on.len(), 1, "{doc}");
    let path = doc["paths"].as_array().expect("paths").iter().find(|p| p["id"] == on[0]).expect("the path");
    let hop = &path["hops"][0];
    assert_eq!(hop["to"], "proxy:nginx/-/nginx", "{path}");
    let wire = format!("tls://192.0.2.44:{}", ports[0]);
    assert!(
        hop["evidence"].as_array().expect("evidence").iter().any(|e| e["file"] == wire.as_str()),
        "{path}"
    );

    // Told not to look in the estate, it probes nothing (and the report has no `tls` array).
    let doc = scan(&["--tls-no-discover"]);
    assert!(doc.get("tls").is_none(), "{doc}");
    assert!(doc["findings"].as_array().expect("findings").iter().all(|f| f["rule"] != "ZT301"), "{doc}");
}
