#!/usr/bin/env bash
# Installs the Debian packages stationsync builds and tests with (DESIGN §5).
# Quiet and quick when everything is already present: it asks dpkg first and
# only calls apt-get for what is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  clang  # the ASan/UBSan pass of scripts/test.sh
  libclang-rt-14-dev  # the ASan, UBSan and libFuzzer runtimes for clang (the sanitizer pass, scripts/fuzz.sh)
  libzmq3-dev cppzmq-dev
  libsqlite3-dev sqlite3
  libboost-program-options-dev
  libspdlog-dev
  libsystemd-dev  # sd_notify: stationd's readiness and watchdog under systemd (daemon/service_notify.cc)
  catch2
  nlohmann-json3-dev
  libabsl-dev  # flat_hash_map: the reconciliation ledger (reconcile/ledger.h)
  libmicrohttpd-dev  # stationd --metrics: the Prometheus endpoint (daemon/metrics_server.cc)
  curl python3-prometheus-client  # the metrics test scrapes with curl and parses with prometheus_client
  python3-zmq  # the conformance suite's client (tests/conformance/)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
