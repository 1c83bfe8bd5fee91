#!/usr/bin/env bash
# Benchmarks `ztpath probe tls` against sslyze on the same loopback endpoints (issue 13).
#
#   scripts/bench-tls.sh
#
# examples/tls_bench_servers.rs starts rustls servers on 127.0.0.1, one per combination of client
# authentication (off, optional, required) and versions (1.3 and 1.2, 1.3 only, 1.2 only), times
# BENCH_TLS_COPIES (4); when nginx is installed, an nginx with `ssl_verify_client on` and one with
# `optional` join them for the verdict comparison. Then:
# - ztpath: hyperfine (BENCH_TLS_RUNS, 5) on `ztpath probe tls --targets FILE` with the targets
#   repeated BENCH_TLS_REPEAT (10) times; endpoints per second, and handshakes per second (each
#   endpoint costs one handshake offering 1.3 and 1.2, plus a 1.2-only one when 1.3 was chosen);
# - sslyze (PyPI SSLYZE_VERSION, in a venv under target/): `--certinfo` on every endpoint once, one
#   run per endpoint bounded by 40 s (see below), wall time; its client-auth verdicts come with the connectivity test it runs first;
# - client auth: ztpath's `client_auth` against sslyze's `client_auth_requirement`, per endpoint.
# Prints a Markdown table (also saved to target/tls-bench/results.md). Needs hyperfine and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

COPIES=${BENCH_TLS_COPIES:-4}
RUNS=${BENCH_TLS_RUNS:-5}
REPEAT=${BENCH_TLS_REPEAT:-10}
SSLYZE_VERSION=6.3.1
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT=$TARGET_DIR/tls-bench
ZTPATH=${ZTPATH_BIN:-$TARGET_DIR/release/ztpath}
mkdir -p "$OUT"

cargo build --release --locked --bin ztpath --example tls_bench_servers
venv=$TARGET_DIR/venv-sslyze
if [ ! -f "$venv/.installed-sslyze-$SSLYZE_VERSION" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "sslyze==$SSLYZE_VERSION"
  touch "$venv/.installed-sslyze-$SSLYZE_VERSION"
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# The servers live while their standard input is open.
mkfifo "$OUT/hold" 2>/dev/null || true
"$TARGET_DIR/release/examples/tls_bench_servers" --copies "$COPIES" --out "$OUT/targets.txt" --ca "$OUT/ca.pem" <"$OUT/hold" &
pids+=($!)
exec 9>"$OUT/hold"
for _ in $(seq 100); do [ -s "$OUT/targets.txt" ] && break; sleep 0.1; done
cp "$OUT/targets.txt" "$OUT/compare.txt"

if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
  set -- $ports
  d=$(cd "$OUT" && pwd)
  cat >"$OUT/nginx.conf" <<CONF
worker_processes 1;
error_log $d/nginx-error.log;
pid $d/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $d/t1; proxy_temp_path $d/t2; fastcgi_temp_path $d/t3; uwsgi_temp_path $d/t4; scgi_temp_path $d/t5;
  server { listen 127.0.0.1:$1 ssl; ssl_protocols TLSv1.2 TLSv1.3; ssl_certificate $d/server.pem; ssl_certificate_key $d/server.key;
           ssl_client_certificate $d/client-ca.pem; ssl_verify_client on; location / { return 200 "ok\n"; } }
  server { listen 127.0.0.1:$2 ssl; ssl_protocols TLSv1.2 TLSv1.3; ssl_certificate $d/server.pem; ssl_certificate_key $d/server.key;
           ssl_client_certificate $d/client-ca.pem; ssl_verify_client optional; location / { return 200 "ok\n"; } }
}
CONF
  "$nginx_bin" -p "$d" -c "$d/nginx.conf" -g 'daemon off;' &
  pids+=($!)
  sleep 0.5
  printf '127.0.0.1:%s=bench.example # nginx/on\n127.0.0.1:%s=bench.example # nginx/optional\n' "$1" "$2" >>"$OUT/compare.txt"
fi

# ztpath: throughput on the rustls servers, the targets repeated.
: >"$OUT/repeated.txt"
for _ in $(seq "$REPEAT"); do cat "$OUT/targets.txt" >>"$OUT/repeated.txt"; done
endpoints=$(grep -c . "$OUT/repeated.txt")
"$ZTPATH" probe tls --targets "$OUT/repeated.txt" --tls-ca "$OUT/ca.pem" --now 2026-11-25 --format json --fail-on never >"$OUT/ztpath-repeated.json"
handshakes=$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sum(1 + (e["version"] == "TLSv1.3") for e in d["tls"]))' "$OUT/ztpath-repeated.json")
hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUT/hyperfine.json" \
  "$ZTPATH probe tls --targets $OUT/repeated.txt --tls-ca $OUT/ca.pem --now 2026-11-25 --format json --fail-on never --output /dev/null" >&2
