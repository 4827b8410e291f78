#pragma once
// stationd and scanner-dock as real processes for integration tests.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace station::test {

// Pass kSecure among the `extra` arguments of StartStationd, StartNational
// or DockOnce to run the program as shipped, with CURVE (its keys then
// come from the test). Without it they run with --insecure, the explicit
// development switch: most tests are about storage and the protocol, and
// security.cc is about security.
inline constexpr const char* kSecure = "(secure)";

// Paths of the built programs, from CMake.
const char* StationdPath();
const char* DockPath();
const char* StationctlPath();

// Starts stationd on tcp://127.0.0.1:* for `station` over `data_dir`, and
// waits (bounded) until it has written its bound endpoint. Throws on timeout.
struct RunningStation {
  ChildProcess process;
  std::string endpoint;
};
RunningStation StartStationd(const std::string& data_dir, const std::string& station = "571001",
                             const std::string& log_path = "", const char* program = nullptr,
                             const std::string& endpoint = "tcp://127.0.0.1:*",
                             const std::vector<std::string>& extra = {});

// national-sim as a real process on `listen`, over `data_dir`; waits
// (bounded) until it has written where it listens. Throws on timeout.
struct RunningNational {
  ChildProcess process;
  std::string endpoint;
  std::string public_key;  // national's (Z85), when started with kSecure
};
const char* NationalSimPath();
RunningNational StartNational(const std::string& data_dir, const std::string& log_path = "",
                              const std::string& listen = "tcp://127.0.0.1:*",
                              const std::vector<std::string>& extra = {});

// A loopback TCP port free right now, below the kernel's ephemeral range,
// for a daemon that must come back on the same endpoint after a restart, or
// whose clients start first. Throws when none is found.
int FreePort();

// Runs scanner-dock --once over `spool` against `endpoint`; its exit code.
int DockOnce(const std::string& endpoint, const std::string& spool, std::chrono::seconds timeout,
             const std::vector<std::string>& extra = {});

// The files in `dir` whose names end with `suffix`.
std::vector<std::string> FilesIn(const std::string& dir, const std::string& suffix);

// A process's resident memory in kB (VmRSS), or -1 when it is gone.
long RssKb(int pid);

// stationctl over `data_dir` with `args`, in China's time zone (TZ=CST-8)
// so the local times it prints are known; bounded to 30 s.
RunResult RunStationctl(const std::string& data_dir, const std::vector<std::string>& args);

// Scans stored in the station database of `data_dir` (read-only open).
std::int64_t CountScans(const std::string& data_dir, const std::string& where = "1");
// One integer from a query against the station database.
std::int64_t QueryInt(const std::string& data_dir, const std::string& sql);

}  // namespace station::test
