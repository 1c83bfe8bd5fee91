#!/usr/bin/env bash
# Benchmarks `ztpath scan --kube` against the file scan of the same objects: the 10,000-workload
# estate of scripts/bench.sh (examples/gen_estate.rs, seed 1), read once from its files and once
# through the Kubernetes API of the test server (examples/kube_test_server.rs, the server of
# tests/kube_support, HTTPS on loopback, in its own process). hyperfine measures both end to end
# (table output to /dev/null); one extra run of each under `/usr/bin/time -v` gives the peak RSS.
# Prints a Markdown table (also saved to target/bench-estates/results-kube.md) with the time and
# memory ratios; the budget (docs/performance.md, issue #14) is 2x the time and 1.2x the memory.
#
#   scripts/bench-kube.sh
#
# Environment: BENCH_WORKLOADS (10000), BENCH_SEED (1), BENCH_RUNS (5),
# ZTPATH_BIN=path benchmarks that binary instead of building target/release/ztpath.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_WORKLOADS:-10000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-5}
OUT=target/bench-estates
TARGET=${CARGO_TARGET_DIR:-target}
ZTPATH=${ZTPATH_BIN:-$TARGET/release/ztpath}
NOW=2026-11-25

log() { echo "bench-kube: $*" >&2; }
die() { log "$*"; exit 1; }

command -v hyperfine >/dev/null || die "hyperfine is needed (apt-get install hyperfine)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"

# The estate, as scripts/bench.sh writes it (reused while its generator is unchanged).
BENCH_SIZES=$N BENCH_SEED=$SEED scripts/bench.sh --generate-only
dir="$OUT/w$N-s$SEED"
[ -d "$dir" ] || die "no estate at $dir"

log "building ztpath and the test server (release)"
[ -n "${ZTPATH_BIN:-}" ] || cargo build --release --quiet --bin ztpath
cargo build --release --quiet --example kube_test_server
server_bin="$TARGET/release/examples/kube_test_server"

work=$(mktemp -d)
fifo="$work/stdin"
mkfifo "$fifo"
kubeconfig="$work/kubeconfig"
"$server_bin" --objects "$dir" --kubeconfig "$kubeconfig" <"$fifo" 2>"$work/server.log" &
server_pid=$!
exec 3>"$fifo"
cleanup() {
    exec 3>&- || true
    wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 600); do
    [ -s "$kubeconfig" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; die "the test server stopped"; }
    sleep 0.1
done
[ -s "$kubeconfig" ] || die "the test server did not start"
cat "$work/server.log" >&2

files_cmd="$ZTPATH scan $dir --format table --output /dev/null --fail-on never --now $NOW"
kube_cmd="$ZTPATH scan --kube --kubeconfig $kubeconfig --format table --output /dev/null --fail-on never --now $NOW"

# Both read the same objects: the same number of findings.
files_findings=$($ZTPATH scan "$dir" --format json --fail-on never --now $NOW 2>/dev/null | grep -c '"rule": "ZT' || true)
kube_findings=$($ZTPATH scan --kube --kubeconfig "$kubeconfig" --format json --fail-on never --now $NOW 2>/dev/null | grep -c '"rule": "ZT' || true)
log "findings: files $files_findings, live $kube_findings"

json="$OUT/hyperfine-kube-w$N-s$SEED.json"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$json" \
    --command-name files "$files_cmd" --command-name kube "$kube_cmd" >&2
read -r -d '' t_files t_kube < <(sed -n 's/^ *"mean": *\([0-9.eE+-]*\),\{0,1\}$/\1/p' "$json") || true

peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p'; }
# shellcheck disable=SC2086 # the commands are word lists
m_files=$(peak $files_cmd)
# shellcheck disable=SC2086
m_kube=$(peak $kube_cmd)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
    echo "## ztpath scan --kube against the file scan ($N workloads, seed $SEED)"
    echo
    echo "- estate: $dir, served by examples/kube_test_server.rs (loopback HTTPS, separate process)"
    echo "- hyperfine --warmup 1 --runs $RUNS; peak RSS from one run under /usr/bin/time -v"
    echo "- findings: files $files_findings, live $kube_findings"
    echo
    echo "| scan | mean time (s) | peak RSS (MiB) |"
    echo "|---|---:|---:|"
    echo "| files | $(printf '%.2f' "$t_files") | $((m_files / 1024)) |"
    echo "| --kube | $(printf '%.2f' "$t_kube") | $((m_kube / 1024)) |"
    echo "| ratio | $(ratio "$t_kube" "$t_files") | $(ratio "$m_kube" "$m_files") |"
} | tee "$OUT/results-kube.md"
