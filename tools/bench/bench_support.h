#pragma once
// What the benchmarks share: the start and end of a run (programs checked,
// a temp folder, exit codes), a stationd or national-sim to measure, and
// figures printed alike. Processes and gun files come from tools/sim,
// shared with tests.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "tools/sim/child_process.h"
#include "tools/sim/gun_files.h"

namespace station::bench {

using sim::ChildProcess;
using sim::GunFileSpec;
using sim::MakeGunFile;
using sim::WriteFileAtomically;

// A fresh folder under /tmp, removed with everything in it when the object
// dies (unless keep() was called).
class TempDir {
 public:
  // kIOError when the folder cannot be made.
  static Result<TempDir> Create(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) { other.path_.clear(); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string Path(const std::string& name) const { return path_ + "/" + name; }
  void keep() { keep_ = true; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool keep_ = false;
};

// A stationd started on tcp://127.0.0.1:* over its own data folder.
struct Station {
  sim::ChildProcess process;
  std::string data_dir;
  std::string endpoint;  // the bound ingest endpoint
};
inline constexpr const char* kStationCode = "571001";

// How a benchmark's stationd meets its docks: kCurve as shipped (CurveZMQ,
// the ZAP handler enforcing keys.db), kInsecure with --insecure (loopback,
// no keys), the development mode the benchmarks used before issue 6.
enum class Link { kInsecure, kCurve };

// Starts `stationd` for kStationCode over `data_dir` (created) with `extra`
// flags, its output appended to `log`, and waits at most 10 s until it says
// where it listens. With kCurve the keys must be in place first
// (ProvisionKeys); stationd would make its own pair, but no gun could dock.
Result<Station> StartStation(const std::string& stationd, const std::string& data_dir, const std::string& log,
                             const std::vector<std::string>& extra = {}, Link link = Link::kInsecure);

// What scanner-dock needs to dock at a kCurve stationd (ProvisionKeys).
struct StationKeys {
  std::string station_public;            // DATA/keys/station.key: scanner-dock --station-key
  std::vector<std::string> gun_secrets;  // GUN.key_secret a device, in the order given: scanner-dock --key
};

// Provisions a fresh station folder for a kCurve stationd, as a station
// is set up: the station's key pair at `data_dir`/keys/station (folder mode
// 0700, made before the start so the docks can be given its public key),
// and for each of `devices` a gun key pair in `gun_key_dir` (created),
// enrolled for that device in `data_dir`/keys.db. kConflict when a key
// file exists already: call it on fresh folders only.
Result<StationKeys> ProvisionKeys(const std::string& data_dir, const std::vector<std::string>& devices,
                                  const std::string& gun_key_dir);

// A national-sim started on tcp://127.0.0.1:* over its own data folder.
struct National {
  sim::ChildProcess process;
  std::string data_dir;
  std::string endpoint;
};
// Starts `national_sim` over `data_dir` with `extra` flags and waits at most
// 10 s until it has written where it listens.
Result<National> StartNational(const std::string& national_sim, const std::string& data_dir, const std::string& log,
                               const std::vector<std::string>& extra = {});

// True once stationd's background waybill index has caught up with the
// newest scan in `data_dir` (read-only opens beside the running stationd).
Result<bool> IndexCaughtUp(const std::string& data_dir);

// Scans stored in the station database of `data_dir` (a read-only open,
// beside the running stationd).
Result<std::int64_t> CountScans(const std::string& data_dir);

// 1234567 -> "1,234,567".
std::string WithThousands(std::int64_t n);

// Seconds of a steady-clock duration.
double Seconds(std::chrono::steady_clock::duration d);
// `v` with `decimals` digits after the point.
std::string Fixed(double v, int decimals);
// The median of `v` (the mean of the middle two for an even count).
double Median(std::vector<double> v);
// Reports a failed measurement of `program` and keeps the temp folder for a
// look; returns 1, the benchmarks' exit code for it.
int Fail(const char* program, TempDir& dir, const std::string& what, const Status& status);

// Checks that each of `programs` can be run. When one cannot, prints
// "PROGRAM: cannot run PATH (see FLAGS)" and returns 2, the exit code for
// bad arguments; nullopt when all can.
std::optional<int> CheckPrograms(const char* program, std::initializer_list<const std::string*> programs,
                                 const char* flags);
// The run's temp folder, /tmp/PROGRAM-XXXXXX, kept at the end when `keep`.
// When it cannot be made, prints why and returns nullopt (exit code 1).
std::optional<TempDir> MakeRunDir(const char* program, bool keep);
// Measures one round in `round_dir`; on failure, names in `failed` what failed.
using RoundMeasure = std::function<Status(const std::string& round_dir, int round, std::string& failed)>;
// Runs rounds 1 to `rounds`, each in a fresh folder DIR/roundN (made with
// the folder `sub` inside it, if given), removed after its round unless
// `keep`. Returns 0, or 1 after reporting the first failure as Fail does.
int RunRounds(const char* program, TempDir& dir, int rounds, bool keep, const std::string& sub,
              const RoundMeasure& measure);
// The end of a run: says where the folder was kept, if it was; returns the
// exit code, 0 when every target was met and 3 when one was missed.
int Finish(const TempDir& dir, bool keep, bool targets_met);
// A benchmark's main(): runs `bench_main`; an exception escaping it is
// printed as "PROGRAM: what" and gives exit code 1.
int RunMain(const char* program, int (*bench_main)(int, char**), int argc, char** argv);

}  // namespace station::bench
