#include "daemon/cli.h"

#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "daemon/daemon.h"
#include "daemon/logging.h"

namespace station {
namespace po = boost::program_options;

int StationdMain(int argc, char** argv, const sql::OpenOptions& db) {
  DaemonConfig config;
  config.db = db;
  std::string config_file;
  std::size_t max_message_bytes = config.ingest.max_message_bytes;

  po::options_description options(
      "stationd: the station daemon. Docked guns' scans land here durably, exactly once.\n\n"
      "Usage: stationd --station CODE --data-dir DIR [--ingest ENDPOINT] [--config FILE]\n\n"
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
      ("max-message-bytes", po::value(&max_message_bytes)->default_value(max_message_bytes),
       "largest batch body accepted, in bytes")
      ("log-level", po::value(&config.log_level)->default_value(config.log_level),
       "trace, debug, info, warn, error, critical or off (SPDLOG_LEVEL overrides)");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return 0;
    }
    if (vm.count("config")) {
      std::ifstream in(vm["config"].as<std::string>());
      if (!in) {
        std::cerr << "stationd: cannot read config file " << vm["config"].as<std::string>() << "\n";
        return 2;
      }
      po::store(po::parse_config_file(in, options), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "stationd: " << e.what() << " (see --help)\n";
    return 2;
  }
  config.ingest.max_message_bytes = max_message_bytes;
  if (Status s = ValidateConfig(config); !s.ok()) {
    std::cerr << "stationd: " << s.message() << " (see --help)\n";
    return 2;
  }
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
