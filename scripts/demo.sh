#!/usr/bin/env bash
# The main job, until the full station day exists (issue 7): couriers' guns,
# made from real LaDe pickup records, dock into one station, which uploads
# every scan to the national system (national-sim); the national link then
# goes down while a third gun docks, and the backlog goes up once it is back.
# Safe to run again: each run starts from a fresh demo folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

demo=${STATION_DEMO_DIR:-$PWD/demo-run}
rm -rf "$demo"
mkdir -p "$demo"
bin=build
station=571001

echo "== national-sim (the national system's stand-in), data in $demo/national"
start_national() {  # $1: endpoint to bind
  rm -f "$demo/national/national-sim.json"
  "$bin/tools/national-sim" --listen "$1" --data-dir "$demo/national" --log-level warn 2>>"$demo/national.log" &
  national=$!
  for _ in $(seq 100); do [ -s "$demo/national/national-sim.json" ] && break; sleep 0.05; done
}
start_national 'tcp://127.0.0.1:*'
national_endpoint=$(sed -n 's/.*"listen":"\([^"]*\)".*/\1/p' "$demo/national/national-sim.json")

echo "== stationd for station $station, data in $demo/data, linked to $national_endpoint"
"$bin/daemon/stationd" --station "$station" --data-dir "$demo/data" --ingest 'tcp://127.0.0.1:*' \
  --national "$national_endpoint" --log-level warn 2>"$demo/stationd.log" &
daemon=$!
trap 'kill $daemon $national 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/data/stationd.json" ] && break; sleep 0.05; done
endpoint=$(sed -n 's/.*"ingest": "\(.*\)".*/\1/p' "$demo/data/stationd.json")

echo "== three guns from real Shanghai pickup records (data/lade), one with 3 rows a gun got wrong"
"$bin/tools/gun-sim" --lade data/lade/lade_p_pickup_5cities_sample.csv --city Shanghai --couriers 3 \
  --station "$station" --bad-rows 3 --out "$demo/guns"
spools=("$demo"/guns/*/)
late_spool=${spools[2]}
spools=("${spools[@]:0:2}")

echo "== both guns dock at once"
pids=()
for spool in "${spools[@]}"; do
  "$bin/scanner/scanner-dock" --station "$endpoint" --spool "$spool" --once --log-level warn &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

echo "== docking both again (a re-dock: nothing is stored twice)"
for spool in "${spools[@]}"; do
  cp "$spool"/done/*.csv "$spool"/ 2>/dev/null || true
  rm -f "$spool"/*.csv.2 2>/dev/null || true
  "$bin/scanner/scanner-dock" --station "$endpoint" --spool "$spool" --once --log-level warn
done

echo
echo "== up to the national system: stationctl --data-dir $demo/data upload"
"$bin/tools/stationctl" --data-dir "$demo/data" upload --timeout 60
echo
echo "== what national holds: national-sim query --data-dir $demo/national"
"$bin/tools/national-sim" query --data-dir "$demo/national"

echo
echo "== the national link goes down; the third gun docks meanwhile"
kill -TERM $national
wait $national || true
"$bin/scanner/scanner-dock" --station "$endpoint" --spool "$late_spool" --once --log-level warn
sleep 3.5  # the link is declared down after 3 heartbeats without an answer
"$bin/tools/stationctl" --data-dir "$demo/data" status | sed -n '/^National system:/,/^$/p'

echo "== national is back: stationctl upload"
start_national "$national_endpoint"
"$bin/tools/stationctl" --data-dir "$demo/data" upload --timeout 60
"$bin/tools/national-sim" query --data-dir "$demo/national"

echo
echo "== what the station holds: stationctl --data-dir $demo/data status"
"$bin/tools/stationctl" --data-dir "$demo/data" status
echo
echo "== records set aside: stationctl --data-dir $demo/data quarantine"
"$bin/tools/stationctl" --data-dir "$demo/data" quarantine
first=$(sed -n '3p' "$(ls "$demo"/guns/*/done/*.csv | head -1)" | cut -d, -f2)
echo
echo "== one parcel: stationctl --data-dir $demo/data scans $first"
"$bin/tools/stationctl" --data-dir "$demo/data" scans "$first"

kill -TERM $daemon $national
wait $daemon || true
wait $national || true
trap - EXIT
echo
echo "Explore it yourself (add --json to any listing):"
echo "  $bin/tools/stationctl --data-dir $demo/data status"
echo "  $bin/tools/stationctl --data-dir $demo/data quarantine"
echo "  $bin/tools/stationctl --data-dir $demo/data scans $first"
echo "  $bin/tools/national-sim query --data-dir $demo/national --waybill $first"
