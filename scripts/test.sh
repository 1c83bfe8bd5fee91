#!/usr/bin/env bash
# The project's test command (README, and what .ci/run runs): installs what the tests need, then
# runs the whole workspace's tests once, in one build.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests read real-world configuration from ../shared/corpora when it is there; nothing else
# outside the repository is needed, and nothing is fetched but crates. Under CI (CI set to anything
# but "", "false" or "0", as the tests read it) the corpora must be there: without them the corpus
# tests fail, so say so at once.
case "${CI:-}" in
  "" | false | 0) in_ci=false ;;
  *) in_ci=true ;;
esac
if [ ! -d ../shared/corpora ]; then
  if [ "$in_ci" = true ]; then
    echo "error: ../shared/corpora not found; under CI the corpus tests need it" >&2
    exit 1
  fi
  echo "note: ../shared/corpora not found; the corpus tests will be skipped" >&2
fi

# Debian packages the tests use: Graphviz (`dot` reads the DOT renderer's output), nginx and
# HAProxy (tests/tls_servers.rs starts them on loopback ports with generated configurations and
# probes them live; under CI a missing one fails those tests), Chromium (the HTML report's browser
# tests, tests/html_browser.rs) and poppler-utils (`pdftotext` reads the page printed to PDF).
# Installed in the background too when missing (CI runs as root on Debian); the packaged nginx
# and HAProxy services are not used by the tests.
apt_packages=()
command -v dot >/dev/null 2>&1 || apt_packages+=(graphviz)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || apt_packages+=(nginx)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || apt_packages+=(haproxy)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
command -v pdftotext >/dev/null 2>&1 || apt_packages+=(poppler-utils)
apt_log="$(mktemp)"
apt_pid=
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (
      apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
    ) >"$apt_log" 2>&1 &
    apt_pid=$!
  else
    echo "warning: cannot install ${apt_packages[*]} (not root, or no apt-get); tests that need them fail under CI" >&2
  fi
fi

# moto (the AWS API emulator, from PyPI) for the live AWS collection tests (probes/tests/aws_live.rs,
# tests/aws_live.rs), in a venv under target/ that later runs reuse. Installed in the background
# while clippy runs; the tests find it through ZTPATH_MOTO.
MOTO_VERSION=5.2.5
moto_venv="${CARGO_TARGET_DIR:-target}/venv-moto"
moto_stamp="$moto_venv/.installed-moto-$MOTO_VERSION"
moto_log="$(mktemp)"
trap 'rm -f "$moto_log" "$apt_log"' EXIT
moto_pid=
if [ ! -f "$moto_stamp" ]; then
  (
    rm -rf "$moto_venv"
    python3 -m venv "$moto_venv" &&
      "$moto_venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" &&
      touch "$moto_stamp"
  ) >"$moto_log" 2>&1 &
  moto_pid=$!
fi

# PyYAML (which bundles libyaml in its wheel) for the differential test of the YAML reader
# (probes/tests/yaml_differential.rs), in its own venv under target/, installed in the background
# like moto; the test finds its Python through ZTPATH_PYYAML.
PYYAML_VERSION=6.0.3
pyyaml_venv="${CARGO_TARGET_DIR:-target}/venv-yaml"
pyyaml_stamp="$pyyaml_venv/.installed-pyyaml-$PYYAML_VERSION"
pyyaml_log="$(mktemp)"
trap 'rm -f "$moto_log" "$apt_log" "$pyyaml_log"' EXIT
pyyaml_pid=
if [ ! -f "$pyyaml_stamp" ]; then
  (
    rm -rf "$pyyaml_venv"
    python3 -m venv "$pyyaml_venv" &&
      "$pyyaml_venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "PyYAML==$PYYAML_VERSION" &&
      "$pyyaml_venv/bin/python" -c 'import sys, yaml; sys.exit(0 if yaml.__with_libyaml__ else 1)' &&
      touch "$pyyaml_stamp"
  ) >"$pyyaml_log" 2>&1 &
  pyyaml_pid=$!
fi

# Microsoft's SARIF Multitool (npm; a self-contained .NET build for Linux) validates the SARIF
# output in tests/sarif.rs, with the SARIF and GitHub rule kinds. Installed under target/ in the
# background like the venvs; the test finds it through ZTPATH_SARIF_MULTITOOL.
SARIF_MULTITOOL_VERSION=5.7.0
sarif_dir="${CARGO_TARGET_DIR:-target}/node-sarif"
sarif_stamp="$sarif_dir/.installed-$SARIF_MULTITOOL_VERSION"
sarif_log="$(mktemp)"
trap 'rm -f "$moto_log" "$apt_log" "$pyyaml_log" "$sarif_log"' EXIT
sarif_pid=
if [ ! -f "$sarif_stamp" ]; then
  (
    rm -rf "$sarif_dir"
    mkdir -p "$sarif_dir" &&
      npm install --prefix "$sarif_dir" --no-audit --no-fund --silent \
        "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" &&
      chmod u+x "$sarif_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" &&
      touch "$sarif_stamp"
  ) >"$sarif_log" 2>&1 &
  sarif_pid=$!
