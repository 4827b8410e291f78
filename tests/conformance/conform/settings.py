"""What the suite runs against: built programs started here, or a carrier's own endpoints."""

import os


class Settings:
    stationd = None          # path of stationd to start (None: --station-endpoint given)
    stationctl = None        # path of stationctl (keys, quarantine, status)
    national_sim = None      # path of national-sim to start (None: --national-endpoint given)
    work_dir = None          # where data folders, keys and logs go

    station_code = "571001"
    # A station someone else runs: its dock endpoint, its public key, an enrolled gun's secret key.
    station_endpoint = None
    station_key = None
    gun_key = None
    gun_name = None
    station_data_dir = None  # when stationctl can read it: quarantine checks run too

    # A national system someone else runs: endpoint, its public key, an enrolled station's secret key.
    national_endpoint = None
    national_key = None
    national_station_key = None

    verbose = False

    @classmethod
    def external_station(cls):
        return cls.station_endpoint is not None

    @classmethod
    def external_national(cls):
        return cls.national_endpoint is not None

    @classmethod
    def path(cls, *parts):
        p = os.path.join(cls.work_dir, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p
