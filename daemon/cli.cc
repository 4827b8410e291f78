#include "daemon/cli.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "scanner/command_line.h"

namespace station {
namespace po = boost::program_options;

int StationdMain(int argc, char** argv, const sql::OpenOptions& db) {
  DaemonConfig config;
  config.db = db;
  std::string config_file;
  std::size_t max_message_bytes = config.ingest.max_message_bytes;
  std::int64_t reconcile_every_s = config.reconcile.every_ms / 1000;
  double grace_hours = static_cast<double>(config.reconcile.settings.grace_ms) / 3'600'000.0;
  std::vector<std::string> grace_by_origin;
  std::int64_t answer_within_min = config.problems.settings.deadlines.answer_within_ms / 60'000;
  std::int64_t close_within_h = config.problems.settings.deadlines.close_within_ms / 3'600'000;

  po::options_description options(
      "stationd: the station daemon. Docked guns' scans land here durably, exactly once.\n\n"
      "Usage: stationd --station CODE --data-dir DIR [--ingest ENDPOINT] [--national ENDPOINT] [--config FILE]\n\n"
      "Options (flags override the config file, which takes the same names as key = value lines)");
  options.add_options()
      ("help,h", "show this help and exit")
      ("config", po::value(&config_file), "read settings from this file (INI: key = value)")
      ("station", po::value(&config.ingest.station), "this station's six-digit code (required)")
      ("data-dir", po::value(&config.data_dir), "folder for station.db and the run files (required)")
      ("ingest", po::value(&config.ingest.endpoint)->default_value(config.ingest.endpoint),
       "ZeroMQ endpoint the docks connect to; tcp://127.0.0.1:* picks a free port")
      ("control", po::value(&config.control),
       "the clerk's control socket for stationctl (default ipc://<data-dir>/control.sock)")
      ("national", po::value(&config.uplink.endpoint),
       "the national system's endpoint (tcp://HOST:PORT); scans are uploaded there and its manifest fetched")
      ("national-key", po::value(&config.national_key),
       "national's public key, pinned: its .key file or the 40-character Z85 text (required with a tcp:// --national)")
      ("insecure", po::bool_switch(&config.insecure),
       "DEVELOPMENT ONLY: no CURVE authentication or encryption on the dock port and the national link; "
       "loopback endpoints only")
      ("national-heartbeat-ms", po::value(&config.uplink.heartbeat_ms)->default_value(config.uplink.heartbeat_ms),
       "a sync with national this often; no answer for 3x this (at least 3 s) marks the link down")
      ("national-reply-timeout-ms",
       po::value(&config.uplink.reply_timeout_ms)->default_value(config.uplink.reply_timeout_ms),
       "an upload not answered in this time is sent again (the wait doubles up to 60 s)")
      ("national-reconnect-max-ms",
       po::value(&config.uplink.reconnect_max_ms)->default_value(config.uplink.reconnect_max_ms),
       "reconnect attempts start 1 s apart and slow down to this")
      ("upload-window", po::value(&config.uplink.window)->default_value(config.uplink.window),
       "uploads in flight at once")
      ("upload-scans", po::value(&config.uplink.upload_scans)->default_value(config.uplink.upload_scans),
       "scans per upload")
      ("reconcile-every-s", po::value(&reconcile_every_s)->default_value(reconcile_every_s),
       "reconcile arrivals against the manifest this often, in seconds (0: only when a clerk asks)")
      ("reconcile-grace-hours", po::value(&grace_hours)->default_value(grace_hours),
       "a manifested parcel counts as missing this long after its dispatch")
      ("reconcile-grace", po::value(&grace_by_origin)->composing(),
       "ORIGIN=HOURS: another grace period for parcels from this origin station (repeatable)")
      ("problem-answer-within-min", po::value(&answer_within_min)->default_value(answer_within_min),
       "a problem case not answered by its origin station this long after it opened is escalated")
      ("problem-close-within-h", po::value(&close_within_h)->default_value(close_within_h),
       "a problem case not closed this long after it opened is escalated")
      ("damage-tolerance-g",
       po::value(&config.problems.settings.damage.grams)->default_value(config.problems.settings.damage.grams),
       "a damaged parcel this much lighter than declared, or less, is whole: rewrap and deliver")
      ("damage-tolerance-pct",
       po::value(&config.problems.settings.damage.percent)->default_value(config.problems.settings.damage.percent),
       "... or this % of the declared weight, when that is more; lighter than both: short, claim")
      ("problem-clock-file", po::value(&config.problems.clock_file),
       "for tests: the problem desk's time is read from this file (Unix ms) instead of the clock")
      ("max-message-bytes", po::value(&max_message_bytes)->default_value(max_message_bytes),
       "largest batch body accepted, in bytes")
      ("log-level", po::value(&config.log_level)->default_value(config.log_level),
       "trace, debug, info, warn, error, critical or off (SPDLOG_LEVEL overrides)");

  po::variables_map vm;
  if (auto exit_code = ParseCommandLine(argc, argv, "stationd", options, vm)) return *exit_code;
  if (vm.count("config")) {
    // Flags already stored win: program_options never overwrites a value.
    const std::string path = vm["config"].as<std::string>();
    std::ifstream in(path);
    if (!in) return UsageError("stationd", "cannot read config file " + path);
    try {
      po::store(po::parse_config_file(in, options), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      return UsageError("stationd", "config file " + path + ": " + e.what());
    }
  }
  config.ingest.max_message_bytes = max_message_bytes;
  // Ranges are checked here, before the arithmetic could overflow;
  // ValidateConfig checks the results again.
  if (reconcile_every_s < 0 || reconcile_every_s > 7 * 24 * 3600) {
    return UsageError("stationd", "--reconcile-every-s must be between 0 and 604800");
  }
  if (!std::isfinite(grace_hours) || grace_hours < 0 || grace_hours > 2160) {
    return UsageError("stationd", "--reconcile-grace-hours must be between 0 and 2160 (90 days)");
  }
  if (answer_within_min < 1 || answer_within_min > 7 * 24 * 60) {
    return UsageError("stationd", "--problem-answer-within-min must be between 1 and 10080 (7 days)");
  }
  if (close_within_h < 1 || close_within_h > 90 * 24) {
    return UsageError("stationd", "--problem-close-within-h must be between 1 and 2160 (90 days)");
  }
  config.problems.settings.deadlines.answer_within_ms = answer_within_min * 60'000;
  config.problems.settings.deadlines.close_within_ms = close_within_h * 3'600'000;
  config.reconcile.every_ms = reconcile_every_s * 1000;
  config.reconcile.settings.grace_ms = static_cast<std::int64_t>(grace_hours * 3'600'000.0);
  for (const std::string& g : grace_by_origin) {
    const auto eq = g.find('=');
    char* end = nullptr;
    const double hours = eq == std::string::npos ? -1 : std::strtod(g.c_str() + eq + 1, &end);
    if (eq == std::string::npos || end == g.c_str() + eq + 1 || *end != '\0' || !std::isfinite(hours) || hours < 0 ||
        hours > 2160) {
      return UsageError("stationd", "--reconcile-grace '" + g + "': expected ORIGIN=HOURS (0..2160), e.g. 310001=48");
    }
    config.reconcile.settings.grace_by_origin_ms[g.substr(0, eq)] = static_cast<std::int64_t>(hours * 3'600'000.0);
  }
  if (Status s = ValidateConfig(config); !s.ok()) return UsageError("stationd", s.message());
  try {
    if (Status s = InitLogging("stationd", config.log_level); !s.ok()) {
      std::cerr << "stationd: " << s.message() << "\n";
      return 2;
    }
    return RunDaemon(config);
  } catch (const std::exception& e) {
    spdlog::critical("stationd failed: {}", e.what());
    return 1;
  }
}

}  // namespace station
