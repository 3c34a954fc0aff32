#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for SECONDS each (default 60): scripts/fuzz.sh [SECONDS]
#
# Needs a nightly toolchain; installs cargo-fuzz when missing. Builds all targets at once, then
# runs each from its committed seeds (fuzz/corpus/<target>/seed-*), keeping what libFuzzer finds
# outside the clone. Exits non-zero if a target crashed or broke a property, naming the target
# and the input that did it (replay it with `cargo +nightly fuzz run -s none <target> <input>`
# in fuzz/). FUZZ_TARGETS="a b" runs only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
# The fuzz build (instrumented, its own lock file) never shares the workspace's target dir.
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/icloudpd-rs/target}-fuzz"
unset CARGO_TARGET_DIR

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# No sanitizer: the project forbids `unsafe`, so what fuzzing finds is panics, overflows
# (debug assertions are on) and broken properties; without ASan builds and runs are faster.
fuzz=(cargo +nightly fuzz)
build_flags=(--sanitizer none --target-dir "$target_dir")
targets="${FUZZ_TARGETS:-$(cd fuzz && "${fuzz[@]}" list)}"

start=$SECONDS
(cd fuzz && "${fuzz[@]}" build "${build_flags[@]}")
echo "fuzz: built all targets in $((SECONDS - start))s"

failed=()
for target in $targets; do
  corpus="$target_dir/corpus/$target"
  artifacts="$target_dir/artifacts/$target"
  log="$target_dir/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  # New inputs go to the first corpus directory, outside the clone; the seeds are only read.
  seeds=()
  if [ -d "fuzz/corpus/$target" ]; then seeds=("corpus/$target"); fi
  if (cd fuzz && "${fuzz[@]}" run "${build_flags[@]}" "$target" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=25 -artifact_prefix="$artifacts/" \
    -print_final_stats=1) >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "fuzz: $target: ok, ${runs:-?} runs in ${seconds}s"
  else
    failed+=("$target")
    echo "fuzz: $target: FAILED" >&2
    grep -E 'panicked at|^thread|SUMMARY|Test unit written to|Timeout|out-of-memory' "$log" |
      head -n 12 >&2 || true
    input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    echo "fuzz: $target: crash input: ${input:-none written, see $log}" >&2
    echo "fuzz: $target: full log: $log" >&2
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets ok in $((SECONDS - start))s"
