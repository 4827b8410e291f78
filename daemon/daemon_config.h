#pragma once
// stationd's settings, as its services take them, and their check.

#include <cstddef>
#include <string>

#include "core/status.h"
#include "daemon/desk/problem_desk.h"
#include "daemon/ingest/ingest_server.h"
#include "daemon/ops/metrics_server.h"
#include "daemon/reconciler/reconciler.h"
#include "daemon/uplink/uplink.h"
#include "sql/sqlite.h"

namespace station {

struct DaemonConfig {
  // Holds station.db, stationd.lock, stationd.json, keys.db (the enrolled
  // guns) and keys/ (the station's own key pair).
  std::string data_dir;
  IngestOptions ingest;  // station code and ingest endpoint
  // The clerk's control socket; empty means ipc://<data_dir>/control.sock.
  std::string control;
  UplinkOptions uplink;  // the national system; no endpoint: no uplink
  ReconcilerOptions reconcile;  // settings.station is taken from ingest.station
  ProblemDeskOptions problems;  // settings.station is taken from ingest.station
  // stationctl prune never removes a scan received less than this many
  // days ago (DESIGN §4: scans are kept at least a year; daemon/retention.h).
  int retention_days = 365;
  MetricsOptions metrics;  // --metrics: the Prometheus endpoint; off by default
  std::string log_level = "info";
  // Development only: no CURVE on the dock port or the national link, and
  // only loopback endpoints allowed. The default is secure.
  bool insecure = false;
  std::string national_key;  // national's public key: a .key file or the Z85 text
  sql::OpenOptions db;   // durability settings; defaults are the safe ones
};

// Checks the settings; kInvalidArgument names the first bad one.
Status ValidateConfig(const DaemonConfig& config);

}  // namespace station
