#!/usr/bin/env bash
# Benchmarks `ztpath scan` end to end on synthetic estates of 1,000, 10,000 and 50,000 workloads.
#
#   scripts/bench.sh                     # everything: build, generate (or reuse), measure, report
#   scripts/bench.sh --generator dense   # the same on the dense estates (examples/gen_dense_estate.rs)
#   scripts/bench.sh --generate-only     # only build the generator and write the estates
#   scripts/bench.sh --iam               # 10,000 workloads alone vs. with a synthetic AWS account
#
# Two generators write the estates: `estate` (examples/gen_estate.rs, the default: many small
# namespaces) and `dense` (examples/gen_dense_estate.rs: few large namespaces, shared identities
# and Secrets, wide RBAC, many calls, proxies). Estates go to target/bench-estates/w<N>-s<SEED>/
# (estate) or target/bench-estates/dense-w<N>-s<SEED>/ (dense) and are reused while the
# generator's source is unchanged. Per size it runs hyperfine on the table output (time), one extra
# table run under `/usr/bin/time -v` with ZTPATH_TIMINGS=1 (peak RSS and phase timings), and one
# JSON run under `/usr/bin/time -v` (the report's size against the input's, and its peak RSS),
# then prints a Markdown table, also saved to target/bench-estates/results[-dense].md, with the
# 10,000 → 50,000 time ratio when both sizes ran. See docs/performance.md for the budget.
#
# Environment: BENCH_SIZES (default "1000 10000 50000"), BENCH_SEED (1), BENCH_RUNS (5),
# BENCH_GENERATOR (estate; what --generator sets);
# ZTPATH_BIN=path benchmarks that binary instead of building target/release/ztpath (A/B runs).
# --iam (or BENCH_IAM=1) replaces the size sweep: examples/gen_iam.rs writes an IAM account
# (BENCH_IAM_ROLES 5000, BENCH_IAM_USERS 2000, BENCH_IAM_POLICIES 10000) into
# target/bench-estates/iam-*, and hyperfine compares the scan of the 10,000-workload estate with
# the scan of the estate plus the account (--now 2026-11-25), printing both means and the ratio.
set -euo pipefail

cd "$(dirname "$0")/.."

SIZES=${BENCH_SIZES:-"1000 10000 50000"}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-5}
OUT=target/bench-estates
ZTPATH=${ZTPATH_BIN:-${CARGO_TARGET_DIR:-target}/release/ztpath}

GENERATE_ONLY=0
IAM=${BENCH_IAM:-0}
GENERATOR=${BENCH_GENERATOR:-estate}
while [ $# -gt 0 ]; do
    case "$1" in
        --generate-only) GENERATE_ONLY=1 ;;
        --iam) IAM=1 ;;
        --generator)
            [ $# -ge 2 ] || { echo "bench: --generator needs a name (estate or dense)" >&2; exit 2; }
            GENERATOR=$2
            shift
            ;;
        --generator=*) GENERATOR=${1#--generator=} ;;
        -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$GENERATOR" in
    estate) GEN_EXAMPLE=gen_estate; GEN_SOURCES="examples/gen_estate.rs examples/support/estate_plan.rs"; PREFIX="" ;;
    dense) GEN_EXAMPLE=gen_dense_estate; GEN_SOURCES="examples/gen_dense_estate.rs"; PREFIX="dense-" ;;
    *) echo "bench: unknown generator: $GENERATOR (estate or dense)" >&2; exit 2 ;;
esac
if [ "$IAM" = 1 ] && [ "$GENERATOR" != estate ]; then
    echo "bench: --iam compares against the estate generator's cluster; leave --generator out" >&2
    exit 2
fi

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# --- tools -----------------------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    if ! "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null; then
        [ "$APT_UPDATED" -eq 1 ] && die "apt-get install $* failed"
        log "apt-get install failed; running apt-get update first"
        "${sudo[@]}" apt-get update -qq
        APT_UPDATED=1
        "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
    fi
}

