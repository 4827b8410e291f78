// national-sim: the reference implementation of the national side of the
// link (docs/protocol.md, "The national link"), for development and tests.
// Thin: flags -> store -> server, or one of the commands.
//
//   national-sim --listen ENDPOINT --data-dir DIR [--manifest FILE.csv]... [fault switches]
//   national-sim manifest-add --data-dir DIR FILE.csv [--json]
//   national-sim query --data-dir DIR [--station S] [--waybill W] [--json]

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "daemon/ops/logging.h"
#include "core/command_line.h"
#include "core/log_text.h"
#include "scanner/identifiers.h"
#include "security/key_file.h"
#include "security/key_store.h"
#include "security/link_security.h"
#include "security/zap_handler.h"
#include "tools/national_sim/commands.h"
#include "tools/national_sim/national_server.h"

namespace po = boost::program_options;
using station::national::Faults;
using station::national::NationalServer;
using station::national::NationalStore;

namespace {

constexpr const char* kProgram = "national-sim";

// Flags that only the server takes, and those only a command takes: given
// to the wrong one they would be silently ignored, so they are refused.
constexpr const char* kServerFlags[] = {"listen",    "manifest", "drop-replies", "refuse", "refuse-waybill",
                                        "exit-after", "silent-after", "silent-ms", "seed", "insecure"};

bool Given(const po::variables_map& vm, const char* name) { return vm.count(name) && !vm[name].defaulted(); }

// The usage error for the first flag of `flags` given where it does not belong, if any.
template <typename Flags>
std::optional<int> Misplaced(const po::variables_map& vm, const Flags& flags, const std::string& where) {
  for (const char* flag : flags) {
    if (Given(vm, flag)) return station::UsageError(kProgram, std::string("--") + flag + " is not for " + where);
  }
  return std::nullopt;
}

// Loads each manifest file given at start, logging what it took; false
// (after logging why) when one cannot be loaded.
bool LoadManifests(NationalStore& store, const std::vector<std::string>& manifests) {
  for (const std::string& file : manifests) {
    auto load = station::national::LoadManifestFile(store, file);
    if (!load.ok()) {
      spdlog::critical("cannot load manifest: {}", load.status().ToString());
      return false;
    }
    for (const station::ManifestProblem& p : load->rejected) {
      spdlog::warn("manifest row rejected file=\"{}\" line={} reason=\"{}\"", station::LogText(file), p.line,
                   station::LogText(p.reason));
    }
    spdlog::info("manifest loaded file={} added={} changed={} unchanged={} rejected={}", file, load->counts.added,
                 load->counts.changed, load->counts.unchanged, load->rejected.size());
  }
  return true;
}

// What CURVE needs on the server's side: the ZAP handler enforcing keys.db,
// the server's secret key, and its public key for the ready file.
struct Curve {
  std::unique_ptr<station::security::ZapHandler> zap;
  station::security::ServerSecurity security;
  std::string public_key;
};

// Sets up CURVE unless `insecure` or an ipc endpoint; false (after logging
// why) when it cannot. The ZAP handler is bound before the CURVE server
// binds (RFC 27).
bool SetUpCurve(zmq::context_t& context, const std::string& listen, const std::string& data_dir, bool insecure,
                station::security::SessionTracker& sessions, Curve& curve) {
  if (insecure) {
    spdlog::warn("--insecure: stations are NOT authenticated; development only");
    return true;
  }
  if (station::security::IsIpcEndpoint(listen)) return true;
  if (station::Status s = station::security::CheckLibzmqForCurve(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.ToString());
    return false;
  }
  bool created = false;
  auto own = station::security::LoadOrCreateKeyPair(data_dir + "/keys", "national", "the national system", &created);
  if (!own.ok()) {
    spdlog::critical("cannot start: {}", own.status().ToString());
    return false;
  }
  if (created) spdlog::info("created national's key pair in {}/keys; stations pin national.key", data_dir);
  auto started = station::security::ZapHandler::Start(
      context, station::security::KeyStorePath(data_dir),
      [&sessions](const std::string& station, const std::string& key, const std::vector<std::string>&) {
        spdlog::warn("security: closed {} connection(s) of station {}", sessions.Close(key), station);
      });
  if (!started.ok()) {
    spdlog::critical("cannot start: {}", started.status().ToString());
    return false;
  }
  curve.zap = std::move(*started);
  curve.security = {true, own->secret_key, station::security::kStationDomain};
  curve.public_key = own->public_key;
  return true;
}

// Where it listens, for tests and the demo (written whole, then renamed).
void WriteReadyFile(const std::string& data_dir, const std::string& endpoint, const std::string& public_key) {
  std::string tmp = data_dir + "/national-sim.json.tmp";
  std::ofstream(tmp) << nlohmann::json{{"pid", ::getpid()}, {"listen", endpoint}, {"public_key", public_key}}.dump()
                     << "\n";
  std::rename(tmp.c_str(), (data_dir + "/national-sim.json").c_str());
}

int Serve(const std::string& listen, const std::string& data_dir, const std::vector<std::string>& manifests,
          const Faults& faults, bool insecure) {
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
  // Loaded before the ready file is written, so the first sync sees them.
  if (!LoadManifests(**store, manifests)) return 1;
  zmq::context_t context(1);
  station::security::SessionTracker sessions;
  Curve curve;
  if (!SetUpCurve(context, listen, data_dir, insecure, sessions, curve)) return 1;
  auto server = NationalServer::Start(context, **store, listen, faults, curve.security);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  (*server)->SetAuthentication(curve.zap.get(), &sessions);
  WriteReadyFile(data_dir, (*server)->endpoint(), curve.public_key);
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

// The flags and words, as parsed.
struct Flags {
  std::string listen = "tcp://127.0.0.1:7800", data_dir, station_code, waybill, log_level = "info";
  std::vector<std::string> manifests;
  Faults faults;
  bool as_json = false;
  std::vector<std::string> words;
  bool insecure = false;
};

po::options_description Describe(Flags& flags) {
  Faults& faults = flags.faults;
  po::options_description desc(
      "national-sim: the national system's side of the link (uploads, sync, post), for development and tests.\n"
      "Stations connect with CURVE keys enrolled in DIR/keys.db (stationctl --data-dir DIR keys enroll ...);\n"
      "national's own key pair is DIR/keys/national.key(_secret), made on the first start.\n\n"
      "Usage: national-sim --listen ENDPOINT --data-dir DIR [--manifest FILE.csv]... [fault switches]\n"
      "       national-sim manifest-add --data-dir DIR FILE.csv [--json]\n"
      "       national-sim query --data-dir DIR [--station S] [--waybill W] [--json]\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("data-dir", po::value(&flags.data_dir), "folder for national.db and national-sim.json (required)")
      ("listen", po::value(&flags.listen)->default_value(flags.listen),
       "endpoint to bind; tcp://127.0.0.1:* picks a port")
      ("manifest", po::value(&flags.manifests)->composing(),
       "load this manifest CSV (DESIGN §8) at start; repeatable; bad rows are logged and skipped")
      ("drop-replies", po::value(&faults.drop_replies_percent)->default_value(0),
       "fault: handle (and store) each request but drop this percentage of the replies, 0..100")
      ("refuse", po::value(&faults.refuse_percent)->default_value(0),
       "fault: answer this percentage of requests \"Unavailable\" and store nothing, 0..100")
      ("refuse-waybill", po::value(&faults.refuse_waybills)->composing(),
       "fault: refuse every upload holding a scan of this waybill InvalidArgument (a poison upload); repeatable")
      ("exit-after", po::value(&faults.exit_after)->default_value(0),
       "fault: exit with code 3 after answering this many uploads (0: never)")
      ("silent-after", po::value(&faults.silent_after),
       "fault: after this many messages (0: from the start), read and answer nothing for --silent-ms, once")
      ("silent-ms", po::value(&faults.silent_ms), "fault: how long --silent-after stays silent, in milliseconds")
      ("seed", po::value(&faults.seed)->default_value(1), "seed for the fault decisions")
      ("insecure", po::bool_switch(&flags.insecure),
       "DEVELOPMENT ONLY: no CURVE; any client may speak as any station; loopback endpoints only")
      ("station", po::value(&flags.station_code), "query: only this station")
      ("waybill", po::value(&flags.waybill), "query: one waybill's scans")
      ("json", po::bool_switch(&flags.as_json), "query, manifest-add: print JSON")
      ("log-level", po::value(&flags.log_level)->default_value(flags.log_level),
       "trace, debug, info, warn, error, critical, off");
  return desc;
}

// `query` or `manifest-add`, the command in flags.words.
int RunCommand(const po::variables_map& vm, const Flags& flags) {
  const std::vector<std::string>& words = flags.words;
  const std::string& command = words[0];
  if (command != "query" && command != "manifest-add") {
    return station::UsageError(kProgram, "unknown command '" + command + "' (query, manifest-add)");
  }
  if (auto e = Misplaced(vm, kServerFlags, "'" + command + "'")) return *e;
  if (command == "query") {
    if (words.size() != 1) return station::UsageError(kProgram, "query takes no file or other word");
    if (!flags.station_code.empty() && !station::IsStationCode(flags.station_code)) {
      return station::UsageError(kProgram, "--station must be a six-digit station code");
    }
    return station::national::Query(flags.data_dir, flags.station_code, flags.waybill, flags.as_json);
  }
  if (auto e = Misplaced(vm, std::initializer_list<const char*>{"station", "waybill"}, "'manifest-add'")) return *e;
  if (words.size() != 2) return station::UsageError(kProgram, "manifest-add takes one manifest file");
  return station::national::ManifestAdd(flags.data_dir, words[1], flags.as_json);
}

// The server's flags checked; the exit code when they will not do.
std::optional<int> CheckServerFlags(const po::variables_map& vm, const Flags& flags) {
  const Faults& faults = flags.faults;
  if (auto e = Misplaced(vm, std::initializer_list<const char*>{"station", "waybill", "json"},
                         "the server (they are for query)")) {
    return *e;
  }
  if (faults.drop_replies_percent < 0 || faults.drop_replies_percent > 100) {
    return station::UsageError(kProgram, "--drop-replies is a percentage, 0..100");
  }
  if (faults.refuse_percent < 0 || faults.refuse_percent > 100) {
    return station::UsageError(kProgram, "--refuse is a percentage, 0..100");
  }
  if (faults.exit_after < 0) return station::UsageError(kProgram, "--exit-after must not be negative");
  if (vm.count("silent-after") != vm.count("silent-ms")) {
    return station::UsageError(kProgram, "--silent-after and --silent-ms go together");
  }
  if (vm.count("silent-after") && (faults.silent_after < 0 || faults.silent_ms <= 0)) {
    return station::UsageError(kProgram, "--silent-after must not be negative and --silent-ms must be positive");
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  po::options_description desc = Describe(flags);
  po::options_description hidden;
  hidden.add_options()("words", po::value(&flags.words));
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, kProgram, desc, vm, &hidden)) return *exit_code;
  if (flags.data_dir.empty()) return station::UsageError(kProgram, "--data-dir is required");
  if (!flags.words.empty()) return RunCommand(vm, flags);
  if (auto e = CheckServerFlags(vm, flags)) return *e;
  // The log goes to stderr like stationd's, so a query's stdout stays data.
  if (station::Status logging = station::InitLogging(kProgram, flags.log_level); !logging.ok()) {
    return station::UsageError(kProgram, logging.ToString());
  }
  if (flags.insecure) {
    if (station::Status s = station::security::CheckLoopbackOnly(flags.listen, "--listen"); !s.ok()) {
      return station::UsageError(kProgram, s.message());
    }
  }
  return Serve(flags.listen, flags.data_dir, flags.manifests, flags.faults, flags.insecure);
}
