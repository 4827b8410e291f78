#!/usr/bin/env bash
# The main job end to end (issue 4, issue 7): scripts/demo.sh on the programs
# of one build folder, in a temp folder, twice in a row (the second run starts
# over in the same folder). Each run must exit 0, and its reconciliation must
# show every kind of discrepancy, Shanghai's alerts and the summary.
# Usage: demo_test.sh BUILD_DIR   (ctest passes its build folder; no rebuild)
set -euo pipefail
build=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

failed=0
check() {  # $1: what, $2: text, $3: extended regex that must match a line
  if ! grep -Eq -- "$3" <<<"$2"; then
    echo "FAIL run $run: $1 (no line matching '$3')"
    failed=1
  fi
}

for run in 1 2; do
  out=$dir/out-$run.txt
  start=$SECONDS
  if ! STATION_DEMO_SKIP_BUILD=1 STATION_DEMO_BIN="$build" STATION_DEMO_DIR="$dir/demo" \
      timeout 150 bash "$repo/scripts/demo.sh" >"$out" 2>&1; then
    echo "FAIL run $run: scripts/demo.sh did not exit 0; its output:"
    cat "$out"
    exit 1
  fi
  echo "run $run: scripts/demo.sh exited 0 in $((SECONDS - start)) s"
  # The discrepancy table stationctl printed, not gun-sim's list of what it planted.
  found=$(sed -n '/^== what it found/,/^== /p' "$out")
  for kind in missing missing_bag surplus misrouted duplicate_arrival; do
    check "a $kind row in stationctl discrepancies" "$found" "^[0-9]+ +$kind "
  done
  alerts=$(sed -n '/^== Shanghai hears/,/^== Summary/p' "$out")
  check "Shanghai's alerts name a missing parcel" "$alerts" "571001 +missing"
  check "Shanghai's alerts name the whole bag" "$alerts" "571001 +whole bag missing"
  summary=$(sed -n '/^== Summary/,$p' "$out")
  for what in "[1-9][0-9]* missing" "[1-9][0-9]* surplus" "[1-9][0-9]* misrouted" "[1-9][0-9]* duplicate arrival" \
              "[1-9][0-9]* in [1-9][0-9]* whole bag"; do
    check "the summary counts '$what'" "$summary" "$what"
  done
  [ "$failed" = 0 ] || { echo "output of run $run:"; cat "$out"; exit 1; }
done
echo "PASS: the main job shows each kind of discrepancy, twice in a row"