if [ "$GENERATE_ONLY" -eq 0 ]; then
    command -v hyperfine >/dev/null || { log "installing hyperfine"; apt_install hyperfine; }
    [ -x /usr/bin/time ] || { log "installing time (for /usr/bin/time -v)"; apt_install time; }
fi

# --- generator and estates -------------------------------------------------------------------

# Builds example $1 and prints its path. The examples link the ztpath library, so a broken
# library blocks cargo; they only need std, so rustc builds them on their own then.
build_example() {
    log "building the $1 generator"
    if cargo build --release --quiet --example "$1"; then
        echo "${CARGO_TARGET_DIR:-target}/release/examples/$1"
    else
        log "cargo could not build the example; compiling examples/$1.rs with rustc instead"
        mkdir -p "$OUT/bin"
        rustc --edition 2024 -O "examples/$1.rs" -o "$OUT/bin/$1" && echo "$OUT/bin/$1"
    fi
}

GEN=$(build_example "$GEN_EXAMPLE")

# Estates are reused while the generator source (and size and seed) are unchanged.
# shellcheck disable=SC2086 # GEN_SOURCES is a list of paths
GEN_HASH=$(cat $GEN_SOURCES | sha256sum | cut -c1-16)

estate_dir() { echo "$OUT/${PREFIX}w$1-s$SEED"; }

generate() {
    local n=$1 dir
    dir=$(estate_dir "$n")
    if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$GEN_HASH" ]; then
        log "reusing $dir"
        return
    fi
    log "generating $n workloads into $dir"
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$dir.tmp"
    "$GEN" --workloads "$n" --seed "$SEED" --out "$dir.tmp" 2>"$dir.tmp/.gen.log" || {
        cat "$dir.tmp/.gen.log" >&2
        die "generator failed"
    }
    sed -e 's/^/  /' -e "s|$dir.tmp|$dir|" "$dir.tmp/.gen.log" >&2
    # Hidden files (.complete, .gen.log) are skipped by `ztpath scan`.
    echo "$GEN_HASH" >"$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
}

# The IAM comparison needs only the 10,000-workload estate, and the account next to it.
[ "$IAM" = 1 ] && SIZES=10000

for n in $SIZES; do
    generate "$n"
done

if [ "$IAM" = 1 ]; then
    IAM_ROLES=${BENCH_IAM_ROLES:-5000}
    IAM_USERS=${BENCH_IAM_USERS:-2000}
    IAM_POLICIES=${BENCH_IAM_POLICIES:-10000}
    IAM_DIR=$OUT/iam-r$IAM_ROLES-u$IAM_USERS-p$IAM_POLICIES-s$SEED
    GEN_IAM=$(build_example gen_iam)
    # The account names the estate's service accounts, so it depends on the estate's plan too.
    IAM_HASH=$(cat examples/gen_iam.rs examples/support/estate_plan.rs | sha256sum | cut -c1-16)
    if [ -f "$IAM_DIR/.complete" ] && [ "$(cat "$IAM_DIR/.complete")" = "$IAM_HASH" ]; then
        log "reusing $IAM_DIR"
    else
        log "generating an IAM account ($IAM_ROLES roles, $IAM_USERS users, $IAM_POLICIES policies) into $IAM_DIR"
        rm -rf "$IAM_DIR" "$IAM_DIR.tmp"
        mkdir -p "$IAM_DIR.tmp"
        "$GEN_IAM" --roles "$IAM_ROLES" --users "$IAM_USERS" --policies "$IAM_POLICIES" --seed "$SEED" \
            --workload-estate-size 10000 --out "$IAM_DIR.tmp" 2>"$IAM_DIR.tmp/.gen.log" || {
            cat "$IAM_DIR.tmp/.gen.log" >&2
            die "IAM generator failed"
        }
        sed -e 's/^/  /' -e "s|$IAM_DIR.tmp|$IAM_DIR|" "$IAM_DIR.tmp/.gen.log" >&2
        echo "$IAM_HASH" >"$IAM_DIR.tmp/.complete"
        mv "$IAM_DIR.tmp" "$IAM_DIR"
    fi
