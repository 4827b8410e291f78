// stationd as a systemd service (issue 7 point 3) through the real binary:
// the sd_notify protocol seen from the service manager's side (a unix
// datagram socket named in NOTIFY_SOCKET), journal priorities on stderr,
// and the size-rotated log file.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "tests/support/child_process.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/text_file.h"
#include "tests/support/wait.h"

using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The service manager's end of sd_notify: a unix datagram socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd_ < 0 || path.size() >= sizeof addr.sun_path) throw std::runtime_error("notify socket " + path);
    path.copy(addr.sun_path, path.size());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("bind notify socket " + path);
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next datagram, or "" when none came within `timeout`.
  std::string Receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }
  // Datagrams until one holds `state` (a line such as "READY=1"), bounded by
  // `timeout`; that one, or "" when it did not come. Others go to `seen`.
  std::string WaitFor(const std::string& state, std::chrono::milliseconds timeout, std::vector<std::string>& seen) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      std::string message = Receive(left);
      if (message.empty()) return "";
      if (("\n" + message + "\n").find("\n" + state + "\n") != std::string::npos) return message;
      seen.push_back(message);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Sets environment variables for the children started in its lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// True when a TCP connection to 127.0.0.1:`port` is accepted now.
bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

int PortOf(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

}  // namespace

TEST_CASE("stationd tells systemd: READY=1 once its ports accept, WATCHDOG=1 while alive, STOPPING=1 at SIGTERM",
          "[integration][service]") {
  TempDir dir;
  NotifySocket notify(dir.Path("notify.sock"));
  const std::string data = dir.Path("data");
  ChildProcess stationd = [&] {
    ScopedEnv socket("NOTIFY_SOCKET", dir.Path("notify.sock"));
    ScopedEnv watchdog("WATCHDOG_USEC", "2000000");  // a ping at least every second
    ::unsetenv("WATCHDOG_PID");                      // (or our pid: the child's own is unknown yet)
    return Spawn(
        {StationdPath(), "--station", "571001", "--data-dir", data, "--ingest", "tcp://127.0.0.1:*", "--insecure"},
        dir.Path("stationd.log"));
  }();
  std::vector<std::string> before_ready;
  const std::string ready = notify.WaitFor("READY=1", 15s, before_ready);
  INFO(ReadText(dir.Path("stationd.log")));
  REQUIRE_FALSE(ready.empty());
  // Ready means ready: the run file is written and the dock port accepts.
  const auto run = nlohmann::json::parse(ReadText(data + "/stationd.json"), nullptr, false);
  REQUIRE_FALSE(run.is_discarded());
  CHECK(run.value("pid", 0) == stationd.pid());
  CHECK(Accepts(PortOf(run.value("ingest", std::string("tcp://127.0.0.1:0")))));
  CHECK(fs::exists(data + "/station.db"));
  CHECK_THAT(ready, Catch::Contains("STATUS=serving station 571001"));
  CHECK(before_ready.empty());  // nothing said before ready, no ping before it either

  // The watchdog keeps being fed while the daemon idles: three pings in 6 s
  // (one each second is due; the ingest loop wakes at least once a second).
  std::vector<std::string> others;
  for (int i = 0; i < 3; ++i) {
    INFO("ping " << i);
    CHECK(notify.WaitFor("WATCHDOG=1", 3s, others) == "WATCHDOG=1");
  }
  CHECK(others.empty());

  stationd.Signal(SIGTERM);
  std::vector<std::string> pings;
  const std::string stopping = notify.WaitFor("STOPPING=1", 10s, pings);
  CHECK_THAT(stopping, Catch::Contains("STOPPING=1"));
  CHECK_THAT(stopping, Catch::Contains("STATUS=stopping"));
  for (const std::string& p : pings) CHECK(p == "WATCHDOG=1");
  CHECK(stationd.Wait(15s) == 0);
}

