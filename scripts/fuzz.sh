#!/usr/bin/env bash
# Runs the coverage-guided fuzz targets of fuzz/ (libFuzzer through cargo-fuzz, on the stable
# toolchain: see docs/fuzzing.md).
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]
#
# TARGET is one of yaml, nginx, haproxy, envoy, iam (default: all, one after the other); SECONDS
# is the time given to each target (default 600). Installs cargo-fuzz when missing, builds the
# targets, seeds each corpus from the repository's fixtures and ../shared/corpora (and the YAML
# test suite), runs, and exits non-zero when a target found a crash, a hang or an out-of-memory
# input, printing where that input was written.
#
# Everything lives under ${CARGO_TARGET_DIR:-target}/fuzz: tools/ (cargo-fuzz), build/ (the fuzz
# workspace's target directory), corpus/TARGET (seeds and what the fuzzer found, kept across runs),
# artifacts/TARGET (crashing inputs), logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

TARGETS=(yaml nginx haproxy envoy iam)
CARGO_FUZZ_VERSION=0.13.2
# Inputs are at most this long; bigger seeds are left out (the readers' size limits are far above
# it and are tested elsewhere; small inputs mutate faster).
MAX_LEN=65536
# Seconds one input may take before it counts as a hang, and memory before it counts as an OOM.
TIMEOUT=10
RSS_LIMIT_MB=2048

usage() {
  echo "usage: scripts/fuzz.sh [$(IFS='|' && echo "${TARGETS[*]}")|all] [SECONDS]" >&2
  exit 2
}

which_target="${1:-all}"
seconds="${2:-600}"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage
if [ "$which_target" = all ]; then
  selected=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $which_target "* ]]; then
  selected=("$which_target")
else
  usage
fi

home="${CARGO_TARGET_DIR:-$root/target}/fuzz"
mkdir -p "$home"
home="$(cd "$home" && pwd)"
tools="$home/tools"
build="$home/build"

# --- cargo-fuzz -------------------------------------------------------------------------------
cargo_fuzz="$tools/bin/cargo-fuzz"
if ! "$cargo_fuzz" --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into $tools" >&2
  cargo install --locked --quiet --root "$tools" cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
export PATH="$tools/bin:$PATH"

# --- build ------------------------------------------------------------------------------------
# The fuzz workspace has its own Cargo.lock; refuse to run with one that no longer matches (after
# a dependency of ztpath-probes changed) rather than rewrite a tracked file behind the user's back.
if ! cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null; then
  echo "fuzz/Cargo.lock is out of date: update it with" >&2
  echo "  cargo fetch --manifest-path fuzz/Cargo.toml" >&2
  echo "and commit it." >&2
  exit 1
fi
echo "== building the fuzz targets ($(rustc --version))" >&2
# --sanitizer none: a sanitizer needs nightly's -Zsanitizer, and safe Rust does not need one (a
# panic aborts and libFuzzer reports it); coverage instrumentation uses only stable -C flags.
CARGO_TARGET_DIR="$build" cargo fuzz build --sanitizer none
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$build/$triple/release"

# --- seeds ------------------------------------------------------------------------------------
shared="$root/../shared"
# Prints the seed files of a target, one per line.
seed_files() {
  local dirs=("$root/fixtures")
  [ -d "$shared/corpora" ] && dirs+=("$shared/corpora")
  case "$1" in
    yaml)
      find "${dirs[@]}" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \)
      [ -d "$shared/yaml-test-suite" ] &&
        find "$shared/yaml-test-suite" -type f \( -name in.yaml -o -name in.json \)
      ;;
    envoy)
      find "${dirs[@]}" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print0 |
        xargs -0 grep -lE 'static_resources|dynamic_resources|envoy\.filters|envoy\.extensions' || true
      ;;
    iam)
      find "${dirs[@]}" -type f -name '*.csv'
      find "${dirs[@]}" -type f \( -name '*.json' -o -name '*.yaml' \) -print0 |
        xargs -0 grep -lE 'UserDetailList|RoleDetailList|GroupDetailList|AccessKeyMetadata|PolicyVersionList|credential_report|AssumeRolePolicyDocument' ||
        true
      ;;
    nginx)
      find "${dirs[@]}" -type f -name '*.conf' ! -name 'haproxy*'
      ;;
    haproxy)
      find "${dirs[@]}" -type f \( -name '*.cfg' -o -name 'haproxy*.conf' \)
      ;;
  esac
}

