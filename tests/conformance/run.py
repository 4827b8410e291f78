#!/usr/bin/python3
"""Runs the stationsync conformance suite (tests/conformance/README.md says what each check covers).

  run.py --build-dir build                      # start stationd and national-sim from a build
  run.py --station-endpoint tcp://H:7701 --station-key station.key --gun-key PDA-0042.key_secret \
         --gun-name PDA-0042 --only dock        # check a station someone else runs
  run.py --national-endpoint tcp://H:7800 --national-key national.key \
         --station-secret-key 571001.key_secret --only national   # check a national system
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from conform.settings import Settings  # noqa: E402

FAMILIES = {
    "dock": "test_dock",          # batch upload: gun -> stationd
    "security": "test_dock_security",  # who may dock; retry later
    "control": "test_control",    # control: stationctl -> stationd
    "national": "test_national",  # upload/sync/post/lookup: a station -> the national system
    "uplink": "test_uplink",      # the same, stationd -> a national played by this suite
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", help="a build folder: daemon/stationd, tools/stationctl, tools/national-sim")
    p.add_argument("--stationd")
    p.add_argument("--stationctl")
    p.add_argument("--national-sim")
    p.add_argument("--station-code", default="571001", help="the station's six-digit code (default 571001)")
    p.add_argument("--station-endpoint", help="check this running station instead of starting one")
    p.add_argument("--station-key", help="with --station-endpoint: the station's public key (.key or text)")
    p.add_argument("--gun-key", help="with --station-endpoint: an enrolled gun's .key_secret file")
    p.add_argument("--gun-name", help="with --station-endpoint: that gun's device id")
    p.add_argument("--station-data-dir", help="with --station-endpoint: its data folder, if stationctl can read it")
    p.add_argument("--national-endpoint", help="check this running national system instead of national-sim")
    p.add_argument("--national-key", help="with --national-endpoint: national's public key (.key or text)")
    p.add_argument("--station-secret-key", help="with --national-endpoint: an enrolled station's .key_secret")
    p.add_argument("--only", default=",".join(FAMILIES), help="families to run: " + ", ".join(FAMILIES))
    p.add_argument("-k", dest="patterns", action="append", help="only tests whose name holds this text")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, data) even when all pass")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def configure(args):
    if args.build_dir:
        args.stationd = args.stationd or os.path.join(args.build_dir, "daemon", "stationd")
        args.stationctl = args.stationctl or os.path.join(args.build_dir, "tools", "stationctl")
        args.national_sim = args.national_sim or os.path.join(args.build_dir, "tools", "national-sim")
    Settings.stationd = args.stationd
    Settings.stationctl = args.stationctl
    Settings.national_sim = args.national_sim
    Settings.station_code = args.station_code
    Settings.station_endpoint = args.station_endpoint
    Settings.station_key = args.station_key
    Settings.gun_key = args.gun_key
    Settings.gun_name = args.gun_name
    Settings.station_data_dir = args.station_data_dir
    Settings.national_endpoint = args.national_endpoint
    Settings.national_key = args.national_key
    Settings.national_station_key = args.station_secret_key
    Settings.verbose = args.verbose
    families = [f.strip() for f in args.only.split(",") if f.strip()]
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        sys.exit(f"run.py: unknown family {unknown}; known: {', '.join(FAMILIES)}")
    if args.station_endpoint and not (args.station_key and args.gun_key and args.gun_name):
        sys.exit("run.py: --station-endpoint needs --station-key, --gun-key and --gun-name")
    if args.national_endpoint and not (args.national_key and args.station_secret_key):
        sys.exit("run.py: --national-endpoint needs --national-key and --station-secret-key")
    needs = []
    if not args.station_endpoint and set(families) & {"dock", "control", "uplink"}:
        needs += ["stationd", "stationctl"]
    if not args.national_endpoint and "national" in families:
        needs += ["national_sim", "stationctl"]
    for name in needs:
        path = getattr(args, name)
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"run.py: no {name} to run (give --build-dir or --{name.replace('_', '-')}): {path}")
    return families


def main(argv):
    args = parse_args(argv)
    families = configure(args)
    Settings.work_dir = tempfile.mkdtemp(prefix="stationsync-conformance-")
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = unittest.TestSuite(loader.loadTestsFromName(FAMILIES[f]) for f in families)
    started = time.monotonic()
    result = unittest.TextTestRunner(verbosity=2 if args.verbose else 1).run(suite)
    took = time.monotonic() - started
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"conformance: {passed} passed, {failed} failed, {len(result.skipped)} skipped in {took:.1f} s")
    if result.wasSuccessful() and not args.keep:
        shutil.rmtree(Settings.work_dir, ignore_errors=True)
    else:
        print(f"conformance: logs and data kept in {Settings.work_dir}")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
