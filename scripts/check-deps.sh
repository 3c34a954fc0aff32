#!/usr/bin/env bash
# Checks what the workspace promises about its dependencies and the environment:
#   1. no crate declares a dependency it does not use (cargo-machete, installed from crates.io
#      when missing; fuzz/ included);
#   2. no library crate (icloud-auth, icloud-photos, icloudpd-sync) reads the environment: only
#      the binaries do (icloudpd's settings stage, the icloud tool), and hand the libraries
#      explicit settings (Endpoints::from_lookup, KeyringEnvironment).
# Exits non-zero, naming what is wrong, when either is broken.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-machete >/dev/null 2>&1; then
  echo "installing cargo-machete (cargo install cargo-machete --locked)" >&2
  cargo install cargo-machete --locked
fi
if ! cargo machete; then
  echo "unused dependencies (above): remove them from Cargo.toml, or, if one is used in a way" >&2
  echo "cargo-machete cannot see, list it under [package.metadata.cargo-machete] ignored" >&2
  exit 1
fi

libraries=(crates/icloud-auth/src crates/icloud-photos/src crates/icloudpd-sync/src)
# Reads of the environment at run time (compile-time env!/option_env! are fine); lines that
# are comments or doc comments are skipped.
reads='std::env::|\benv::(var|vars|var_os|vars_os|home_dir)\b|\bhome_dir\(\)'
found=$(grep -rnE "$reads" "${libraries[@]}" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
if [ -n "$found" ]; then
  echo "$found" >&2
  echo "a library crate reads the environment (above): take the value as a setting instead," >&2
  echo "and let the binaries read it" >&2
  exit 1
fi
echo "dependencies: none unused; libraries: no environment reads"
