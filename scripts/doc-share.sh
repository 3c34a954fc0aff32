#!/usr/bin/env bash
# Prints, per library crate, the share of documentation among the source lines of its src/:
# doc-comment lines (`///` and `//!`) divided by every non-blank line (code, comments and docs
# alike), the measure the issue quotes for the model codebases (ripgrep, rustic_core, reqwest:
# 23-25 %). Test modules inside src/ count as code, as they do there.
#
#   scripts/doc-share.sh                      the four libraries of this workspace
#   scripts/doc-share.sh --check 20           the same; exits 1 when one is below 20 %
#   scripts/doc-share.sh PATH...              other crates: a crate directory (its src/ is
#                                             measured), or any directory of sources
#
# Needs only bash, find and awk.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

min=''
paths=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check)
      [ $# -ge 2 ] || { usage >&2; exit 2; }
      min=$2
      shift 2
      ;;
    --check=*)
      min=${1#--check=}
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      usage >&2
      exit 2
      ;;
    *)
      paths+=("$1")
      shift
      ;;
  esac
done
if [ -n "$min" ] && ! [[ "$min" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "doc-share.sh: --check takes a percentage, e.g. --check 20" >&2
  exit 2
fi
if [ ${#paths[@]} -eq 0 ]; then
  paths=(crates/icloud-auth crates/icloud-photos crates/icloudpd-sync crates/icloud-fake)
fi

printf '%-22s %9s %10s %7s\n' crate 'doc lines' 'non-blank' share
below=()
all_docs=0
all_total=0
for path in "${paths[@]}"; do
  path=${path%/}
  if [ -d "$path/src" ]; then
    src=$path/src
    name=$(basename "$path")
  elif [ -d "$path" ]; then
    src=$path
    name=$(basename "$path")
    [ "$name" = src ] && name=$(basename "$(dirname "$path")")
  else
    echo "doc-share.sh: $path is not a directory" >&2
    exit 2
  fi
  # One line per crate: "<doc lines> <non-blank lines>".
  read -r docs total < <(
    find "$src" -name '*.rs' -type f -print0 | xargs -0 cat -- | awk '
      /^[[:space:]]*$/ { next }
      { total++ }
      /^[[:space:]]*\/\/(\/[^\/]|\/$|!)/ { docs++ }
      END { printf "%d %d\n", docs, total }
    '
  )
  share=$(awk -v d="$docs" -v t="$total" 'BEGIN { printf "%.1f", t ? 100 * d / t : 0 }')
  printf '%-22s %9d %10d %5s %%\n' "$name" "$docs" "$total" "$share"
  all_docs=$((all_docs + docs))
  all_total=$((all_total + total))
  if [ -n "$min" ] && awk -v s="$share" -v m="$min" 'BEGIN { exit !(s < m) }'; then
    below+=("$name ($share %)")
  fi
done

if [ ${#paths[@]} -gt 1 ]; then
  share=$(awk -v d="$all_docs" -v t="$all_total" 'BEGIN { printf "%.1f", t ? 100 * d / t : 0 }')
  printf '%-22s %9d %10d %5s %%\n' '(all of the above)' "$all_docs" "$all_total" "$share"
fi
if [ ${#below[@]} -gt 0 ]; then
  echo "doc-share.sh: below ${min} %: ${below[*]}" >&2
  exit 1
fi
