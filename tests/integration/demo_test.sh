#!/usr/bin/env bash
# The main job end to end (issue 4, issue 7): scripts/demo.sh on the programs
# of one build folder, in a temp folder, twice in a row (the second run starts
# over in the same folder). Each run must exit 0, and its reconciliation must
# show every kind of discrepancy, Shanghai's alerts and the summary, and the
# problem cases (issue 5) must cross from Hangzhou to Shanghai and back:
# opened and sent, alerted at Shanghai with the phone masked, answered,
# closed at Hangzhou (by the courier's scan, and by hand) and heard closed.
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
check_not() {  # $1: what, $2: text, $3: extended regex that must match no line
  if grep -Eq -- "$3" <<<"$2"; then
    echo "FAIL run $run: $1 (a line matches '$3': $(grep -Em1 -- "$3" <<<"$2"))"
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
  # Problem parcels: each section of the demo, from the gun's problem scans to Shanghai hearing the close.
  case_no='571001-[0-9]{8}-[0-9]{4}'
  opened=$(sed -n '/^== Problem parcels/,/^== Shanghai/p' "$out")
  check "Hangzhou's wrong_phone case sent to Shanghai" "$opened" "^$case_no +ZT[0-9]+ +wrong_phone .* 310001 +notified "
  check "Hangzhou's damaged case sent to Shanghai" "$opened" "^$case_no +ZT[0-9]+ +damaged .* 310001 +notified "
  alerted=$(sed -n "/^== Shanghai's clerk gets them/,/^== Shanghai's clerk answers/p" "$out")
  check "Shanghai's alert for the wrong phone, phone masked" "$alerted" \
    "^[0-9-]+ [0-9:]+ +$case_no +571001 +ZT[0-9]+ +wrong_phone .* alerted .* 137\*{4}[0-9]{4} "
  check "Shanghai's alert for the damaged box suggests a claim" "$alerted" " damaged .* alerted .*suggested: claim"
  check_not "no full phone number in Shanghai's alerts" "$alerted" "1370000[0-9]{4}"
  answers=$(sed -n "/^== Shanghai's clerk answers/,/^== Back at Hangzhou/p" "$out")
  check "Shanghai answers new_phone" "$answers" "^answered case $case_no with new_phone"
  check "Shanghai answers claim" "$answers" "^answered case $case_no with claim"
  answered=$(sed -n '/^== Back at Hangzhou/,/^== The courier/p' "$out")
  check "Hangzhou's wrong_phone case answered" "$answered" " wrong_phone .* answered .* new_phone "
  check "Hangzhou's damaged case answered" "$answered" " damaged .* answered .* claim "
  closed=$(sed -n '/^== The courier/,/^== The wrong phone case/p' "$out")
  check "Hangzhou's clerk closes the claim by hand" "$closed" "^closed case $case_no for ZT[0-9]+ \(by hand\)"
  check "the wrong_phone case closed at Hangzhou" "$closed" "^$case_no +ZT[0-9]+ +wrong_phone .* closed .* new_phone "
  check "the damaged case closed at Hangzhou" "$closed" "^$case_no +ZT[0-9]+ +damaged .* closed .* claim "
  shown=$(sed -n '/^== The wrong phone case/,/^== Shanghai hears both/p' "$out")
  check "problems show: the case is closed" "$shown" "^  state: +closed$"
  check "problems show: the new number in full" "$shown" "^  new phone: +13900001234$"
  check "problems show: closed by the out_for_delivery scan" "$shown" "^  closed: .*\(scan #[0-9]+\)$"
  for event in opened notified answered closed; do
    check "problems show: '$event' in the audit trail" "$shown" "^[0-9-]+ [0-9:]+ .* $event +"
  done
  heard=$(sed -n '/^== Shanghai hears both/,/^== Summary/p' "$out")
  check "Shanghai hears the wrong_phone case closed" "$heard" "^[0-9-]+ [0-9:]+ +$case_no +571001 +ZT[0-9]+ +wrong_phone .* closed "
  check "Shanghai hears the damaged case closed" "$heard" "^[0-9-]+ [0-9:]+ +$case_no +571001 +ZT[0-9]+ +damaged .* closed "
  summary=$(sed -n '/^== Summary/,$p' "$out")
  check "the summary names the problem cases" "$summary" "^Problem parcels .*\(case $case_no\)"
  check "the summary says Shanghai heard them closed" "$summary" "Shanghai heard both closed"
  for what in "[1-9][0-9]* missing" "[1-9][0-9]* surplus" "[1-9][0-9]* misrouted" "[1-9][0-9]* duplicate arrival" \
              "[1-9][0-9]* in [1-9][0-9]* whole bag"; do
    check "the summary counts '$what'" "$summary" "$what"
  done
  [ "$failed" = 0 ] || { echo "output of run $run:"; cat "$out"; exit 1; }
done
echo "PASS: the main job shows each kind of discrepancy and problem cases crossing between stations and back, twice in a row"
