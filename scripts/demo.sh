#!/usr/bin/env bash
# The demo: start the bundled fake of Apple's servers on loopback (with a generated photo library
# and a shared library), sign in to it with the real `icloudpd --auth-only` (password, SRP,
# two-factor code typed on stdin), then reuse the trusted session without any code to list the
# libraries and albums. No input needed.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --quiet -p icloud-fake -p icloudpd-cli --bins
work="$(mktemp -d)"
trap 'kill "${fake_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

user=demo@example.com
password=demo-password
code=123456
"$target/debug/icloud-fake" --account "$user:$password" --fixed-code "$code" \
  --library 2000 --shared-library --quiet \
  >"$work/fake.out" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/fake.out" ] && break; sleep 0.1; done
url="$(head -n1 "$work/fake.out")"
[ -n "$url" ] || { echo "the fake did not start:"; cat "$work/fake.log"; exit 1; }
export ICLOUD_AUTH_ENDPOINT="$url" ICLOUD_SETUP_ENDPOINT="$url" ICLOUD_HOME_ENDPOINT="$url"
export ICLOUD_KEYRING_BACKEND=mock

echo "== fake Apple listening on $url (account $user, every 2FA code is $code)"
echo "== first run: password + two-factor code '$code' typed on stdin"
echo "$code" | "$target/debug/icloudpd" --username "$user" --password "$password" \
  --auth-only --cookie-directory "$work/cookies"
echo
echo "== session files written (Python icloudpd's names and formats):"
ls -l "$work/cookies"
echo
echo "== second run: no password, stdin closed — the trusted session is reused to list libraries"
"$target/debug/icloudpd" --username "$user" --list-libraries --cookie-directory "$work/cookies" </dev/null
echo
echo "== third run: the albums of the personal library"
"$target/debug/icloudpd" --username "$user" --list-albums --cookie-directory "$work/cookies" </dev/null
echo
echo "== demo finished"
