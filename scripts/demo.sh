#!/usr/bin/env bash
# The main job, until the full station day exists (issue 7): two couriers'
# guns, made from real LaDe pickup records, dock at once into one station;
# then the station shows what it holds. Safe to run again: each run starts
# from a fresh demo folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

demo=${STATION_DEMO_DIR:-$PWD/demo-run}
rm -rf "$demo"
mkdir -p "$demo"
bin=build
station=571001

echo "== stationd for station $station, data in $demo/data"
"$bin/daemon/stationd" --station "$station" --data-dir "$demo/data" --ingest 'tcp://127.0.0.1:*' \
  --log-level warn 2>"$demo/stationd.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/data/stationd.json" ] && break; sleep 0.05; done
endpoint=$(sed -n 's/.*"ingest": "\(.*\)".*/\1/p' "$demo/data/stationd.json")

echo "== two guns from real Shanghai pickup records (data/lade), one with 3 rows a gun got wrong"
"$bin/tools/gun-sim" --lade data/lade/lade_p_pickup_5cities_sample.csv --city Shanghai --couriers 2 \
  --station "$station" --bad-rows 3 --out "$demo/guns"

echo "== both guns dock at once"
pids=()
for spool in "$demo"/guns/*/; do
  "$bin/scanner/scanner-dock" --station "$endpoint" --spool "$spool" --once --log-level warn &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

echo "== docking both again (a re-dock: nothing is stored twice)"
for spool in "$demo"/guns/*/; do
  cp "$spool"/done/*.csv "$spool"/ 2>/dev/null || true
  rm -f "$spool"/*.csv.2 2>/dev/null || true
  "$bin/scanner/scanner-dock" --station "$endpoint" --spool "$spool" --once --log-level warn
done

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

kill -TERM $daemon
wait $daemon || true
trap - EXIT
echo
echo "Explore it yourself (add --json to any listing):"
echo "  $bin/tools/stationctl --data-dir $demo/data status"
echo "  $bin/tools/stationctl --data-dir $demo/data quarantine"
echo "  $bin/tools/stationctl --data-dir $demo/data scans $first"