fi

# playwright-core (npm; the driver only, no browser of its own: it runs Debian's /usr/bin/chromium)
# for the HTML report's browser tests, under target/ in the background like the Multitool; the
# tests find it through ZTPATH_PLAYWRIGHT_DIR.
PLAYWRIGHT_VERSION=1.65.1
playwright_dir="${CARGO_TARGET_DIR:-target}/node-web"
playwright_stamp="$playwright_dir/.installed-playwright-core-$PLAYWRIGHT_VERSION"
playwright_log="$(mktemp)"
trap 'rm -f "$moto_log" "$apt_log" "$pyyaml_log" "$sarif_log" "$playwright_log"' EXIT
playwright_pid=
if [ ! -f "$playwright_stamp" ]; then
  (
    rm -rf "$playwright_dir"
    mkdir -p "$playwright_dir" &&
      npm install --prefix "$playwright_dir" --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_VERSION" &&
      touch "$playwright_stamp"
  ) >"$playwright_log" 2>&1 &
  playwright_pid=$!
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ -n "$apt_pid" ] && ! wait "$apt_pid"; then
  echo "warning: installing ${apt_packages[*]} failed; the tests that need them will fail under CI:" >&2
  cat "$apt_log" >&2
fi
if [ -n "$moto_pid" ] && ! wait "$moto_pid"; then
  echo "warning: installing moto $MOTO_VERSION into $moto_venv failed; the AWS tests will fail under CI:" >&2
  cat "$moto_log" >&2
fi
if [ -x "$moto_venv/bin/moto_server" ]; then
  ZTPATH_MOTO="$(cd "$moto_venv/bin" && pwd)/moto_server"
  export ZTPATH_MOTO
fi

if [ -n "$pyyaml_pid" ] && ! wait "$pyyaml_pid"; then
  echo "warning: installing PyYAML $PYYAML_VERSION with libyaml into $pyyaml_venv failed; the YAML differential test will fail under CI:" >&2
  cat "$pyyaml_log" >&2
fi
if [ -f "$pyyaml_stamp" ]; then
  ZTPATH_PYYAML="$(cd "$pyyaml_venv/bin" && pwd)/python"
  export ZTPATH_PYYAML
elif [ "$in_ci" = true ]; then
  echo "error: PyYAML with libyaml is not installed in $pyyaml_venv; under CI the YAML differential test needs it" >&2
fi

if [ -n "$sarif_pid" ] && ! wait "$sarif_pid"; then
  echo "warning: installing the SARIF Multitool $SARIF_MULTITOOL_VERSION into $sarif_dir failed; the SARIF validation test will fail under CI:" >&2
  cat "$sarif_log" >&2
fi
sarif_bin="$sarif_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ -f "$sarif_stamp" ] && [ -x "$sarif_bin" ]; then
  ZTPATH_SARIF_MULTITOOL="$(cd "$(dirname "$sarif_bin")" && pwd)/Sarif.Multitool"
  export ZTPATH_SARIF_MULTITOOL
elif [ "$in_ci" = true ]; then
  echo "error: the SARIF Multitool is not installed in $sarif_dir; under CI the SARIF validation test needs it" >&2
fi

if [ -n "$playwright_pid" ] && ! wait "$playwright_pid"; then
  echo "warning: installing playwright-core $PLAYWRIGHT_VERSION into $playwright_dir failed; the browser tests will fail under CI:" >&2
  cat "$playwright_log" >&2
fi
if [ -f "$playwright_stamp" ]; then
  ZTPATH_PLAYWRIGHT_DIR="$(cd "$playwright_dir" && pwd)"
  export ZTPATH_PLAYWRIGHT_DIR
elif [ "$in_ci" = true ]; then
  echo "error: playwright-core is not installed in $playwright_dir; under CI the browser tests need it" >&2
fi
if [ "$in_ci" = true ] && [ ! -x /usr/bin/chromium ]; then
  echo "error: /usr/bin/chromium is missing; under CI the browser tests need it" >&2
fi

log="$(mktemp)"
trap 'rm -f "$log" "$moto_log" "$apt_log" "$pyyaml_log" "$sarif_log" "$playwright_log"' EXIT
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole workspace (cargo prints one `test result:` line per test binary,
# the last of which is usually an empty doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?/) p += $i; if ($(i+1) ~ /^failed;?/) f += $i; if ($(i+1) ~ /^ignored;?/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