TEST_CASE("under systemd's journal each stderr line of stationd starts with its syslog priority",
          "[integration][service]") {
  TempDir dir;
  // JOURNAL_STREAM names the stream stationd's stderr is connected to: the
  // log file made here, opened again (same inode) by the child.
  const std::string log = dir.Path("stationd.log");
  std::ofstream(log).close();
  struct stat st {};
  REQUIRE(::stat(log.c_str(), &st) == 0);
  RunningStation station = [&] {
    ScopedEnv journal("JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
    return StartStationd(dir.Path("data"), "571001", log);
  }();
  CHECK(station.process.Stop(15s) == 0);
  const std::string text = ReadText(log);
  INFO(text);
  // --insecure warns (<4>), start and stop are info (<6>); no timestamp,
  // the journal keeps its own.
  CHECK_THAT(text, Catch::StartsWith("<4>warning stationd: --insecure"));
  CHECK_THAT(text, Catch::Contains("\n<6>info stationd: stationd started station=571001"));
  CHECK_THAT(text, Catch::Contains("\n<6>info stationd: stationd stopped cleanly\n"));

  // Without the journal (JOURNAL_STREAM naming another stream, as a child
  // whose stderr was redirected inherits it) lines carry a timestamp instead.
  {
    const std::string plain_log = dir.Path("plain.log");
    RunningStation plain = [&] {
      ScopedEnv journal("JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
      return StartStationd(dir.Path("data"), "571001", plain_log);
    }();
    CHECK(plain.process.Stop(15s) == 0);
    const std::string plain_text = ReadText(plain_log);
    INFO(plain_text);
    CHECK_THAT(plain_text, !Catch::Contains("<6>"));
    CHECK_THAT(plain_text, Catch::Matches("^20[0-9-]{8} [0-9:.]{12} warning stationd: --insecure(.|\n)*"));
  }
}

TEST_CASE("stationd's log file is rotated by size and the number of files is bounded", "[integration][service]") {
  TempDir dir;
  const std::string logs = dir.Path("logs");
  auto station = StartStationd(
      dir.Path("data"), "571001", dir.Path("stderr.log"), nullptr, "tcp://127.0.0.1:*",
      {"--log-file", logs + "/stationd.log", "--log-max-mb", "0.01", "--log-files", "2", "--log-level", "trace"});
  // Each malformed message costs one warning line (~150 bytes): 300 of
  // them are about 45 KB, four times the 10 KiB limit.
  zmq::context_t context;
  zmq::socket_t client(context, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  client.set(zmq::sockopt::rcvtimeo, 5000);
  client.connect(station.endpoint);
  for (int i = 0; i < 300; ++i) {
    client.send(zmq::str_buffer("not a batch"), zmq::send_flags::none);
    zmq::message_t reply;
    REQUIRE(client.recv(reply));  // refused, and logged before the reply
  }
  CHECK(station.process.Stop(15s) == 0);

  const std::size_t limit = 10486;  // 0.01 MiB
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(logs)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"stationd.1.log", "stationd.2.log", "stationd.log"});
  for (const std::string& name : names) {
    INFO(name);
    CHECK(fs::file_size(logs + "/" + name) <= limit);
    CHECK(fs::file_size(logs + "/" + name) > 0);
  }
  // The oldest lines are gone, the newest are in the current file, and the
  // file holds the same lines as stderr (with the date and level).
  const std::string current = ReadText(logs + "/stationd.log");
  CHECK_THAT(current, Catch::Contains("info stationd: stationd stopped cleanly"));
  CHECK_THAT(ReadText(logs + "/stationd.2.log"), Catch::Contains("batch refused"));
  CHECK_THAT(ReadText(dir.Path("stderr.log")), Catch::Contains("stationd started"));
  CHECK_THAT(current + ReadText(logs + "/stationd.1.log") + ReadText(logs + "/stationd.2.log"),
             !Catch::Contains("stationd started"));
}
