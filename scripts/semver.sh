#!/usr/bin/env bash
# Checks that the public API of the published libraries (icloud-auth, icloud-photos,
# icloudpd-sync, icloud-fake) changed only as their next version allows, with
# cargo-semver-checks (installed with `cargo install --locked` when missing; building it takes
# several minutes, which is why CI does not run this script).
#
#   scripts/semver.sh                     compare with the last release: the newest tag vX.Y.Z
#   scripts/semver.sh --baseline-rev REV  compare with any git revision (a tag, a branch, a sha)
#
# Releases are tagged vX.Y.Z when published, so the newest tag is what crates.io holds and no
# registry is asked. Before the first release there is no baseline: the script says so and
# exits 0 unless --baseline-rev is given. Run it before raising the version for a release: a
# breaking change needs a minor bump while the version is 0.x (a major one from 1.0), and a
# CHANGELOG.md entry. Honours CARGO_TARGET_DIR (the baseline's docs are built in it too).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
}

baseline=''
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline-rev)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      baseline=$2
      shift 2
      ;;
    --baseline-rev=*)
      baseline=${1#--baseline-rev=}
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
done

say() { printf 'semver.sh: %s\n' "$*"; }

if [ -z "$baseline" ]; then
  baseline=$(git tag --list 'v[0-9]*.[0-9]*.[0-9]*' --sort=-version:refname | head -n 1)
  if [ -z "$baseline" ]; then
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
    say "no release yet (no tag vX.Y.Z, so nothing on crates.io to compare with): $version will be"
    say "the first. To compare with a git revision instead: scripts/semver.sh --baseline-rev REV"
    exit 0
  fi
  say "baseline: the last release, tag $baseline"
fi
if ! git rev-parse --verify --quiet "$baseline^{commit}" >/dev/null; then
  say "$baseline is not a git revision of this clone" >&2
  exit 2
fi

if ! command -v cargo-semver-checks >/dev/null 2>&1; then
  say "installing cargo-semver-checks (cargo install cargo-semver-checks --locked)"
  cargo install cargo-semver-checks --locked
fi

say "checking icloud-auth, icloud-photos, icloudpd-sync and icloud-fake against $baseline"
# All features: the API an embedder can reach (keyring, both TLS backends).
cargo semver-checks check-release --baseline-rev "$baseline" --all-features \
  -p icloud-auth -p icloud-photos -p icloudpd-sync -p icloud-fake
