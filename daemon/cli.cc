#include "daemon/cli.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "daemon/ops/logging.h"
#include "daemon/station.h"
#include "daemon/stationd_config.h"
#include "core/command_line.h"

namespace station {
namespace po = boost::program_options;

int StationdMain(int argc, char** argv, const sql::OpenOptions& db) {
  StationdOptions settings;
  std::string config_file;
  po::options_description options(
      "stationd: the station daemon. Docked guns' scans land here durably, exactly once.\n\n"
      "Usage: stationd --station CODE --data-dir DIR [--ingest ENDPOINT] [--national ENDPOINT] [--config FILE]\n"
      "       stationd --config FILE [flags] --print-config\n\n"
      "Command line only");
  options.add_options()
      ("help,h", "show this help and exit")
      ("config", po::value(&config_file),
       "read settings from this file: key = value lines with the names of the settings below; "
       "flags given here win (sample: packaging/stationd.conf)")
      ("print-config", "check the settings, print those in effect in the config file's format, and exit");
  options.add(settings.settings());

  po::variables_map vm;
  if (auto exit_code = ParseCommandLine(argc, argv, "stationd", options, vm)) return *exit_code;
  settings.NoteFlags(vm);
  if (vm.count("config")) {
    std::error_code error;
    if (std::filesystem::is_directory(config_file, error)) {
      return UsageError("stationd", "config file " + config_file + " is a folder");
    }
    std::ifstream in(config_file);
    if (!in) return UsageError("stationd", "cannot read config file " + config_file + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    if (in.bad()) return UsageError("stationd", "cannot read config file " + config_file);
    if (Status s = settings.ReadConfig(text.str(), config_file, vm); !s.ok()) {
      return UsageError("stationd", s.message());
    }
  }
  auto ready = settings.Finish();
  if (!ready.ok()) return UsageError("stationd", ready.status().message());
  if (vm.count("print-config")) {
    auto text = settings.Format(vm);
    if (!text.ok()) return UsageError("stationd", text.status().message());
    std::cout << *text;
    return 0;
  }
  ready->daemon.db = db;
  try {
    if (Status s = InitLogging("stationd", ready->log); !s.ok()) {
      std::cerr << "stationd: " << s.message() << "\n";
      return 2;
    }
    return RunStation(ready->daemon);
  } catch (const std::exception& e) {
    spdlog::critical("stationd failed: {}", e.what());
    return 1;
  }
}

}  // namespace station