fi

if [ "$GENERATE_ONLY" -eq 1 ]; then
    log "estates ready under $OUT"
    exit 0
fi

# --- ztpath ----------------------------------------------------------------------------------

if [ -z "${ZTPATH_BIN:-}" ]; then
    log "building ztpath (release)"
    cargo build --release --quiet
fi
if ! "$ZTPATH" scan --help 2>&1 | grep -q -- '--fail-on'; then
    die "'$ZTPATH scan' is not available yet; the estates are ready under $OUT"
fi

scan_cmd() { echo "$ZTPATH scan $1 --format table --output /dev/null --fail-on never"; }

# Reads a number field ("mean", "stddev") of the first result from a hyperfine JSON export.
json_field() {
    sed -n "s/^ *\"$2\": *\([0-9.eE+-]*\),\{0,1\}$/\1/p" "$1" | head -n 1
}

if [ "$IAM" = 1 ]; then
    dir=$(estate_dir 10000)
    json="$OUT/hyperfine-iam-s$SEED.json"
    now="--now 2026-11-25"
    log "timing the 10,000-workload estate without and with the IAM account"
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$json" \
        --command-name "estate" "$(scan_cmd "$dir") $now" \
        --command-name "estate + IAM" "$(scan_cmd "$dir $IAM_DIR") $now" >&2
    # hyperfine writes one "mean" per command, in order.
    read -r -d '' alone with_iam < <(sed -n 's/^ *"mean": *\([0-9.eE+-]*\),\{0,1\}$/\1/p' "$json") || true
    {
        echo "## ztpath scan with and without an IAM account"
        echo
        echo "- estate: $dir; account: $IAM_DIR ($IAM_ROLES roles, $IAM_USERS users, $IAM_POLICIES policies)"
        echo "- command: \`$(scan_cmd DIR) $now\`, hyperfine --warmup 1 --runs $RUNS, seed $SEED"
        echo
        awk -v a="$alone" -v b="$with_iam" 'BEGIN {
            printf "| scan | mean (s) |\n|---|---:|\n| estate | %.3f |\n| estate + IAM | %.3f |\n\nratio: %.2f\n", a, b, b / a }'
    } | tee "$OUT/results-iam.md"
    log "results saved to $OUT/results-iam.md; hyperfine JSON in $json"
    exit 0
fi

TIMINGS=$(mktemp)
trap 'rm -f "$TIMINGS"' EXIT
ROWS=()
JSON_ROWS=()
BUDGET="10,000 workloads not measured (BENCH_SIZES)"
MEAN_10K=""
MEAN_50K=""
TAG=${PREFIX}
RESULTS="$OUT/results${PREFIX:+-${PREFIX%-}}.md"

# Peak RSS in KiB from a `/usr/bin/time -v` log.
peak_rss() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$1"; }
# Elapsed wall time in seconds from a `/usr/bin/time -v` log ("h:mm:ss" or "m:ss.ss").
elapsed_s() {
    sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}

