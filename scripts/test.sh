#!/usr/bin/env bash
# The test suite, as the README and CI run it: scripts/test.sh
#
# 1. Installs what the tests need when it is missing (Debian or Ubuntu, through apt-get; as root,
#    or through sudo when not root):
#      cc (a C compiler for the bundled SQLite)    build-essential
#      dbus-run-session, gnome-keyring-daemon      dbus gnome-keyring
#      python3 with venv and pip                   python3 python3-venv python3-pip
#      /usr/bin/chromium, /usr/bin/chromedriver    chromium chromium-driver
#    Without apt-get, or without root or sudo, it prints what to install and exits 1.
# 2. cargo test --workspace: unit tests, integration tests against the fake Apple, and the real
#    Python icloudpd 1.32.3 (installed from PyPI into a virtualenv under the target directory).
# 3. scripts/fuzz.sh 10: every fuzz target for 10 s from its seeds (installs the nightly
#    toolchain and cargo-fuzz when missing).
#
# There are no options: nothing can be skipped, and the script passes only when every step did.
# Honours CARGO_TARGET_DIR. Needs network access to crates.io and PyPI (and Debian's archive when
# something is missing), and a kernel that allows the keyctl system calls (Docker's default
# seccomp profile blocks them; the kernel-keyring tests then fail saying so).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  '') ;;
  -h | --help)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: scripts/test.sh (no options: it always runs everything)" >&2
    exit 2
    ;;
esac

say() { printf 'test.sh: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
python_ok() { have python3 && python3 -c 'import venv, ensurepip' >/dev/null 2>&1; }

# Rust comes from rustup, not from apt: the fuzz run needs its nightly toolchain.
for tool in cargo rustup; do
  if ! have "$tool"; then
    say "$tool is missing: install Rust 1.89 or newer with rustup (https://rustup.rs), then run this again" >&2
    exit 1
  fi
done

# The Debian packages the tests need, for what is missing now.
missing_packages() {
  have cc || printf '%s\n' build-essential
  { have dbus-run-session && have gnome-keyring-daemon; } || printf '%s\n' dbus gnome-keyring
  python_ok || printf '%s\n' python3 python3-venv python3-pip
  { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || printf '%s\n' chromium chromium-driver
}

mapfile -t packages < <(missing_packages)
if [ "${#packages[@]}" -gt 0 ]; then
  install_hint="apt-get install --no-install-recommends ${packages[*]}"
  if ! have apt-get; then
    say "missing: ${packages[*]} (Debian's package names); this is not a Debian or Ubuntu system, so install their equivalents by hand" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif have sudo; then
    as_root=(sudo)
  else
    say "missing: ${packages[*]}; as root, run: $install_hint" >&2
    exit 1
  fi
  say "installing ${packages[*]}"
  if ! "${as_root[@]+"${as_root[@]}"}" apt-get update -qq ||
    ! "${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${packages[@]}"; then
    say "could not install ${packages[*]}; run: $install_hint" >&2
    exit 1
  fi
  mapfile -t packages < <(missing_packages)
  if [ "${#packages[@]}" -gt 0 ]; then
    say "still missing after the install: ${packages[*]}" >&2
    # Ubuntu installs Chromium as a snap, which puts no binaries under /usr/bin.
    case " ${packages[*]} " in
      *' chromium '*) say "the web UI test runs /usr/bin/chromium and /usr/bin/chromedriver, where Debian's packages put them" >&2 ;;
    esac
    exit 1
  fi
fi

start=$SECONDS
say "cargo test --workspace"
cargo test --workspace
tests_took=$((SECONDS - start))
say "cargo test --workspace passed in ${tests_took}s; now the fuzz smoke run: scripts/fuzz.sh 10"
scripts/fuzz.sh 10
say "everything passed in $((SECONDS - start))s (cargo test ${tests_took}s, fuzz $((SECONDS - start - tests_took))s)"
