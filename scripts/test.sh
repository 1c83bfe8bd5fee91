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

# What the tests need beyond crates is installed in the background while fmt and clippy run,
# each tool into its own folder under target/ that later runs reuse (a stamp file names the
# version installed), with its output in a log shown only if the install fails.
# `start_install NAME DIR STAMP FUNCTION` runs `FUNCTION DIR` in a fresh DIR unless DIR/STAMP is
# there; `finish_install NAME WHAT` waits for it and says that WHAT will fail if it did not work.
declare -A install_pid install_log
logs=()
trap 'rm -f "${logs[@]}"' EXIT
run_background() {
  local name=$1 log
  shift
  log="$(mktemp)"
  logs+=("$log")
  install_log[$name]=$log
  "$@" >"$log" 2>&1 &
  install_pid[$name]=$!
}
install_into() {
  rm -rf "$1" && mkdir -p "$1" && "$3" "$1" && touch "$1/$2"
}
start_install() {
  [ -f "$2/$3" ] || run_background "$1" install_into "$2" "$3" "$4"
}
finish_install() {
  [ -n "${install_pid[$1]:-}" ] || return 0
  if ! wait "${install_pid[$1]}"; then
    echo "warning: installing $1 failed; $2 will fail under CI:" >&2
    cat "${install_log[$1]}" >&2
  fi
}

# Debian packages the tests use: Graphviz (`dot` reads the DOT renderer's output), nginx and
# HAProxy (tests/tls_servers.rs starts them on loopback ports with generated configurations and
# probes them live; the packaged services are not used), Chromium (the HTML report's browser tests,
# tests/html_browser.rs) and poppler-utils (`pdftotext` reads the page printed to PDF). Installed
# when missing (CI runs as root on Debian).
apt_packages=()
command -v dot >/dev/null 2>&1 || apt_packages+=(graphviz)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || apt_packages+=(nginx)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || apt_packages+=(haproxy)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
command -v pdftotext >/dev/null 2>&1 || apt_packages+=(poppler-utils)
install_apt() {
  apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
}
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    run_background "the Debian packages ${apt_packages[*]}" install_apt
  else
    echo "warning: cannot install ${apt_packages[*]} (not root, or no apt-get); tests that need them fail under CI" >&2
  fi
fi

