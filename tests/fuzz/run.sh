#!/usr/bin/env bash
# realtime-gateway: runs every libFuzzer target of tests/fuzz/ for a bounded
# time, starting from the checked-in seed corpus, and fails on any crash,
# sanitizer report, leak, timeout or out-of-memory, printing the input that
# caused it and the command that replays it.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 60; CI uses the default, a long run
#            is e.g. tests/fuzz/run.sh 3600)
#   TARGET   fuzz-codec, fuzz-request, fuzz-pipeline-def, fuzz-config
#            (default: every one that was built)
# Environment:
#   FUZZ_BUILD_DIR  build directory (default: build-fuzz at the repo root)
#   FUZZ_NO_BUILD=1 do not run build.sh first
#   FUZZ_JOBS       parallel fuzzing processes per target (default 1)
# Ends with "N passed, N failed"; exits 1 when a target failed (or did not
# build), 77 when clang with libFuzzer is not installed.
set -uo pipefail

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RT_ROOT=$(cd "$FUZZ_DIR/../.." && pwd)
OUT=${FUZZ_BUILD_DIR:-$RT_ROOT/build-fuzz}
SECONDS_PER_TARGET=${1:-60}
shift || true
JOBS=${FUZZ_JOBS:-1}

if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || ((SECONDS_PER_TARGET < 1)); then
  printf 'usage: %s [SECONDS] [TARGET...]\n' "$0" >&2
  exit 2
fi

# shellcheck source=tests/support/rt-test-lib.sh
source "$FUZZ_DIR/../support/rt-test-lib.sh"

if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  "$FUZZ_DIR/build.sh" "$OUT"
  case $? in
    0) ;;
    77)
      rt_skip "fuzz: clang with libFuzzer is not installed (see above)"
      ;;
    *)
      # The targets that did build still run.
      rt_fail fuzz-build "a target does not build (see above)"
      ;;
  esac
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  for t in fuzz-codec fuzz-request fuzz-pipeline-def fuzz-config; do
    [[ -x $OUT/$t ]] && targets+=("$t")
  done
fi

# GLib's slice allocator would hide heap errors from ASan (GLib < 2.76).
export G_SLICE=always-malloc
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Readable stack traces need llvm-symbolizer (Debian: llvm-14).
if ! command -v llvm-symbolizer >/dev/null 2>&1 \
  && [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
# Keep the GLib VFS and proxy machinery out of the pipeline loader.
export GIO_USE_VFS=local GSETTINGS_BACKEND=memory GIO_USE_PROXY_RESOLVER=dummy

show_input() {
  # At most 512 bytes, printable, so a crash file can be read in a CI log.
  head -c 512 "$1" | od -An -c | head -n 40
}

for t in "${targets[@]}"; do
  bin=$OUT/$t
  if [[ ! -x $bin ]]; then
    rt_fail "$t" "$bin was not built"
    continue
  fi
  seeds=$FUZZ_DIR/corpus/$t
  work=$OUT/corpus/$t
  crashes=$OUT/crashes
  log=$OUT/$t.log
  mkdir -p "$work" "$crashes"
  # Inputs libFuzzer finds go to the first directory; the checked-in seeds
  # are only read. A dictionary helps the JSON targets past the syntax.
  dict=()
  [[ -f $FUZZ_DIR/$t.dict ]] && dict=(-dict="$FUZZ_DIR/$t.dict")
  marker=$(mktemp)
  printf '==> %s for %ss (log %s)\n' "$t" "$SECONDS_PER_TARGET" "$log"
  par=()
  ((JOBS > 1)) && par=(-fork="$JOBS" -ignore_crashes=0)
  timeout --signal=KILL $((SECONDS_PER_TARGET + 120)) \
    "$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
    -timeout=10 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$crashes/$t-" "${par[@]}" "${dict[@]}" \
    "$work" "$seeds" >"$log" 2>&1
  rc=$?
  mapfile -t found < <(find "$crashes" -maxdepth 1 -name "$t-*" -newer "$marker" \
    2>/dev/null)
  rm -f "$marker"
  if ((rc == 0 && ${#found[@]} == 0)); then
    stats=$(grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" \
      | tail -n 1)
    rt_pass "$t (${stats:-done})"
    continue
  fi
  rt_fail "$t" "exit $rc"
  grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|FUZZ_ASSERT|SUMMARY' \
    "$log" | head -n 20
  for f in "${found[@]}"; do
    printf '  crash file: %s\n  replay: %s %s\n  first bytes:\n' "$f" "$bin" "$f"
    show_input "$f"
  done
  ((${#found[@]} > 0)) || tail -n 40 "$log"
done

rt_finish
