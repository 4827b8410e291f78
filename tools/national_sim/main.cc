// national-sim: a stand-in for the carrier's national system (issue 3, in
// progress: uploads and queries so far). Thin: flags -> store -> server.
//
//   national-sim --listen ENDPOINT --data-dir DIR [--drop-replies PCT] [--exit-after N]
//   national-sim query --data-dir DIR [--waybill W] [--json]

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "scanner/command_line.h"
#include "tools/national_sim/national_server.h"

namespace po = boost::program_options;
using station::national::Faults;
using station::national::NationalServer;
using station::national::NationalStore;

namespace {

int Query(const std::string& data_dir, const std::string& waybill, bool as_json) {
  auto store = NationalStore::Open(data_dir + "/national.db", /*read_only=*/true);
  if (!store.ok()) {
    std::cerr << "national-sim: " << store.status().ToString() << "\n";
    return 1;
  }
  nlohmann::json out;
  if (!waybill.empty()) {
    auto history = (*store)->History(waybill);
    if (!history.ok()) {
      std::cerr << "national-sim: " << history.status().ToString() << "\n";
      return 1;
    }
    out["waybill"] = waybill;
    out["scans"] = nlohmann::json::array();
    for (const auto& [station, s] : *history) {
      out["scans"].push_back({{"station", station}, {"device", s.device}, {"batch", s.batch}, {"seq", s.seq},
                              {"type", s.type}, {"time", s.time}, {"courier", s.courier}});
    }
  } else {
    auto counts = (*store)->Counts();
    if (!counts.ok()) {
      std::cerr << "national-sim: " << counts.status().ToString() << "\n";
      return 1;
    }
    out["stations"] = nlohmann::json::object();
    for (const auto& [station, c] : *counts) {
      out["stations"][station] = {{"scans", c.scans}, {"duplicates_seen", c.duplicates_seen}, {"by_type", c.by_type}};
    }
  }
  if (as_json) {
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (out.contains("stations")) {
    for (const auto& [station, c] : out["stations"].items()) {
      std::cout << station << ": " << c["scans"] << " scans, " << c["duplicates_seen"] << " resends seen\n";
    }
  } else {
    for (const auto& s : out["scans"]) {
      std::cout << s["time"].get<std::string>() << "  " << s["station"].get<std::string>() << "  "
                << s["type"].get<std::string>() << "\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "tcp://127.0.0.1:7800", data_dir, waybill, log_level = "info";
  Faults faults;
  bool as_json = false;
  std::vector<std::string> words;
  po::options_description desc(
      "national-sim: a stand-in for the national system that stations upload to.\n\n"
      "Usage: national-sim --listen ENDPOINT --data-dir DIR [fault switches]\n"
      "       national-sim query --data-dir DIR [--waybill W] [--json]\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("listen", po::value(&listen)->default_value(listen), "endpoint to bind; tcp://127.0.0.1:* picks a port")
      ("data-dir", po::value(&data_dir), "folder for national.db and national-sim.json (required)")
      ("drop-replies", po::value(&faults.drop_replies_percent)->default_value(0),
       "fault: store each upload but drop this percentage of the replies")
      ("exit-after", po::value(&faults.exit_after)->default_value(0), "fault: exit after this many uploads")
      ("seed", po::value(&faults.seed)->default_value(1), "seed for the fault decisions")
      ("waybill", po::value(&waybill), "query: one waybill's scans")
      ("json", po::bool_switch(&as_json), "query: print JSON")
      ("log-level", po::value(&log_level)->default_value(log_level), "trace ... off");
  po::options_description hidden;
  hidden.add_options()("words", po::value(&words));
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "national-sim", desc, vm, &hidden)) return *exit_code;
  if (data_dir.empty()) return station::UsageError("national-sim", "--data-dir is required");
  if (!words.empty()) {
    if (words.size() == 1 && words[0] == "query") return Query(data_dir, waybill, as_json);
    return station::UsageError("national-sim", "unknown command '" + words[0] + "'");
  }
  if (faults.drop_replies_percent < 0 || faults.drop_replies_percent > 100 || faults.exit_after < 0) {
    return station::UsageError("national-sim", "--drop-replies is 0..100 and --exit-after not negative");
  }
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ national-sim: %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  auto stop_fd = station::OpenStopSignalFd();
  if (!stop_fd.ok()) {
    spdlog::critical("{}", stop_fd.status().ToString());
    return 1;
  }

  ::mkdir(data_dir.c_str(), 0750);
  auto store = NationalStore::Open(data_dir + "/national.db");
  if (!store.ok()) {
    spdlog::critical("cannot open national.db: {}", store.status().ToString());
    return 1;
  }
  zmq::context_t context(1);
  auto server = NationalServer::Start(context, **store, listen, faults);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  {
    // Where it listens, for tests and the demo (written whole, then renamed).
    std::string tmp = data_dir + "/national-sim.json.tmp";
    std::ofstream(tmp) << nlohmann::json{{"pid", ::getpid()}, {"listen", (*server)->endpoint()}}.dump() << "\n";
    std::rename(tmp.c_str(), (data_dir + "/national-sim.json").c_str());
  }
  spdlog::info("national-sim started listen={} data_dir={}", (*server)->endpoint(), data_dir);
  station::Status run = (*server)->Run(*stop_fd);
  std::remove((data_dir + "/national-sim.json").c_str());
  if (!run.ok()) {
    spdlog::warn("national-sim stopping: {}", run.ToString());
    return 3;
  }
  spdlog::info("national-sim stopped cleanly");
  return 0;
}
