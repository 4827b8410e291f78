"""Starting stationd and national-sim as docs/operations.md says, and running stationctl."""

import json
import os
import signal
import subprocess
import time

from conform import keys as keylib
from conform.settings import Settings
from conform.wire import wait_for

START_TIMEOUT_S = 30.0


class Program:
    """A child process with its log in the work folder; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name, argv):
        self.name = name
        self.log_path = Settings.path("logs", name + ".log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self):
        return self.process.poll() is None

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def read_json_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def stationctl(data_dir, *args, check=True, json_out=True):
    """Runs stationctl on data_dir; returns (exit code, parsed JSON or text, stderr)."""
    argv = [Settings.stationctl, "--data-dir", data_dir, *args]
    if json_out:
        argv.append("--json")
    done = subprocess.run(argv, capture_output=True, timeout=60)
    out = done.stdout.decode("utf-8", "replace")
    if check and done.returncode != 0:
        raise AssertionError(f"{argv} exited {done.returncode}: {done.stderr.decode('utf-8', 'replace')}")
    if json_out and done.returncode == 0:
        out = json.loads(out)
    return done.returncode, out, done.stderr.decode("utf-8", "replace")


class Station:
    """A stationd started on a fresh data folder, CURVE on (its default), ingest on a free port."""

    def __init__(self, name, extra_args=(), guns=()):
        self.data_dir = Settings.path(name, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.code = Settings.station_code
        # Enrolled before the start: stationd reads keys.db when it starts. A key enrolled while it
        # runs is let in "within a second", and a handshake before that is refused for good.
        self.guns = {gun: self._enroll(gun) for gun in guns}
        argv = [Settings.stationd, "--station", self.code, "--data-dir", self.data_dir,
                "--ingest", "tcp://127.0.0.1:*", "--reconcile-every-s", "0", *extra_args]
        self.program = Program(name + "-stationd", argv)
        run = wait_for(lambda: self._ready(), START_TIMEOUT_S, f"{name}: stationd.json with its endpoints")
        self.endpoint = run["ingest"]
        self.control_endpoint = run["control"]
        self.public_key = keylib.public_key(os.path.join(self.data_dir, "keys", "station.key"))

    def _ready(self):
        if not self.program.alive():
            raise AssertionError(f"stationd exited {self.program.process.returncode}:\n{self.program.log_text()}")
        run = read_json_file(os.path.join(self.data_dir, "stationd.json"))
        if run and "ingest" in run and "control" in run and ":*" not in run["ingest"]:
            return run
        return None

    def _enroll(self, name):
        """A new key pair for gun `name`, written as key files and enrolled with stationctl."""
        pair = keylib.KeyPair.new()
        public_path, _ = pair.write(Settings.path("keys", self.data_dir.replace("/", "_")), name, "gun")
        stationctl(self.data_dir, "keys", "enroll", public_path, "--gun", name, json_out=False)
        return pair

    def ctl(self, *args, check=True, json_out=True):
        return stationctl(self.data_dir, *args, check=check, json_out=json_out)

    def stop(self):
        self.program.stop()


class National:
    """A national-sim on a free port; stations enrolled with stationctl on its data folder."""

    def __init__(self, name, extra_args=(), stations=()):
        self.data_dir = Settings.path(name, "national")
        os.makedirs(self.data_dir, exist_ok=True)
        # Enrolled before the start, as for guns at a station (a handshake before a key is in
        # force is refused for good).
        self.stations = {code: self._enroll(code) for code in stations}
        argv = [Settings.national_sim, "--listen", "tcp://127.0.0.1:*", "--data-dir", self.data_dir, *extra_args]
        self.program = Program(name + "-national-sim", argv)
        run = wait_for(lambda: self._ready(), START_TIMEOUT_S, f"{name}: national-sim.json")
        self.endpoint = run["listen"]
        self.public_key = keylib.public_key(os.path.join(self.data_dir, "keys", "national.key"))

    def _ready(self):
        if not self.program.alive():
            raise AssertionError(f"national-sim exited {self.program.process.returncode}:\n{self.program.log_text()}")
        run = read_json_file(os.path.join(self.data_dir, "national-sim.json"))
        if run and run.get("listen") and ":*" not in run["listen"]:
            return run
        return None

    def _enroll(self, code):
        pair = keylib.KeyPair.new()
        public_path, _ = pair.write(Settings.path("keys", self.data_dir.replace("/", "_")), "station-" + code,
                                    "station")
        stationctl(self.data_dir, "keys", "enroll", public_path, "--station", code, json_out=False)
        return pair

    def stop(self):
        self.program.stop()


def now_ms():
    return int(time.time() * 1000)
