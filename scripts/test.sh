#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration
# with real processes on 127.0.0.1, power-loss). Exit code 0 means all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j2 --timeout 600
