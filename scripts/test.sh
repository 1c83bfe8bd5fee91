#!/usr/bin/env bash
# The project's test command (README, and what .ci/run runs): installs what the tests need, then
# runs the whole workspace's tests once, in one build.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests read real-world configuration from ../shared/corpora when it is there; nothing else
# outside the repository is needed, and nothing is fetched but crates.
if [ ! -d ../shared/corpora ]; then
  echo "note: ../shared/corpora not found; the corpus tests will be skipped" >&2
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole workspace (cargo prints one `test result:` line per test binary,
# the last of which is usually an empty doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?/) p += $i; if ($(i+1) ~ /^failed;?/) f += $i; if ($(i+1) ~ /^ignored;?/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
