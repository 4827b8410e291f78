#!/usr/bin/env bash
# The main job, until the full station day exists (issue 7), on real LaDe
# pickup records (data/lade):
#  - Shanghai station 310001: three couriers' guns dock their pickups, which
#    go up to the national system (national-sim); the national link then goes
#    down while the third gun docks, and the backlog goes up once it is back.
#  - The night truck takes those parcels to Hangzhou station 571001 in bags.
#    Hangzhou imports the truck's manifest (pre-advice), its two guns dock the
#    morning's arrival scans, and the clerk reconciles: every kind of
#    discrepancy is there (missing, a missing bag, surplus, misrouted, a
#    duplicate arrival; tools/sim/lade_guns.h says how each was made), and
#    Shanghai is told, through national-sim, what it shipped that never came.
#  - Problem parcels (issue 5): a Hangzhou courier's gun reports a dead phone
#    number and a damaged box weighed short (gun-sim --deliveries-at); the
#    cases go to Shanghai (phone masked), whose clerk answers new_phone and
#    claim; the courier's next out_for_delivery scan closes the first, the
#    Hangzhou clerk closes the claim by hand, and Shanghai hears both closed.
# Safe to run again: each run starts from a fresh demo folder
# ($STATION_DEMO_DIR, default ./demo-run). STATION_DEMO_SKIP_BUILD=1 skips the
# build (tests that run the demo after building) and STATION_DEMO_BIN=DIR runs
# the programs of that build folder instead of build/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${STATION_DEMO_SKIP_BUILD:-0}" = 1 ] || bash scripts/build.sh
started=$SECONDS
# Both stations are in China: stationctl shows times in the local zone, so the
# same clock as the guns' and the manifest's +08:00 (unless TZ says otherwise).
if [ -z "${TZ:-}" ] && [ -e /usr/share/zoneinfo/Asia/Shanghai ]; then export TZ=Asia/Shanghai; fi

demo=${STATION_DEMO_DIR:-$PWD/demo-run}
rm -rf "$demo"
mkdir -p "$demo"
bin=${STATION_DEMO_BIN:-build}  # the build folder whose programs run
ctl=$bin/tools/stationctl
lade=data/lade/lade_p_pickup_5cities_sample.csv
origin=310001   # Shanghai: the couriers pick up here
station=571001  # Hangzhou: the parcels are sent here
elsewhere=100001  # Beijing: one parcel that came to Hangzhou was meant for it

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

echo "== national-sim (the national system's stand-in), data in $demo/national"
start_national() {  # $1: endpoint to bind
  rm -f "$demo/national/national-sim.json"
  "$bin/tools/national-sim" --listen "$1" --data-dir "$demo/national" --log-level warn 2>>"$demo/national.log" &
  national=$!
  pids+=("$national")
  for _ in $(seq 100); do [ -s "$demo/national/national-sim.json" ] && break; sleep 0.05; done
}
start_national 'tcp://127.0.0.1:*'
national_endpoint=$(sed -n 's/.*"listen":"\([^"]*\)".*/\1/p' "$demo/national/national-sim.json")

# Every link is authenticated with CURVE keys (docs/operations.md, "Keys"):
# each daemon makes its own key pair on its first start; national enrolls
# each station's public key, each station its guns'.
start_station() {  # $1: station code, $2: data folder; sets $daemon and $endpoint
  "$bin/daemon/stationd" --station "$1" --data-dir "$2" --ingest 'tcp://127.0.0.1:*' \
    --national "$national_endpoint" --national-key "$demo/national/keys/national.key" --log-level warn 2>"$2.log" &
  daemon=$!
  pids+=("$daemon")
  for _ in $(seq 100); do [ -s "$2/stationd.json" ] && break; sleep 0.05; done
  endpoint=$(sed -n 's/.*"ingest": "\(.*\)".*/\1/p' "$2/stationd.json")
  echo "\$ stationctl --data-dir $demo/national keys enroll $2/keys/station.key --station $1"
  "$ctl" --data-dir "$demo/national" keys enroll "$2/keys/station.key" --station "$1" --by demo
}

gun_keys=$demo/gun-keys
enroll_guns() {  # $1: station data folder, then the guns' spool folders (each named after its gun)
  local data=$1 spool device
  shift
  mkdir -p "$gun_keys"
  for spool in "$@"; do
    device=$(basename "$spool")
    "$ctl" keys create "$device" --out "$gun_keys" >/dev/null
    "$ctl" --data-dir "$data" keys enroll "$gun_keys/$device.key" --gun "$device" --by demo
  done
  sleep 0.6  # stationd looks at its keys every 500 ms
}
dock() {  # $1: station data folder, $2: its dock endpoint, $3: a gun's spool folder
  "$bin/dock/scanner-dock" --station "$2" --station-key "$1/keys/station.key" \
    --key "$gun_keys/$(basename "$3").key_secret" --spool "$3" --once --log-level warn
}

