#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration
# with real processes on 127.0.0.1, power-loss). Exit code 0 means all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
# The fault tests' figures (acknowledged, stored, lost, duplicated) land
# here and are printed after the run: ctest hides a passing test's output.
export STATION_FIGURES_FILE="$PWD/test-figures.txt"
: > "$STATION_FIGURES_FILE"
status=0
ctest --output-on-failure -j2 --timeout 600 || status=$?
echo
echo "== figures from the fault tests"
cat "$STATION_FIGURES_FILE"
[ $status -eq 0 ] || exit $status

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer:
# the daemons under test are instrumented too, so a memory error or UB in
# stationd fails the test that drove it. STATION_SKIP_SANITIZERS=1 skips it.
# Built by clang at -O0 with line tables only: on two cores it compiles this
# code in about half the time GCC takes, which keeps CI well under its
# limit; the benchmarks are left out (they measure speed, not correctness).
if [ -z "${STATION_SKIP_SANITIZERS:-}" ]; then
  cd ..
  echo
  echo "== the suite again under ASan and UBSan (clang)"
  CC=clang CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DSTATION_BUILD_BENCHMARKS=OFF \
    -DCMAKE_CXX_FLAGS_DEBUG="-O0 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" >/dev/null
  cmake --build build-sanitize -j"$(nproc)" >/dev/null
  cd build-sanitize
  # The demo (label demo) runs in the pass above only: it drives the same
  # programs through paths the process tests cover here one by one, and it
  # was the longest test of this pass (about half a minute).
  # The fault tests' loops run shorter here (instrumented code is several
  # times slower; their full length ran in the pass above): what this pass
  # looks for is a memory error or UB on each path, not the count of kills.
  STATION_FIGURES_FILE=/dev/null STATION_KILL_CYCLES=8 STATION_SIGTERM_ROUNDS=4 STATION_UPLINK_FILES=4 STATION_LOSS_SECONDS=30 \
    LSAN_OPTIONS="suppressions=$PWD/../scripts/lsan.supp" ctest --output-on-failure -j2 --timeout 600 -LE demo
fi

# libFuzzer on the gun batch reader and every wire parser (RELIABILITY.md
# T13, docs/fuzzing.md): each harness 10 s on its seed corpus, two at a time,
# under ASan and UBSan; a crash, leak, timeout or broken round trip fails CI.
# 10 s rather than T13's 60 s keeps CI's whole run near its 15 minutes on
# two cores; the 10-minute runs in docs/fuzzing.md go deeper. Its own build
# folder, build-fuzz (clang, libFuzzer hooks). STATION_SKIP_FUZZ=1 skips it.
if [ -z "${STATION_SKIP_FUZZ:-}" ]; then
  cd ..  # from build or build-sanitize
  echo
  echo "== fuzzing (10 s a harness)"
  STATION_FUZZ_JOBS=2 bash scripts/fuzz.sh 10
fi