zt_mean=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$OUT/hyperfine.json")

# Both tools, once each, on the comparison endpoints (rustls servers and nginx).
"$ZTPATH" probe tls --targets "$OUT/compare.txt" --tls-ca "$OUT/ca.pem" --now 2026-11-25 --format json --fail-on never >"$OUT/ztpath.json"
sed -e 's/ *#.*//' -e 's/=.*$//' "$OUT/compare.txt" >"$OUT/sslyze-targets.txt"
compare_n=$(grep -c . "$OUT/compare.txt")
# One sslyze run per endpoint, each bounded: sslyze 6.3 never returns on a rustls server that
# requires a client certificate in TLS 1.2 only (it hangs at 0% CPU), which stalls a batch run.
start=$(date +%s.%N)
: >"$OUT/sslyze-verdicts.txt"
while read -r t; do
  rm -f "$OUT/one.json"
  timeout 40 "$venv/bin/python" -m sslyze --certinfo --json_out "$OUT/one.json" --quiet "$t" >/dev/null 2>>"$OUT/sslyze.log" || true
  v=$(python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))["server_scan_results"][0]
    print((r.get("connectivity_result") or {}).get("client_auth_requirement"))
except Exception:
    print("timeout")' "$OUT/one.json")
  echo "${t##*:} $v" >>"$OUT/sslyze-verdicts.txt"
done <"$OUT/sslyze-targets.txt"
end=$(date +%s.%N)
zt_start=$(date +%s.%N)
"$ZTPATH" probe tls --targets "$OUT/compare.txt" --tls-ca "$OUT/ca.pem" --now 2026-11-25 --format json --fail-on never --output /dev/null
zt_end=$(date +%s.%N)

python3 - "$OUT" "$endpoints" "$handshakes" "$zt_mean" "$compare_n" "$start" "$end" "$zt_start" "$zt_end" <<'PY' | tee "$OUT/results.md"
import json, sys
out, endpoints, handshakes, zt_mean, n, s0, s1, z0, z1 = sys.argv[1:]
endpoints, handshakes, zt_mean, n = int(endpoints), int(handshakes), float(zt_mean), int(n)
sslyze_s, zt_once = float(s1) - float(s0), float(z1) - float(z0)
labels = [l.split("#", 1)[1].strip() for l in open(f"{out}/compare.txt") if l.strip()]
zt = json.load(open(f"{out}/ztpath.json"))["tls"]
names = {"DISABLED": "not-requested", "OPTIONAL": "optional", "REQUIRED": "required"}
by_port = {}
for line in open(f"{out}/sslyze-verdicts.txt"):
    port, verdict = line.split()
    by_port[int(port)] = names.get(verdict, verdict)
rows, same = {}, 0
for label, e in zip(labels, zt):
    port = int(e["target"].split("=")[0].rsplit(":", 1)[1])
    theirs = by_port.get(port, "?")
    same += theirs == e["client_auth"]
    rows[(label, e["client_auth"], theirs)] = rows.get((label, e["client_auth"], theirs), 0) + 1
print("| Measure | Value |\n|---|---|")
print(f"| ztpath, {endpoints} endpoints (rustls servers), mean of hyperfine runs | {zt_mean:.3f} s: {endpoints / zt_mean:,.0f} endpoints/s, {handshakes / zt_mean:,.0f} handshakes/s ({handshakes} handshakes) |")
print(f"| ztpath, the {n} comparison endpoints once | {zt_once:.3f} s: {n / zt_once:,.1f} endpoints/s |")
print(f"| sslyze --certinfo, the same {n} endpoints once | {sslyze_s:.3f} s: {n / sslyze_s:,.1f} endpoints/s |")
print(f"| ztpath / sslyze endpoint rate (same endpoints, one pass each) | {(n / zt_once) / (n / sslyze_s):,.0f}x |")
print(f"| ztpath at full load / sslyze endpoint rate | {(endpoints / zt_mean) / (n / sslyze_s):,.0f}x |")
print(f"| client-auth verdicts equal | {same} of {len(zt)} |")
print("\n| Server (auth/versions) | ztpath `client_auth` | sslyze `client_auth_requirement` | endpoints |\n|---|---|---|---|")
for (label, ours, theirs), count in sorted(rows.items()):
    print(f"| {label} | {ours} | {theirs} | {count} |")
PY
