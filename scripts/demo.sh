#!/usr/bin/env bash
# The demo: start the bundled fake of Apple's servers on loopback with a generated photo library
# of 300 assets (photos, live photos, videos, RAW+JPEG pairs, screenshots, odd file names) and
# seven shared albums, sign in to it with the real `icloudpd --auth-only` (password, SRP,
# two-factor code typed on stdin), preview the files of the 5 newest assets
# (`--only-print-filenames --recent 5`), then let `icloudpd --directory` download the whole
# library into ./demo-photos (or $DEMO_DIR), summarise what arrived, run again to show that an
# incremental run downloads nothing, and finally list the shared albums and mirror them
# (`--library SharedAlbums`) into ./demo-photos-shared, one folder per album. No input needed.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --quiet -p icloud-fake -p icloudpd-cli --bins
work="$(mktemp -d)"
trap '[ -z "${fake_pid:-}" ] || kill "$fake_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

dest="${DEMO_DIR:-$PWD/demo-photos}"
marker=.icloudpd-demo
# Only a folder an earlier demo made is emptied; anything else must be empty or absent.
if [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
  if [ ! -e "$dest/$marker" ]; then
    echo "$dest is not empty and not from an earlier demo; choose another DEMO_DIR" >&2
    exit 1
  fi
  rm -rf "$dest"
fi
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
touch "$dest/$marker"

user=demo@example.com
password=demo-password
code=123456
"$target/debug/icloud-fake" --account "$user:$password" --fixed-code "$code" \
  --library 300 --shared-albums --quiet \
  >"$work/fake.out" 2>"$work/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/fake.out" ] && break; sleep 0.1; done
url="$(head -n1 "$work/fake.out")"
[ -n "$url" ] || { echo "the fake did not start:"; cat "$work/fake.log"; exit 1; }
export ICLOUD_AUTH_ENDPOINT="$url" ICLOUD_SETUP_ENDPOINT="$url" ICLOUD_HOME_ENDPOINT="$url"
export ICLOUD_KEYRING_BACKEND=mock
icloudpd() {
  "$target/debug/icloudpd" --username "$user" --cookie-directory "$work/cookies" "$@"
}

echo "== fake Apple listening on $url (account $user, 300 assets, every 2FA code is $code)"
echo "== sign-in: password + two-factor code '$code' typed on stdin"
echo "$code" | icloudpd --password "$password" --auth-only
echo
echo "== preview, nothing written: the files of the 5 newest assets (--only-print-filenames --recent 5)"
icloudpd --directory "$dest" --only-print-filenames --recent 5 </dev/null | sed "s|^$dest/|  |"
echo
echo "== first sync: no password, stdin closed — the trusted session is reused (first 5 files shown)"
icloudpd --directory "$dest" --log-level info </dev/null | awk '
  / Downloaded / { if (++n > 5) next }
  / Summary: / && n > 5 { print "  … and " n - 5 " more \"Downloaded\" lines" }
  { print }'
echo
echo "== what arrived in $dest"
find "$dest" -type f ! -name "$marker" -printf '%s %P\n' | LC_ALL=C sort -k2 >"$work/files"
awk '
  {
    size = $1; name = substr($0, length($1) + 2)
    folder = name; sub(/\/[^\/]*$/, "", folder)
    if (!(folder in seen)) { seen[folder] = 1; folders++ }
    ext = "(none)"
    if (match(name, /\.[^.\/]+$/)) ext = toupper(substr(name, RSTART + 1))
    count[ext]++; bytes += size; n++
  }
  END {
    printf "  %d files, %.1f MB, in %d day folders (YYYY/MM/DD)\n", n, bytes / 1e6, folders
    for (e in count) printf "  %6d  %s\n", count[e], e | "sort -rn"
  }' "$work/files"
echo "  examples:"
example() { grep -m1 -E "$1" "$work/files" | cut -d' ' -f2- | sed 's/^/    /' || true; }
example '\.JPG$'
example '\.(CR2|ARW|NEF|RAF|RW2|ORF|CR3|DNG)$'
example '\.MP4$'
live="$(grep -m1 '_HEVC\.MOV$' "$work/files" | cut -d' ' -f2- || true)"
if [ -n "$live" ] && [ -e "$dest/${live%_HEVC.MOV}.HEIC" ]; then
  echo "    ${live%_HEVC.MOV}.HEIC   <- a live photo: the still"
  echo "    $live   <- and its video"
fi
echo
echo "== second sync: an incremental run finds every file on disk and downloads nothing"
icloudpd --directory "$dest" --log-level debug </dev/null >"$work/second.log"
grep -m3 ' already exists' "$work/second.log" || true
echo "  … $(grep -c ' already exists' "$work/second.log") \"already exists\" lines in all"
grep ' Summary: ' "$work/second.log"
echo
shared="$dest-shared"
echo "== shared albums: a pseudo-library (--list-libraries), its albums (--library SharedAlbums --list-albums)"
icloudpd --list-libraries </dev/null 2>/dev/null | grep -v -E '^[0-9]{4}-' | sed 's/^/  /'
icloudpd --library SharedAlbums --list-albums </dev/null 2>/dev/null | grep -v -E '^[0-9]{4}-' | sed 's/^/  /'
echo "== shared albums mirrored into $shared, one folder per album (Apple's reduced copies)"
# As for $dest: only a folder an earlier demo made is emptied.
if [ -n "$(ls -A "$shared" 2>/dev/null)" ] && [ ! -e "$shared/$marker" ]; then
  echo "$shared is not empty and not from an earlier demo; choose another DEMO_DIR" >&2
  exit 1
fi
rm -rf "$shared" && mkdir -p "$shared" && touch "$shared/$marker"
icloudpd --library SharedAlbums --directory "$shared" --log-level info </dev/null |
  grep -E ' (Downloading [0-9]+|Summary:)' || true
for album in "$shared"/*/; do
  echo "  $(find "$album" -type f | wc -l | tr -d ' ') files in $(basename "$album")"
done
echo "== and again: unchanged albums are not even listed"
icloudpd --library SharedAlbums --directory "$shared" --log-level info </dev/null |
  grep -E ' Summary: ' || true
echo
echo "== demo finished; the photos stay in $dest, the shared albums in $shared"
