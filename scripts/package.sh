#!/usr/bin/env bash
# Checks that every published package builds from what it would upload, as CI runs it:
#
#   1. cargo package --workspace (all packages but the workspace's own, publish = false): each
#      .crate is built on its own, the workspace's packages taken from the .crate files through
#      cargo's local overlay, since none is on crates.io yet;
#   2. every .crate holds its README.md and LICENSE;
#   3. the libraries' tests and benches compile from the .crate files alone (icloud-auth,
#      icloud-photos, icloudpd-sync and icloud-fake, in a scratch workspace under the target
#      directory whose [patch.crates-io] points at the unpacked packages). The programs'
#      tests are not packaged: they need the repository's scripts and Python harness.
#
# Run it from a clean clone: cargo refuses to package files that differ from git's HEAD.
# Honours CARGO_TARGET_DIR; prints the packages' sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  '') ;;
  -h | --help)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "usage: scripts/package.sh (no options)" >&2
    exit 2
    ;;
esac

say() { printf 'package.sh: %s\n' "$*"; }

target=${CARGO_TARGET_DIR:-$PWD/target}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
libraries=(icloud-auth icloud-photos icloudpd-sync icloud-fake)
packages=("${libraries[@]}" icloudpd-cli icloud-keyring-cli)

start=$SECONDS
# Cargo unpacks the overlay's .crate files under $CARGO_HOME/registry/src/-<hash>/ (a local
# registry has no host name) and takes a copy of the same name and version unpacked by an
# earlier run as it is; and since files come out of a .crate with a fixed date (2006), the
# libraries an earlier run compiled from them look up to date. Both would verify the programs
# against earlier sources: remove our unpacked copies, and the build records (fingerprints) of
# what was compiled from them, so that this run's are unpacked and compiled.
for unpacked in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/; do
  for package in "${packages[@]}"; do
    rm -rf "$unpacked$package-$version"
  done
done
for package in "${libraries[@]}"; do
  for depinfo in "$target"/debug/deps/"${package//-/_}"-*.d; do
    if [ -f "$depinfo" ] && grep -q '/registry/src/-' "$depinfo"; then
      unit=$(basename "$depinfo" .d)
      rm -rf "$target/debug/.fingerprint/$package-${unit##*-}" "$depinfo"
    fi
  done
done
say "cargo package --workspace (builds every package from its .crate)"
cargo package --workspace --exclude icloud-workspace --locked

for package in "${packages[@]}"; do
  crate=$target/package/$package-$version.crate
  listing=$(tar -tzf "$crate")
  for file in README.md LICENSE; do
    if ! grep -qx "$package-$version/$file" <<<"$listing"; then
      say "$crate lacks $file" >&2
      exit 1
    fi
  done
  say "$(printf '%-20s %3d files, %4d KiB compressed' "$package" \
    "$(grep -vc '/$' <<<"$listing")" "$(($(wc -c <"$crate") / 1024))")"
done

say "the libraries' tests and benches, compiled from the .crate files"
scratch=$target/package/packaged-tests
rm -rf "$scratch"
mkdir -p "$scratch"
{
  printf '[workspace]\nresolver = "3"\nmembers = ['
  for package in "${libraries[@]}"; do printf '"%s-%s", ' "$package" "$version"; done
  printf ']\n\n[patch.crates-io]\n'
  for package in "${libraries[@]}"; do
    printf '%s = { path = "%s-%s" }\n' "$package" "$package" "$version"
  done
} >"$scratch/Cargo.toml"
# -m: dated now, not 2006, so that cargo compiles these sources instead of taking what it
# compiled from an earlier run's as up to date.
for package in "${libraries[@]}"; do
  tar -xzmf "$target/package/$package-$version.crate" -C "$scratch"
done
# The workspace's lock as the starting point, so the same dependency versions are built.
cp Cargo.lock "$scratch/"
(cd "$scratch" && cargo test --workspace --all-targets --no-run --target-dir "$target" --quiet)
say "all packages verified in $((SECONDS - start))s"
