"""The station a dock check talks to: one started here, or the carrier's (--station-endpoint)."""

import zmq

from conform import keys as keylib
from conform import processes
from conform.settings import Settings
from conform.wire import Peer


class DockTarget:
    def __init__(self, name, extra_args=()):
        self.context = zmq.Context.instance()
        self.station = None
        if Settings.external_station():
            self.endpoint = Settings.station_endpoint
            self.station_public = keylib.public_key(Settings.station_key)
            self.gun = keylib.KeyPair.from_secret_file(Settings.gun_key)
            self.gun_name = Settings.gun_name
            self.data_dir = Settings.station_data_dir
        else:
            self.gun_name = "PDA-CF01"
            self.station = processes.Station(name, extra_args, guns=(self.gun_name, "PDA-CF09"))
            self.endpoint = self.station.endpoint
            self.station_public = self.station.public_key
            self.gun = self.station.guns[self.gun_name]
            self.data_dir = self.station.data_dir
        self.code = Settings.station_code

    def peer(self, keys=None):
        """A DEALER with the gun's key (or `keys`) and the station's key pinned."""
        return Peer(self.context, self.endpoint, keys or self.gun, self.station_public)

    def can_read_data(self):
        """stationctl can read the station's data folder: quarantine and scans checks run."""
        return self.data_dir is not None and Settings.stationctl is not None

    def can_enroll(self):
        return self.station is not None

    def ctl(self, *args, check=True, json_out=True):
        return processes.stationctl(self.data_dir, *args, check=check, json_out=json_out)

    def quarantine(self, kind):
        _, rows, _ = self.ctl("quarantine", "--kind", kind, "--limit", "100000")
        return rows

    def stop(self):
        if self.station:
            self.station.stop()
