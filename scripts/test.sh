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
exit $status
