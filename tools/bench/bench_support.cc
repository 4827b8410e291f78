#include "tools/bench/bench_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "daemon/run_file.h"
#include "daemon/sqlite.h"

extern char** environ;

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

Result<Child> Child::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Children start with no signal blocked, whatever this thread blocks.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::IOError("start " + argv[0], std::strerror(rc));
  return Child(pid);
}

bool Child::Running() {
  if (pid_ < 0 || reaped_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    reaped_ = true;
    return false;
  }
  return true;
}

int Child::ExitCode() const {
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return -WTERMSIG(status_);
  return -1;
}

int Child::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return kTimedOut;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ExitCode();
}

int Child::Stop(std::chrono::milliseconds grace) {
  if (Running()) ::kill(pid_, SIGTERM);
  int code = Wait(grace);
  if (code == kTimedOut) {
    Kill();
    code = ExitCode();
  }
  return code;
}

void Child::Kill() {
  if (pid_ < 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = status;
  reaped_ = true;
}

std::string MakeGunFile(const GunFileSpec& spec) {
  // Types whose extra fields are simple to fill; a dispatch needs a peer
  // station, a problem scan a reason.
  static const char* const kTypes[] = {"arrival", "unpack", "out_for_delivery", "signed", "held", "dispatch", "problem"};
  std::mt19937_64 rng(spec.seed);
  std::string text = "# device=" + spec.device + " courier=" + spec.courier + " station=" + spec.station +
                     " batch=" + spec.batch + "\n" + "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  text.reserve(text.size() + static_cast<std::size_t>(spec.rows) * 100);
  char row[256];
  for (int seq = 1; seq <= spec.rows; ++seq) {
    const std::string type = kTypes[rng() % 7];
    const bool moves = type == "arrival" || type == "dispatch";
    const char* reason = type == "problem" ? "unreachable" : "";
    const char* note = type == "signed" ? "本人签收" : (type == "problem" ? "\"电话未接, 明日再派\"" : "");
    std::snprintf(row, sizeof row, "%d,ZT%013llu,%s,2026-11-24T%02d:%02d:%02d+08:00,%s,BG%010llu,%d,%s,%s\n", seq,
                  static_cast<unsigned long long>(rng() % 10000000000000ULL), type.c_str(),
                  7 + static_cast<int>(rng() % 12), static_cast<int>(rng() % 60), static_cast<int>(rng() % 60),
                  moves ? "310001" : "", static_cast<unsigned long long>(rng() % 10000000000ULL),
                  static_cast<int>(50 + rng() % 30000), reason, note);
    text += row;
  }
  return text;
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".writing";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Status::IOError("write " + tmp, std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError("rename " + tmp, std::strerror(errno));
  return Status::OK();
}

Result<Station> StartStation(const std::string& stationd, const std::string& data_dir, const std::string& log) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return Status::IOError("create " + data_dir, error.message());
  auto child = Child::Start(
      {stationd, "--station", kStationCode, "--data-dir", data_dir, "--ingest", "tcp://127.0.0.1:*"}, log);
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

}  // namespace station::bench
