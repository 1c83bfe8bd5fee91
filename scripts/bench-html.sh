#!/usr/bin/env bash
# Benchmarks the HTML report (issue 12) on the 10,000-workload estate: the page's size against the
# JSON report's (as written, and minified), and the time until the findings and the overview graph
# are interactive in headless Chromium (tests/browser/report.mjs in `bench` mode, BENCH_RUNS times).
#
#   scripts/bench-html.sh            # build, generate (or reuse) the estate, measure, print a table
#
# Environment: BENCH_WORKLOADS (10000), BENCH_SEED (1), BENCH_RUNS (3); ZTPATH_PLAYWRIGHT_DIR
# (default $CARGO_TARGET_DIR/node-web or target/node-web, where scripts/test.sh installs
# playwright-core); ZTPATH_CHROMIUM (/usr/bin/chromium). Results are saved to
# target/bench-estates/html-results.md; see docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_WORKLOADS:-10000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=target/bench-estates
PW=${ZTPATH_PLAYWRIGHT_DIR:-$TARGET/node-web}
log() { echo "bench-html: $*" >&2; }

[ -f "$PW/node_modules/playwright-core/package.json" ] || { log "playwright-core not in $PW (run scripts/test.sh once)"; exit 1; }
[ -x "${ZTPATH_CHROMIUM:-/usr/bin/chromium}" ] || { log "no Chromium (apt-get install chromium)"; exit 1; }

log "building ztpath and the estate generator (release)"
cargo build --release --quiet --bin ztpath --example gen_estate
ZTPATH="$TARGET/release/ztpath"

dir="$OUT/html-w$N-s$SEED"
hash=$(cat examples/gen_estate.rs examples/support/estate_plan.rs | sha256sum | cut -c1-16)
if [ ! -f "$dir/.complete" ] || [ "$(cat "$dir/.complete")" != "$hash" ]; then
    log "generating $N workloads into $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$TARGET/release/examples/gen_estate" --workloads "$N" --seed "$SEED" --out "$dir" 2>/dev/null
    echo "$hash" >"$dir/.complete"
fi

work="$OUT/html-w$N-s$SEED-reports"
mkdir -p "$work"
export ZTPATH_FINGERPRINT_KEY=bench
for f in json html; do
    /usr/bin/time -f "%e s, %M KiB peak" "$ZTPATH" scan "$dir" --format "$f" --output "$work/report.$f" --fail-on never --now 2026-11-25 2>"$work/time-$f.txt" || true
done
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2],"w"), separators=(",",":"), ensure_ascii=False)' \
    "$work/report.json" "$work/report.min.json"
size() { stat -c %s "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
json_pretty=$(size "$work/report.json")
json_min=$(size "$work/report.min.json")
html=$(size "$work/report.html")

results=()
for i in $(seq "$RUNS"); do
    r=$(ZTPATH_PLAYWRIGHT_DIR="$PW" node tests/browser/report.mjs bench "$work/report.html" "$work/report.json" "$OUT/screenshots")
    log "run $i: $r"
    results+=("$r")
done
summary=$(printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rs = [json.loads(l) for l in sys.stdin if l.strip()]
def med(k): return statistics.median(r[k] for r in rs if k in r)
keys = ["readyMs", "wallMs", "scriptMs", "filterMs", "namespaceMs"]
print(" | ".join(f"{med(k):.0f}" for k in keys))
r = rs[0]
print(" | ".join(str(r.get(k)) for k in ["graphMode", "overviewNodes", "findingRows", "namespaceNodes", "domElements"]))
')
timing=$(echo "$summary" | sed -n 1p)
shape=$(echo "$summary" | sed -n 2p)
{
    echo "| workloads | JSON report | JSON minified | HTML page | HTML / minified JSON |"
    echo "|---:|---:|---:|---:|---:|"
    echo "| $N | $(mib "$json_pretty") | $(mib "$json_min") | $(mib "$html") | $(awk -v a="$html" -v b="$json_min" 'BEGIN { printf "%.2f", a / b }') |"
    echo
    echo "| ready (ms since navigation) | load wall (ms) | script (ms) | severity filter (ms) | open a namespace (ms) |"
    echo "|---:|---:|---:|---:|---:|"
    echo "| $timing |"
    echo
    echo "| first graph view | elements drawn | finding rows in the DOM | nodes in a namespace view | DOM elements |"
    echo "|---|---:|---:|---:|---:|"
    echo "| $shape |"
    echo
    echo "scan to JSON: $(cat "$work/time-json.txt" | tail -1); scan to HTML: $(cat "$work/time-html.txt" | tail -1); median of $RUNS browser runs"
} | tee "$OUT/html-results.md"