for n in $SIZES; do
    dir=$(estate_dir "$n")
    objects=$(find "$dir" -name '*.yaml' -exec cat {} + | grep -c '^kind:')
    files=$(find "$dir" -type f ! -name '.*' | wc -l)
    input_bytes=$(find "$dir" -type f ! -name '.*' -exec cat {} + | wc -c)
    mib=$(awk -v b="$input_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
    json="$OUT/hyperfine-${TAG}w$n-s$SEED.json"

    log "timing $n workloads ($objects objects, $files files, $mib MiB)"
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$json" --command-name "scan ${TAG}w$n" "$(scan_cmd "$dir")" >&2

    # One extra run for peak memory and the scanner's own phase timings.
    log "peak memory and phase timings for $n workloads"
    stderr="$OUT/time-${TAG}w$n-s$SEED.log"
    # shellcheck disable=SC2046 # scan_cmd is split into words on purpose
    ZTPATH_TIMINGS=1 /usr/bin/time -v $(scan_cmd "$dir") 2>"$stderr" >/dev/null ||
        { cat "$stderr" >&2; die "scan failed"; }
    rss_kib=$(peak_rss "$stderr")
    {
        echo "### $n workloads"
        echo
        echo '```'
        # /usr/bin/time -v starts its report with "Command being timed"; what precedes it is ours.
        sed '/^[[:space:]]*Command being timed:/,$d' "$stderr"
        echo '```'
        echo
    } >>"$TIMINGS"

    # The JSON report: its size against the input's, and what writing it costs. The file is
    # deleted afterwards (a 50,000-workload report is large).
    log "JSON report size for $n workloads"
    report="$OUT/report-${TAG}w$n-s$SEED.json"
    json_log="$OUT/time-json-${TAG}w$n-s$SEED.log"
    /usr/bin/time -v "$ZTPATH" scan "$dir" --format json --output "$report" --fail-on never \
        2>"$json_log" >/dev/null || { cat "$json_log" >&2; die "JSON scan failed"; }
    json_bytes=$(wc -c <"$report")
    rm -f "$report"
    json_rss_kib=$(peak_rss "$json_log")
    json_s=$(elapsed_s "$json_log")

    mean=$(json_field "$json" mean)
    stddev=$(json_field "$json" stddev)
    [ "$n" -eq 10000 ] && MEAN_10K=$mean
    [ "$n" -eq 50000 ] && MEAN_50K=$mean
    if [ "$n" -eq 10000 ]; then
        BUDGET=$(awk -v m="$mean" -v r="$rss_kib" 'BEGIN {
            ok = (m < 3 && r < 1048576)
            printf "10,000 workloads: %.2f s (budget < 3 s), %.0f MiB peak RSS (budget < 1024 MiB): %s",
                m, r / 1024, ok ? "within budget" : "OVER BUDGET" }')
    fi
    ROWS+=("$(awk -v n="$n" -v o="$objects" -v f="$files" -v mib="$mib" -v m="$mean" -v s="$stddev" -v r="$rss_kib" \
        'BEGIN { printf "| %d | %d | %d | %.1f | %.3f | %.3f | %.0f | %.1f |", n, o, f, mib, m, s, r / 1024, m * 1e6 / n }')")
    JSON_ROWS+=("$(awk -v n="$n" -v i="$input_bytes" -v j="$json_bytes" -v t="$json_s" -v r="$json_rss_kib" \
        'BEGIN { printf "| %d | %.1f | %.1f | %.2f | %.2f | %.0f |", n, i / 1048576, j / 1048576, j / i, t, r / 1024 }')")
done

report() {
    echo "## ztpath scan benchmark ($GENERATOR generator)"
    echo
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
        "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "- estates: examples/$GEN_EXAMPLE.rs, seed $SEED"
    echo "- command: \`$(scan_cmd DIR)\`, hyperfine --warmup 1 --runs $RUNS"
    echo
    echo "| workloads | objects | files | input MiB | mean (s) | stddev (s) | peak RSS (MiB) | µs / workload |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Budget: $BUDGET"
    if [ -n "$MEAN_10K" ] && [ -n "$MEAN_50K" ]; then
        awk -v a="$MEAN_10K" -v b="$MEAN_50K" 'BEGIN {
            printf "\n10,000 → 50,000 workloads: %.2fx the time (budget: at most 5.5x): %s\n", b / a,
                (b / a <= 5.5) ? "within budget" : "OVER BUDGET" }'
    fi
    echo
    echo "JSON report (\`ztpath scan DIR --format json --output FILE\`, one run under /usr/bin/time -v):"
    echo
    echo "| workloads | input MiB | JSON MiB | JSON / input | wall (s) | peak RSS (MiB) |"
    echo "|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${JSON_ROWS[@]}"
    echo
    echo "Phase timings (ZTPATH_TIMINGS=1, one run each):"
    echo
    cat "$TIMINGS"
}

report | tee "$RESULTS"
log "results saved to $RESULTS; hyperfine JSON in $OUT/hyperfine-${TAG}w*-s$SEED.json"