# Seeds written here, so that the planted-secret check has secrets to look for from the start.
extra_seeds() {
  local out="$1"
  case "$2" in
    yaml)
      cat >"$out/planted-secret.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata: {name: planted, namespace: default}
type: Opaque
data:
  token: $(printf 'CANARYyamlData' | base64)
stringData:
  password: CANARYyamlStringData
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: listed}
  stringData: {key: CANARYyamlListed}
EOF
      ;;
    envoy)
      cat >"$out/planted-secret.yaml" <<'EOF'
static_resources:
  listeners:
  - name: ingress
    address: {socket_address: {address: 0.0.0.0, port_value: 8443}}
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates:
            - certificate_chain: {filename: /etc/envoy/cert.pem}
              private_key: {inline_string: CANARYenvoyPrivateKey}
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              request_headers_to_add:
              - header: {key: Authorization, value: "Bearer CANARYenvoyBearer"}
              routes:
              - match: {prefix: "/"}
                route: {cluster: app}
          http_filters:
          - name: envoy.filters.http.router
  clusters:
  - name: app
    load_assignment:
      cluster_name: app
      endpoints:
      - lb_endpoints:
        - endpoint: {address: {socket_address: {address: app.internal, port_value: 9000}}}
EOF
      ;;
  esac
}

# Copies the seeds of a target into its corpus, named by content so that reruns do not duplicate.
seed_corpus() {
  local t="$1" corpus="$2" n=0 f sum
  local extra
  extra="$(mktemp -d)"
  extra_seeds "$extra" "$t"
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le "$MAX_LEN" ] || continue
    sum="$(sha1sum "$f" | cut -c1-40)"
    cp "$f" "$corpus/seed-$sum"
    n=$((n + 1))
  done < <(seed_files "$t"; find "$extra" -type f)
  rm -rf "$extra"
  echo "$n"
}

# --- run --------------------------------------------------------------------------------------
mkdir -p "$home/logs"
failed=()
summary=()
for t in "${selected[@]}"; do
  corpus="$home/corpus/$t"
  artifacts="$home/artifacts/$t"
  log="$home/logs/$t.log"
  mkdir -p "$corpus" "$artifacts"
  seeds="$(seed_corpus "$t" "$corpus")"
  echo "== $t: ${seconds}s, $seeds seeds, corpus $corpus (log: $log)" >&2
  status=0
  started=$SECONDS
  "$bin_dir/$t" "$corpus" \
    -max_total_time="$seconds" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_LIMIT_MB" -max_len="$MAX_LEN" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  elapsed=$((SECONDS - started))
  # libFuzzer names the input it stopped on (crash-*, timeout-*, oom-*) in its log.
  inputs="$(sed -n 's/.*Test unit written to //p' "$log")"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)"
  summary+=("$t: exit status $status, ${runs:-?} executions in ${elapsed}s, ${cov:-no coverage line}")
  if [ "$status" -ne 0 ] || [ -n "$inputs" ]; then
    failed+=("$t")
    echo "!! $t found a problem (exit status $status); from $log:" >&2
    { grep -A1 'panicked at' "$log" | head -4 || true; } | sed 's/^/     /' >&2
    { grep -E '^==[0-9]+== ERROR|^SUMMARY' "$log" | head -2 || true; } | sed 's/^/     /' >&2
    if [ -n "$inputs" ]; then
      echo "   input:" >&2
      echo "$inputs" | sed 's/^/     /' >&2
      echo "   reproduce: $bin_dir/$t INPUT" >&2
      echo "   minimize:  $bin_dir/$t -minimize_crash=1 -max_total_time=60 -exact_artifact_path=/tmp/min INPUT" >&2
    fi
  fi
done

echo "== summary" >&2
printf '   %s\n' "${summary[@]}" >&2
if [ "${#failed[@]}" -gt 0 ]; then
  echo "!! problems found by: ${failed[*]}" >&2
  exit 1
fi
echo "   nothing found" >&2
