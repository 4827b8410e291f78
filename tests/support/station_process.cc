#include "tests/support/station_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"

namespace station::test {

const char* StationdPath() { return STATIOND_PATH; }
const char* DockPath() { return SCANNER_DOCK_PATH; }
const char* StationctlPath() { return STATIONCTL_PATH; }
const char* NationalSimPath() { return NATIONAL_SIM_PATH; }

namespace {

// Waits (bounded) for `process` to write its run file at `info_path` with
// its own pid; returns the endpoint under `key`.
std::string WaitForRunFile(ChildProcess& process, const std::string& info_path, const char* key,
                           const std::string& what, const std::string& log_path) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(info_path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      auto j = nlohmann::json::parse(text.str(), nullptr, false);
      if (!j.is_discarded() && j.value("pid", 0) == process.pid()) return j.value(key, std::string());
    }
    if (!process.Running()) throw std::runtime_error(what + " exited at start; see " + log_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error(what + " did not come up within 10 s");
}

// `argv` then `extra`, with --insecure unless `extra` holds kSecure.
void AddExtra(std::vector<std::string>& argv, const std::vector<std::string>& extra) {
  bool secure = false;
  for (const std::string& e : extra) {
    if (e == kSecure) {
      secure = true;
    } else {
      argv.push_back(e);
    }
  }
  if (!secure) argv.push_back("--insecure");
}

}  // namespace

RunningNational StartNational(const std::string& data_dir, const std::string& log_path, const std::string& listen,
                              const std::vector<std::string>& extra) {
  std::filesystem::create_directories(data_dir);
  const std::string info_path = data_dir + "/national-sim.json";
  std::filesystem::remove(info_path);
  std::vector<std::string> argv{NationalSimPath(), "--listen", listen, "--data-dir", data_dir};
  AddExtra(argv, extra);
  RunningNational running{Spawn(argv, log_path), "", ""};
  running.endpoint = WaitForRunFile(running.process, info_path, "listen", "national-sim", log_path);
  running.public_key = WaitForRunFile(running.process, info_path, "public_key", "national-sim", log_path);
  return running;
}

RunningStation StartStationd(const std::string& data_dir, const std::string& station, const std::string& log_path,
                             const char* program, const std::string& endpoint,
                             const std::vector<std::string>& extra) {
  std::filesystem::create_directories(data_dir);
  std::string info_path = data_dir + "/stationd.json";
  std::filesystem::remove(info_path);
  std::vector<std::string> argv{program ? program : StationdPath(), "--station", station, "--data-dir", data_dir,
                                "--ingest", endpoint};
  AddExtra(argv, extra);
  RunningStation running{Spawn(argv, log_path), ""};
  running.endpoint = WaitForRunFile(running.process, info_path, "ingest", "stationd", log_path);
  return running;
}

namespace {

// True when `port` can be bound on 127.0.0.1 right now.
bool CanBind(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// The first port the kernel hands out to outgoing connections.
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  in >> low;
  return low;
}

}  // namespace

int FreePort() {
  // Below the ephemeral range: the kernel never gives such a port to a
  // connect() of any process, so nothing can take it between this check
  // and the daemon's bind, or while the daemon is down between restarts,
  // and a client retrying it cannot connect to itself (a TCP self-connect
  // to a port nobody listens on). Only another test picking the same port
  // at once could; the pick is random over thousands.
  const int high = std::min(EphemeralLow(), 32768) - 1;
  const int low = 15000;
  if (high > low + 1000) {
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 100; ++attempt) {
      const int port = low + static_cast<int>(random() % static_cast<unsigned>(high - low));
      if (CanBind(port)) return port;
    }
  }
  throw std::runtime_error("no free loopback port below the ephemeral range");
}

int DockOnce(const std::string& endpoint, const std::string& spool, std::chrono::seconds timeout,
             const std::vector<std::string>& extra) {
  std::vector<std::string> argv{DockPath(), "--station", endpoint, "--spool", spool, "--once", "--log-level", "warn"};
  AddExtra(argv, extra);
  return RunCommand(argv, timeout).exit_code;
}

std::vector<std::string> FilesIn(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
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
  return QueryInt(data_dir, "SELECT count(*) FROM scans_full WHERE " + where);
}

long RssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

RunResult RunStationctl(const std::string& data_dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "TZ=CST-8", StationctlPath(), "--data-dir", data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, std::chrono::seconds(30));
}

}  // namespace station::test