sh_data=$demo/shanghai
echo "== stationd for Shanghai station $origin, data in $sh_data, linked to $national_endpoint"
start_station "$origin" "$sh_data"
sh_daemon=$daemon
sh_endpoint=$endpoint

echo "== three guns from real Shanghai pickup records (data/lade), one with 3 rows a gun got wrong"
"$bin/tools/gun-sim" --lade "$lade" --city Shanghai --couriers 3 \
  --station "$origin" --bad-rows 3 --out "$demo/guns"
spools=("$demo"/guns/*/)
echo "== a key pair a gun (stationctl keys create DEVICE), enrolled at Shanghai:"
enroll_guns "$sh_data" "${spools[@]}"
late_spool=${spools[2]}
spools=("${spools[@]:0:2}")

echo "== both guns dock at once"
docks=()
for spool in "${spools[@]}"; do
  dock "$sh_data" "$sh_endpoint" "$spool" &
  docks+=($!)
done
for p in "${docks[@]}"; do wait "$p"; done

echo "== docking both again (a re-dock: nothing is stored twice)"
for spool in "${spools[@]}"; do
  cp "$spool"/done/*.csv "$spool"/ 2>/dev/null || true
  rm -f "$spool"/*.csv.2 2>/dev/null || true
  dock "$sh_data" "$sh_endpoint" "$spool"
done

echo
echo "== up to the national system: stationctl --data-dir $sh_data upload"
"$ctl" --data-dir "$sh_data" upload --timeout 60
echo
echo "== what national holds: national-sim query --data-dir $demo/national"
"$bin/tools/national-sim" query --data-dir "$demo/national"

echo
echo "== the national link goes down; the third gun docks meanwhile"
kill -TERM "$national"
wait "$national" || true
dock "$sh_data" "$sh_endpoint" "$late_spool"
sleep 3.5  # the link is declared down after 3 heartbeats without an answer
"$ctl" --data-dir "$sh_data" status | sed -n '/^National system:/,/^$/p'

echo "== national is back: stationctl upload"
start_national "$national_endpoint"
"$ctl" --data-dir "$sh_data" upload --timeout 60
"$bin/tools/national-sim" query --data-dir "$demo/national"

echo
echo "== what the station holds: stationctl --data-dir $sh_data status"
"$ctl" --data-dir "$sh_data" status | tee "$demo/shanghai-status.txt" | sed '/^Last dock per courier:/,$d'
echo
echo "== records set aside: stationctl --data-dir $sh_data quarantine"
"$ctl" --data-dir "$sh_data" quarantine
first=$(sed -n '3p' "$(ls "$demo"/guns/*/done/*.csv | head -1)" | cut -d, -f2)
echo
echo "== one parcel: stationctl --data-dir $sh_data scans $first"
"$ctl" --data-dir "$sh_data" scans "$first"

hz_data=$demo/hangzhou
echo
echo "== the night truck takes the three couriers' parcels to Hangzhou; stationd for station $station, data in $hz_data"
start_station "$station" "$hz_data"
hz_daemon=$daemon
hz_endpoint=$endpoint
"$bin/tools/gun-sim" --lade "$lade" --city Shanghai --couriers 3 --station "$origin" \
  --arrivals-at "$station" --misrouted-to "$elsewhere" --manifest "$demo/manifest-$origin-$station.csv" \
  --out "$demo/arrivals"

echo "== the truck's manifest (pre-advice): stationctl --data-dir $hz_data manifest import $demo/manifest-$origin-$station.csv"
"$ctl" --data-dir "$hz_data" manifest import "$demo/manifest-$origin-$station.csv"

echo "== Hangzhou's two guns dock the morning's arrival scans at once"
enroll_guns "$hz_data" "$demo"/arrivals/*/
docks=()
for spool in "$demo"/arrivals/*/; do
  dock "$hz_data" "$hz_endpoint" "$spool" &
  docks+=($!)
done
for p in "${docks[@]}"; do wait "$p"; done

echo
echo "== arrivals against the manifest: stationctl --data-dir $hz_data reconcile"
"$ctl" --data-dir "$hz_data" reconcile --timeout 60 | tee "$demo/reconcile.txt"
echo
echo "== what it found: stationctl --data-dir $hz_data discrepancies"
"$ctl" --data-dir "$hz_data" discrepancies
"$ctl" --data-dir "$hz_data" discrepancies --json >"$demo/discrepancies.json"
echo
echo "== Shanghai hears what never came (through national-sim): stationctl --data-dir $sh_data alerts"
alerts=0
for _ in $(seq 100); do  # at most 20 s; Shanghai fetches its mail on each heartbeat (1 s)
  alerts=$("$ctl" --data-dir "$sh_data" alerts --json | grep -c '"waybill"' || true)
  [ "$alerts" -gt 0 ] && break
  sleep 0.2
done
"$ctl" --data-dir "$sh_data" alerts
if [ "$alerts" -eq 0 ]; then
  echo "demo: Shanghai has no alert from Hangzhou after 20 s; see $demo/*.log" >&2
  exit 1
fi


# Problem parcels (DESIGN §4): a case crosses from Hangzhou to Shanghai and back.
# Each wait below is bounded: poll every 0.2 s, give up with a message.
wait_until() {  # $1: seconds, $2: what did not happen, then a command that succeeds once it has
  local deadline=$((SECONDS + $1)) limit=$1 what=$2
  shift 2
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "demo: $what after $limit s; see $demo/*.log" >&2
      exit 1
    fi
    sleep 0.2
  done
}
# A field of the (only) case with reason $2 at data dir $1, from stationctl's JSON:
# at Hangzhou the case itself, at Shanghai the alert about it.
case_field() {  # $1: data dir, $2: reason, $3: field
  local listing=(problems --state all --reason "$2")
  [ "$1" = "$sh_data" ] && listing=(alerts)
  "$ctl" --data-dir "$1" "${listing[@]}" --json |
    awk -v reason="$2" -v field="$3" -F'"' '
      /^  \{/ {r = ""; v = ""} $2 == "reason" {r = $4} $2 == field {v = $4}
      /^  \}/ && r == reason && !done {found = v; done = 1} END {print found}'
}
case_in() {  # $1: data dir, $2: reason, $3: state: true when that case (or alert) is in it
  [ "$(case_field "$1" "$2" state)" = "$3" ]
}
both_are() {  # $1: data dir, $2: state: true when the wrong_phone and the damaged case (or alert) are in it
  case_in "$1" wrong_phone "$2" && case_in "$1" damaged "$2"
}
problem_alerts() {  # Shanghai's alerts, only the problem parcels (the missing ones are above)
  "$ctl" --data-dir "$sh_data" alerts | sed '/^$/,$d'
}
deliveries() {  # $1: round
  "$bin/tools/gun-sim" --lade "$lade" --city Shanghai --couriers 3 --station "$origin" \
    --deliveries-at "$station" --round "$1" --out "$demo/deliveries" | sed -n 's/^  planted: /  /p'
  [ "$1" = 1 ] && enroll_guns "$hz_data" "$demo/deliveries/PDA-$station-03"
  dock "$hz_data" "$hz_endpoint" "$demo/deliveries/PDA-$station-03"
}

echo
echo "== Problem parcels 问题件: Hangzhou's courier (gun PDA-$station-03) delivers from bag 3; his gun docks"
deliveries 1
wait_until 10 "Hangzhou's problem desk has not sent the 2 cases to Shanghai" both_are "$hz_data" notified
phone_case=$(case_field "$hz_data" wrong_phone case)
damage_case=$(case_field "$hz_data" damaged case)
echo "Each problem scan opened a case, sent to the parcel's origin station: stationctl --data-dir $hz_data problems"
"$ctl" --data-dir "$hz_data" problems

echo
echo "== Shanghai's clerk gets them, phone masked (through national-sim): stationctl --data-dir $sh_data alerts"
wait_until 20 "Shanghai has not received Hangzhou's 2 problem alerts" both_are "$sh_data" alerted
problem_alerts
echo
echo "== Shanghai's clerk answers: the sender gave a new number; the damaged box is a claim"
echo "\$ stationctl --data-dir $sh_data alerts answer $phone_case --resolution new_phone --phone 13900001234 --note 寄件人提供新号码"
"$ctl" --data-dir "$sh_data" alerts answer "$phone_case" --resolution new_phone --phone 13900001234 \
  --note "寄件人提供新号码" --by "Shanghai clerk"
echo "\$ stationctl --data-dir $sh_data alerts answer $damage_case --resolution claim --note 按申报价值理赔"
"$ctl" --data-dir "$sh_data" alerts answer "$damage_case" --resolution claim --note "按申报价值理赔" \
  --by "Shanghai clerk"

echo
echo "== Back at Hangzhou: stationctl --data-dir $hz_data problems"
wait_until 20 "Hangzhou has not received Shanghai's 2 answers" both_are "$hz_data" answered
"$ctl" --data-dir "$hz_data" problems
echo
echo "== The courier calls the new number (problems show $phone_case has it in full) and goes out again; his gun docks"
deliveries 2
wait_until 10 "the out_for_delivery scan did not close case $phone_case" case_in "$hz_data" wrong_phone closed
echo "== Hangzhou's clerk files the claim and closes its case by hand"
echo "\$ stationctl --data-dir $hz_data problems close $damage_case --note 理赔已登记,包裹留仓"
"$ctl" --data-dir "$hz_data" problems close "$damage_case" --note "理赔已登记,包裹留仓" --by "Hangzhou clerk"
echo
echo "== Both closed: stationctl --data-dir $hz_data problems --state all"
"$ctl" --data-dir "$hz_data" problems --state all
echo
echo "== The wrong phone case and its audit trail: stationctl --data-dir $hz_data problems show $phone_case"
"$ctl" --data-dir "$hz_data" problems show "$phone_case"
echo
echo "== Shanghai hears both are closed: stationctl --data-dir $sh_data alerts"
wait_until 20 "Shanghai has not heard that Hangzhou closed the 2 cases" both_are "$sh_data" closed
problem_alerts

for pid in "$sh_daemon" "$hz_daemon" "$national"; do kill -TERM "$pid"; done
for pid in "$sh_daemon" "$hz_daemon" "$national"; do wait "$pid" || true; done
trap - EXIT

# The figures for the summary, from what the programs printed above.
kinds() { grep -c "\"kind\": \"$1\"" "$demo/discrepancies.json" || true; }
uploaded=$("$bin/tools/national-sim" query --data-dir "$demo/national" | sed -n "s/^$origin: \([0-9]*\) scans.*/\1/p")
quarantined=$(sed -n 's/^Quarantined records: \([0-9]*\).*/\1/p' "$demo/shanghai-status.txt")
manifested=$(sed -n 's/.*manifested to this station: \([0-9]*\).*/\1/p' "$demo/reconcile.txt")
arrived=$(sed -n 's/.*; arrived: \([0-9]*\).*/\1/p' "$demo/reconcile.txt")
# Missing parcels whose whole bag never came ("bag_missing" comes before "kind" in each object).
with_bag=$(awk '/"bag_missing": true/ {b = 1} /"bag_missing": false/ {b = 0} /"kind": "missing",/ && b {n++}
  END {print n + 0}' "$demo/discrepancies.json")
twice=$(awk -F'"' '/"kind": "duplicate_arrival"/ {d = 1} d && /"waybill":/ {print $4; exit}' "$demo/discrepancies.json")
missing=$(kinds missing)
echo
echo "== Summary ($((SECONDS - started)) s)"
echo "Shanghai $origin: ${uploaded:-?} pickup scans from 3 couriers went up to the national system, also through"
echo "  an outage; ${quarantined:-?} rows the guns got wrong are set aside (quarantine), not lost."
echo "Hangzhou $station: the truck's manifest lists ${manifested:-?} parcels from Shanghai; ${arrived:-?} arrived. Reconciliation found"
echo "  $missing missing 有发无到: $with_bag in $(kinds missing_bag) whole bag(s) that never came 整袋未到, $((missing - with_bag)) absent from a bag that came"
echo "  $(kinds surplus) surplus 有到无发: arrived, but no manifest row"
echo "  $(kinds misrouted) misrouted 错发: arrived here, but manifested to another station ($elsewhere)"
echo "  $(kinds duplicate_arrival) duplicate arrival 重复到件: one parcel scanned in twice"
echo "Shanghai was told through the national system what it shipped that never came ($alerts alert lines above)."
echo "Problem parcels 问题件: Hangzhou's gun reported a dead phone number (case $phone_case) and a damaged, short"
echo "  box (case $damage_case); Shanghai got both (phone masked) and answered new_phone and claim; the courier's"
echo "  out_for_delivery scan closed the first by itself, Hangzhou's clerk closed the claim; Shanghai heard both closed."
echo
echo "Explore it yourself (add --json to any listing):"
echo "  $ctl --data-dir $hz_data discrepancies --kind missing      # or --origin $origin, --state all, --csv FILE"
echo "  $ctl --data-dir $hz_data scans ${twice:-ZT...}             # the parcel scanned twice"
echo "  $ctl --data-dir $sh_data alerts"
echo "  $ctl --data-dir $hz_data problems --state all                      # or show CASE, --reason R, --overdue"
echo "  $ctl --data-dir $sh_data status"
echo "  $ctl --data-dir $sh_data quarantine"
echo "  $ctl --data-dir $sh_data scans $first"
echo "  $bin/tools/national-sim query --data-dir $demo/national --waybill $first"
