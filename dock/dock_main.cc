// scanner-dock: the dock agent. Thin: flags -> DockOptions -> RunDockAgent.

#include <iostream>
#include <optional>
#include <string>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "core/command_line.h"
#include "dock/dock_agent.h"
#include "security/key_file.h"

namespace po = boost::program_options;

namespace {

// The flags, as parsed; some become DockOptions only once checked.
struct DockFlags {
  station::DockOptions options;
  int ack_timeout_ms = static_cast<int>(options.ack_timeout.count());
  int give_up_s = static_cast<int>(options.give_up.count() / 1000);
  std::string log_level = "info";
  std::string station_key, key_file;
  bool insecure = false;
};

po::options_description Describe(DockFlags& flags) {
  station::DockOptions& options = flags.options;
  po::options_description desc(
      "scanner-dock: sends docked guns' batch files to stationd.\n\n"
      "Usage: scanner-dock --station ENDPOINT --station-key FILE --key FILE --spool DIR [--once]\n\n"
      "The connection is authenticated and encrypted with CURVE: --key is this gun's secret key file, enrolled\n"
      "at the station (stationctl keys enroll), --station-key the station's public key (DATA_DIR/keys/station.key).\n"
      "Files named *.csv in DIR are sent; acknowledged ones move to DIR/done/\n"
      "(with NAME.ack.json), ones refused whole to DIR/rejected/ (with NAME.why).\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("station", po::value(&options.endpoint), "stationd's ingest endpoint, e.g. tcp://127.0.0.1:7701 (required)")
      ("station-key", po::value(&flags.station_key), "the station's public key: its .key file or the 40-character Z85 text")
      ("key", po::value(&flags.key_file), "this gun's secret key file (NAME.key_secret, mode 0600)")
      ("insecure", po::bool_switch(&flags.insecure),
       "DEVELOPMENT ONLY: no CURVE, for a stationd started with --insecure; loopback endpoints only")
      ("spool", po::value(&options.spool), "the spool folder (required)")
      ("once", po::bool_switch(&options.once), "send what is there and exit: 0 when all was acknowledged")
      ("part-rows", po::value(&options.part_rows)->default_value(options.part_rows), "rows a message")
      ("window", po::value(&options.window)->default_value(options.window), "messages in flight")
      ("ack-timeout-ms", po::value(&flags.ack_timeout_ms)->default_value(flags.ack_timeout_ms),
       "resend a message unanswered this long")
      ("give-up-s", po::value(&flags.give_up_s)->default_value(flags.give_up_s),
       "with --once: stop when nothing was acknowledged for this long")
      ("log-level", po::value(&flags.log_level)->default_value(flags.log_level), "trace ... off");
  return desc;
}

// Checks the flags and completes flags.options (keys, timeouts). Returns
// the exit code when they will not do.
std::optional<int> CheckFlags(DockFlags& flags) {
  station::DockOptions& options = flags.options;
  if (options.endpoint.empty()) return station::UsageError("scanner-dock", "--station ENDPOINT is required");
  if (options.spool.empty()) return station::UsageError("scanner-dock", "--spool DIR is required");
  if (options.part_rows < 1 || options.part_rows > 50000 || options.window < 1 || options.window > 256 ||
      flags.ack_timeout_ms < 10 || flags.give_up_s < 1) {
    return station::UsageError("scanner-dock",
                               "--part-rows 1..50000, --window 1..256, --ack-timeout-ms >= 10, --give-up-s >= 1");
  }
  if (flags.insecure) {
    if (flags.station_key.size() || flags.key_file.size()) {
      return station::UsageError("scanner-dock", "--insecure takes no --station-key or --key");
    }
    if (auto s = station::security::CheckLoopbackOnly(options.endpoint, "--station"); !s.ok()) {
      return station::UsageError("scanner-dock", s.message());
    }
  } else if (!station::security::IsIpcEndpoint(options.endpoint)) {
    if (flags.station_key.empty() || flags.key_file.empty()) {
      return station::UsageError("scanner-dock",
                                 "--station-key and --key are required (or --insecure against a development stationd)");
    }
    auto server_key = station::security::ReadPublicKey(flags.station_key);
    if (!server_key.ok()) return station::UsageError("scanner-dock", "--station-key: " + server_key.status().message());
    auto own = station::security::ReadSecretKeyFile(flags.key_file);
    if (!own.ok()) return station::UsageError("scanner-dock", "--key: " + own.status().message());
    options.security = {true, *server_key, *own};
  }
  options.ack_timeout = std::chrono::milliseconds(flags.ack_timeout_ms);
  options.give_up = std::chrono::seconds(flags.give_up_s);
  return std::nullopt;
}

// Prints what the run did; returns the exit code it means.
int ReportRun(const station::DockReport& report) {
  std::cout << "files acknowledged " << report.files_done << ", rejected " << report.files_rejected
            << ", unfinished " << report.files_unfinished << "; rows accepted " << report.accepted
            << ", duplicates " << report.duplicates << ", bad rows " << report.rejected_rows << ", conflicts "
            << report.conflicts << ", parts refused " << report.refused_parts << "\n";
  if (report.handshake_failed) {
    std::cerr << "scanner-dock: could not connect securely to stationd: the station key given with --station-key is "
                 "most likely not this station's (compare it with keys/station.key in the station's data folder); "
                 "its files stay in the spool\n";
    return 3;
  }
  if (report.key_refused) {
    std::cerr << "scanner-dock: stationd refused this gun (key not enrolled or revoked, or batches of another "
                 "gun); its files stay in the spool\n";
    return 3;
  }
  return (report.files_rejected == 0 && report.files_unfinished == 0 && report.refused_parts == 0) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  DockFlags flags;
  po::options_description desc = Describe(flags);
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "scanner-dock", desc, vm)) return *exit_code;
  if (auto exit_code = CheckFlags(flags)) return *exit_code;

  auto logger = spdlog::default_logger();
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ scanner-dock: %v");
  auto level = spdlog::level::from_str(flags.log_level);
  spdlog::set_level(level);

  auto stop_fd = station::OpenStopSignalFd();
  if (!stop_fd.ok()) {
    std::cerr << "scanner-dock: " << stop_fd.status().ToString() << "\n";
    return 1;
  }

  try {
    auto report = station::RunDockAgent(flags.options, *stop_fd);
    if (!report.ok()) {
      std::cerr << "scanner-dock: " << report.status().ToString() << "\n";
      return 1;
    }
    return ReportRun(*report);
  } catch (const std::exception& e) {
    std::cerr << "scanner-dock: " << e.what() << "\n";
    return 1;
  }
}