# moto (the AWS API emulator, from PyPI) for the live AWS collection tests (probes/tests/aws_live.rs,
# tests/aws_live.rs), in a venv; the tests find it through ZTPATH_MOTO.
MOTO_VERSION=5.2.5
moto_venv="${CARGO_TARGET_DIR:-target}/venv-moto"
install_moto() {
  python3 -m venv "$1" && "$1/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}
start_install "moto $MOTO_VERSION" "$moto_venv" ".installed-moto-$MOTO_VERSION" install_moto

# PyYAML (which bundles libyaml in its wheel) for the differential test of the YAML reader
# (probes/tests/yaml_differential.rs), in its own venv; the test finds its Python through
# ZTPATH_PYYAML.
PYYAML_VERSION=6.0.3
pyyaml_venv="${CARGO_TARGET_DIR:-target}/venv-yaml"
pyyaml_stamp=".installed-pyyaml-$PYYAML_VERSION"
install_pyyaml() {
  python3 -m venv "$1" &&
    "$1/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "PyYAML==$PYYAML_VERSION" &&
    "$1/bin/python" -c 'import sys, yaml; sys.exit(0 if yaml.__with_libyaml__ else 1)'
}
start_install "PyYAML $PYYAML_VERSION" "$pyyaml_venv" "$pyyaml_stamp" install_pyyaml

# Microsoft's SARIF Multitool (npm; a self-contained .NET build for Linux) validates the SARIF
# output in tests/sarif.rs, with the SARIF and GitHub rule kinds; the test finds it through
# ZTPATH_SARIF_MULTITOOL.
SARIF_MULTITOOL_VERSION=5.7.0
sarif_dir="${CARGO_TARGET_DIR:-target}/node-sarif"
sarif_stamp=".installed-$SARIF_MULTITOOL_VERSION"
sarif_bin="$sarif_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
install_sarif() {
  npm install --prefix "$1" --no-audit --no-fund --silent "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" &&
    chmod u+x "$sarif_bin"
}
start_install "the SARIF Multitool $SARIF_MULTITOOL_VERSION" "$sarif_dir" "$sarif_stamp" install_sarif

# playwright-core (npm; the driver only, no browser of its own: it runs Debian's /usr/bin/chromium)
# for the HTML report's browser tests; the tests find it through ZTPATH_PLAYWRIGHT_DIR.
PLAYWRIGHT_VERSION=1.65.1
playwright_dir="${CARGO_TARGET_DIR:-target}/node-web"
playwright_stamp=".installed-playwright-core-$PLAYWRIGHT_VERSION"
install_playwright() {
  npm install --prefix "$1" --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_VERSION"
}
start_install "playwright-core $PLAYWRIGHT_VERSION" "$playwright_dir" "$playwright_stamp" install_playwright

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

finish_install "the Debian packages ${apt_packages[*]}" "the tests that need them"
# Debian's kubectl (package kubernetes-client), unpacked without installing it, for
# tests/kube_live.rs, which runs `kubectl get` against the test API server to show that the server
# speaks the real protocol. /usr/bin/kubectl may be another vendor's wrapper, so the test uses this
# one, through ZTPATH_KUBECTL. After the Debian packages above, whose `apt-get update` it may need.
kubectl_dir="${CARGO_TARGET_DIR:-target}/debian-kubectl"
kubectl_stamp=".installed-kubernetes-client"
install_kubectl() {
  local dir
  dir="$(cd "$1" && pwd)"
  { apt-cache show kubernetes-client >/dev/null 2>&1 || apt-get update -qq; } &&
    (cd "$dir" && apt-get download -qq kubernetes-client) &&
    dpkg-deb -x "$dir"/kubernetes-client_*.deb "$dir" &&
    rm -f "$dir"/kubernetes-client_*.deb &&
    "$dir/usr/bin/kubectl" version --client >/dev/null 2>&1
}
if command -v apt-get >/dev/null 2>&1; then
  start_install "Debian's kubectl" "$kubectl_dir" "$kubectl_stamp" install_kubectl
fi
finish_install "moto $MOTO_VERSION" "the AWS tests"
if [ -x "$moto_venv/bin/moto_server" ]; then
  ZTPATH_MOTO="$(cd "$moto_venv/bin" && pwd)/moto_server"
  export ZTPATH_MOTO
fi

finish_install "PyYAML $PYYAML_VERSION" "the YAML differential test"
if [ -f "$pyyaml_venv/$pyyaml_stamp" ]; then
  ZTPATH_PYYAML="$(cd "$pyyaml_venv/bin" && pwd)/python"
  export ZTPATH_PYYAML
elif [ "$in_ci" = true ]; then
  echo "error: PyYAML with libyaml is not installed in $pyyaml_venv; under CI the YAML differential test needs it" >&2
fi

finish_install "the SARIF Multitool $SARIF_MULTITOOL_VERSION" "the SARIF validation test"
if [ -f "$sarif_dir/$sarif_stamp" ] && [ -x "$sarif_bin" ]; then
  ZTPATH_SARIF_MULTITOOL="$(cd "$(dirname "$sarif_bin")" && pwd)/Sarif.Multitool"
  export ZTPATH_SARIF_MULTITOOL
elif [ "$in_ci" = true ]; then
  echo "error: the SARIF Multitool is not installed in $sarif_dir; under CI the SARIF validation test needs it" >&2
fi

finish_install "playwright-core $PLAYWRIGHT_VERSION" "the browser tests"
if [ -f "$playwright_dir/$playwright_stamp" ]; then
  ZTPATH_PLAYWRIGHT_DIR="$(cd "$playwright_dir" && pwd)"
  export ZTPATH_PLAYWRIGHT_DIR
elif [ "$in_ci" = true ]; then
  echo "error: playwright-core is not installed in $playwright_dir; under CI the browser tests need it" >&2
fi
if [ "$in_ci" = true ] && [ ! -x /usr/bin/chromium ]; then
  echo "error: /usr/bin/chromium is missing; under CI the browser tests need it" >&2
fi

finish_install "Debian's kubectl" "the kubectl agreement test"
if [ -f "$kubectl_dir/$kubectl_stamp" ]; then
  ZTPATH_KUBECTL="$(cd "$kubectl_dir/usr/bin" && pwd)/kubectl"
  export ZTPATH_KUBECTL
elif [ "$in_ci" = true ]; then
  echo "error: Debian's kubectl is not installed in $kubectl_dir; under CI the kubectl agreement test needs it" >&2
fi

log="$(mktemp)"
logs+=("$log")
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole workspace (cargo prints one `test result:` line per test binary,
# the last of which is usually an empty doc-test run).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?/) p += $i; if ($(i+1) ~ /^failed;?/) f += $i; if ($(i+1) ~ /^ignored;?/) s += $i } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
