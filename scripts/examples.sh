#!/usr/bin/env bash
# Runs every example against the bundled fake Apple, as an embedder would run them: the crates'
# own examples (each starts its fake in-process), then the workspace's `sign_in` and
# `list_albums` against a fake started as a program (`icloud-fake`), with the two-factor code
# typed on stdin. Run by .ci/run; exits non-zero when any example fails.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'examples.sh: %s\n' "$*"; }

for pair in icloud-auth:sign_in_and_resume icloud-fake:scripted_apple \
  icloud-photos:list_and_download icloud-photos:shared_albums \
  icloudpd-sync:plan_then_execute; do
  package=${pair%%:*} example=${pair#*:}
  say "cargo run -p $package --example $example"
  cargo run --quiet --locked -p "$package" --example "$example" >/dev/null
done

cargo build --quiet --locked -p icloud-fake --bin icloud-fake
cargo build --quiet --locked -p icloud-workspace --example sign_in --example list_albums
target="${CARGO_TARGET_DIR:-target}/debug"
work=$(mktemp -d)
coproc FAKE { exec "$target/icloud-fake" --quiet --exit-on-stdin-close \
  --account me@example.com:secret --fixed-code 424242 --library 40; }
trap 'exec {FAKE[1]}>&-; wait "$FAKE_PID" 2>/dev/null || true; rm -rf "$work"' EXIT
read -r url <&"${FAKE[0]}"
export ICLOUD_AUTH_ENDPOINT="$url" ICLOUD_SETUP_ENDPOINT="$url" ICLOUD_HOME_ENDPOINT="$url"
export COOKIE_DIRECTORY="$work"
say "cargo run --example sign_in (code typed on stdin)"
APPLE_PASSWORD=secret "$target/examples/sign_in" me@example.com <<<424242 >/dev/null
say "cargo run --example list_albums"
albums=$("$target/examples/list_albums" me@example.com)
grep -q "PrimarySync" <<<"$albums" || { say "list_albums listed no PrimarySync: $albums" >&2; exit 1; }
say "every example ran"
