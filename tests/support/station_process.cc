#include "tests/support/station_process.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "daemon/run_file.h"
#include "daemon/sqlite.h"

namespace station::test {

const char* StationdPath() { return STATIOND_PATH; }
const char* DockPath() { return SCANNER_DOCK_PATH; }
const char* StationctlPath() { return STATIONCTL_PATH; }

RunningStation StartStationd(const std::string& data_dir, const std::string& station, const std::string& log_path,
                             const char* program) {
  std::filesystem::create_directories(data_dir);
  std::string info_path = data_dir + "/stationd.json";
  std::filesystem::remove(info_path);
  RunningStation running{ChildProcess::Start({program ? program : StationdPath(), "--station", station,
                                              "--data-dir", data_dir, "--ingest", "tcp://127.0.0.1:*"},
                                             log_path),
                         ""};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(info_path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      auto j = nlohmann::json::parse(text.str(), nullptr, false);
      if (!j.is_discarded() && j.value("pid", 0) == running.process.pid()) {
        running.endpoint = j.value("ingest", std::string());
        return running;
      }
    }
    if (!running.process.running()) throw std::runtime_error("stationd exited at start; see " + log_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("stationd did not come up within 10 s");
}

std::int64_t QueryInt(const std::string& data_dir, const std::string& query) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  if (!db.ok()) throw std::runtime_error(db.status().ToString());
  auto v = db->QueryInt(query.c_str());
  if (!v.ok()) throw std::runtime_error(v.status().ToString());
  return *v;
}

std::int64_t CountScans(const std::string& data_dir, const std::string& where) {
  return QueryInt(data_dir, "SELECT count(*) FROM scans WHERE " + where);
}

}  // namespace station::test
