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
cargo test --workspace --locked
