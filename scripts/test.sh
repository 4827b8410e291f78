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
  # The fault tests' loops run shorter here (instrumented code is several
  # times slower; their full length ran in the pass above): what this pass
  # looks for is a memory error or UB on each path, not the count of kills.
  STATION_FIGURES_FILE=/dev/null STATION_KILL_CYCLES=8 STATION_SIGTERM_ROUNDS=4 STATION_UPLINK_FILES=4 \
    ctest --output-on-failure -j2 --timeout 600
fi
