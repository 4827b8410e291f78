#include "tools/bench/bench_support.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "security/curve_key.h"
#include "security/key_file.h"
#include "security/key_store.h"

namespace station::bench {

Result<TempDir> TempDir::Create(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return Status::IOError("mkdtemp " + pattern, std::strerror(errno));
  return TempDir(pattern);
}

TempDir::~TempDir() {
  if (path_.empty() || keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Result<Station> StartStation(const std::string& stationd, const std::string& data_dir, const std::string& log,
                             const std::vector<std::string>& extra, Link link) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return Status::IOError("create " + data_dir, error.message());
  std::vector<std::string> argv{stationd, "--station", kStationCode, "--data-dir", data_dir, "--ingest",
                                "tcp://127.0.0.1:*"};
  if (link == Link::kInsecure) argv.push_back("--insecure");
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = sim::ChildProcess::Start(argv, log);
  if (!child.ok()) return child.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = FindRunningDaemon(data_dir);
    if (info.ok() && info->pid == child->pid() && !info->ingest.empty()) {
      return Station{std::move(*child), data_dir, info->ingest};
    }
    if (!child->Running()) {
      return Status::Unavailable("stationd", "exited at start with " + std::to_string(child->ExitCode()) +
                                                 "; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Unavailable("stationd", "not listening within 10 s; see " + log);
}

Result<StationKeys> ProvisionKeys(const std::string& data_dir, const std::vector<std::string>& devices,
                                  const std::string& gun_key_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (!error) std::filesystem::create_directories(gun_key_dir, error);
  if (error) return Status::IOError("create " + data_dir + ", " + gun_key_dir, error.message());
  // stationd's own folder and name (daemon.cc): it loads this pair at start
  // instead of making one.
  const std::string key_dir = data_dir + "/keys";
  if (::mkdir(key_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("key folder " + key_dir, std::strerror(errno));
  }
  auto own = security::NewCurveKeyPair();
  if (!own.ok()) return own.status();
  const std::string label = std::string("station ") + kStationCode;
  if (Status s = security::WriteKeyFiles(key_dir + "/station", *own, label); !s.ok()) return s;

  StationKeys keys;
  keys.station_public = key_dir + "/station.key";
  auto store = security::KeyStore::Open(security::KeyStorePath(data_dir));
  if (!store.ok()) return store.status();
  for (const std::string& device : devices) {
    auto gun = security::NewCurveKeyPair();
    if (!gun.ok()) return gun.status();
    const std::string base = gun_key_dir + "/" + device;
    if (Status s = security::WriteKeyFiles(base, *gun, "gun " + device); !s.ok()) return s;
    if (Status s = store->Enroll(gun->public_key, security::KeyRole::kGun, device, "bench", NowMs()); !s.ok()) {
      return s;
    }
    keys.gun_secrets.push_back(base + ".key_secret");
  }
  return keys;
}

Result<National> StartNational(const std::string& national_sim, const std::string& data_dir, const std::string& log,
                               const std::vector<std::string>& extra) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return Status::IOError("create " + data_dir, error.message());
  const std::string run_file = data_dir + "/national-sim.json";
  std::filesystem::remove(run_file, error);
  std::vector<std::string> argv{national_sim, "--insecure", "--listen", "tcp://127.0.0.1:*", "--data-dir", data_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto child = sim::ChildProcess::Start(argv, log);
  if (!child.ok()) return child.status();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(run_file);
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (!j.is_discarded() && j.value("pid", 0) == child->pid()) {
      return National{std::move(*child), data_dir, j.value("listen", std::string())};
    }
    if (!child->Running()) {
      return Status::Unavailable("national-sim", "exited at start with " + std::to_string(child->ExitCode()) +
                                                     "; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return Status::Unavailable("national-sim", "not listening within 10 s; see " + log);
}

Result<bool> IndexCaughtUp(const std::string& data_dir) {
  sql::OpenOptions read_only;
  read_only.read_only = true;
  auto station = sql::Db::Open(data_dir + "/station.db", read_only);
  if (!station.ok()) return station.status();
  auto top = station->QueryInt("SELECT coalesce(max(id), 0) FROM scans");
  if (!top.ok()) return top.status();
  // A stationd just started may not have made the file or its table yet.
  if (!std::filesystem::exists(data_dir + "/waybills.db")) return false;
  auto index = sql::Db::Open(data_dir + "/waybills.db", read_only);
  if (!index.ok()) return index.status();
  auto made = index->QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'indexed_upto'");
  if (!made.ok()) return made.status();
  if (*made == 0) return false;
  auto upto = index->QueryInt("SELECT upto FROM indexed_upto");
  if (!upto.ok()) return upto.status();
  return *upto >= *top;
}

Result<std::int64_t> CountScans(const std::string& data_dir) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  if (!db.ok()) return db.status();
  return db->QueryInt("SELECT count(*) FROM scans");
}

std::string WithThousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Fail(const char* program, TempDir& dir, const std::string& what, const Status& status) {
  dir.keep();
  std::cerr << program << ": " << what << ": " << status.ToString() << "\n"
            << program << ": databases and logs kept in " << dir.path() << "\n";
  return 1;
}

std::optional<int> CheckPrograms(const char* program, std::initializer_list<const std::string*> programs,
                                 const char* flags) {
  for (const std::string* path : programs) {
    if (::access(path->c_str(), X_OK) != 0) {
      std::cerr << program << ": cannot run " << *path << " (see " << flags << ")\n";
      return 2;
    }
  }
  return std::nullopt;
}

std::optional<TempDir> MakeRunDir(const char* program, bool keep) {
  auto dir = TempDir::Create(program);
  if (!dir.ok()) {
    std::cerr << program << ": " << dir.status().ToString() << "\n";
    return std::nullopt;
  }
  if (keep) dir->keep();
  return std::move(*dir);
}

int RunRounds(const char* program, TempDir& dir, int rounds, bool keep, const std::string& sub,
              const RoundMeasure& measure) {
  for (int round = 1; round <= rounds; ++round) {
    const std::string round_dir = dir.Path("round" + std::to_string(round));
    std::error_code error;
    std::filesystem::create_directories(sub.empty() ? round_dir : round_dir + "/" + sub, error);
    if (error) return Fail(program, dir, "create " + round_dir, Status::IOError(error.message()));
    std::string failed;
    if (Status s = measure(round_dir, round, failed); !s.ok()) return Fail(program, dir, failed, s);
    if (!keep) std::filesystem::remove_all(round_dir, error);
  }
  return 0;
}

int Finish(const TempDir& dir, bool keep, bool targets_met) {
  if (keep) std::cout << "kept " << dir.path() << "\n";
  return targets_met ? 0 : 3;
}

int RunMain(const char* program, int (*bench_main)(int, char**), int argc, char** argv) {
  try {
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace station::bench
