#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang, ASan, UBSan) in build-fuzz
# and runs each on a scratch copy of its seed corpus for SECONDS_PER_HARNESS
# (default 60), with RELIABILITY.md T13's limits. Prints each harness's
# executions and coverage; exit code 0 means no crash, leak or timeout.
#
#   scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]   (default: the six wire and file
# harnesses; fuzz_config only when named)
#
# STATION_FUZZ_JOBS=N runs N harnesses at a time (default 1). A failing
# input is left in build-fuzz/artifacts/, with the harness's log; rerun it
# with build-fuzz/fuzz/<harness> <file>. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_gun_batch fuzz_dock_wire fuzz_national_wire fuzz_manifest fuzz_control_wire
  fuzz_station_wire)
jobs=${STATION_FUZZ_JOBS:-1}

# -O1: libFuzzer's usual level, several times the executions of -O0 for a
# few seconds more of compiling; line tables only, for stack traces.
started=$SECONDS
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSTATION_BUILD_TESTS=OFF \
  -DSTATION_BUILD_BENCHMARKS=OFF -DSTATION_BUILD_FUZZERS=ON -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" >/dev/null
# Only the harnesses asked for: fuzz_config alone builds the whole daemon.
cmake --build build-fuzz -j"$(nproc)" --target "${harnesses[@]}" >/dev/null

out=build-fuzz/fuzz-runs
artifacts=build-fuzz/artifacts
rm -rf "$out"
mkdir -p "$out" "$artifacts"

run() {
  local h=$1 scratch="$out/$1.corpus"
  # The run adds what it finds to a scratch copy; the repo's corpus stays
  # the small, readable seed set.
  cp -r "fuzz/corpus/$h" "$scratch"
  local dict=()
  [ -f "fuzz/$h.dict" ] && dict=(-dict="fuzz/$h.dict")
  local rc=0
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build-fuzz/fuzz/$h" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=512 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$artifacts/$h-" "$scratch" >"$out/$h.log" 2>&1 || rc=$?
  echo "$rc" >"$out/$h.rc"
}

echo "build-fuzz configured and built in $((SECONDS - started)) s"
echo "fuzzing ${harnesses[*]}: ${seconds} s each, ${jobs} at a time"
running=0
for h in "${harnesses[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run "$h" &
  running=$((running + 1))
done
wait

status=0
printf '%-20s %12s %9s %8s %7s  %s\n' harness execs exec/s cov corpus result
for h in "${harnesses[@]}"; do
  log="$out/$h.log"
  rc=$(cat "$out/$h.rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # The last status line: "#N DONE cov: C ft: F corp: N/SIZE ..."
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  result=ok
  if [ "$rc" != 0 ]; then
    result="FAILED (exit $rc): see $log and $artifacts/"
    status=1
  fi
  printf '%-20s %12s %9s %8s %7s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${corp:-?}" "$result"
done
if [ $status -ne 0 ]; then
  for h in "${harnesses[@]}"; do
    [ "$(cat "$out/$h.rc")" = 0 ] && continue
    echo
    echo "== $h: the end of its log"
    tail -40 "$out/$h.log"
  done
fi
exit $status
