// stationctl: the clerk's command line. Thin: flags -> CtlOptions -> command.

#include <clocale>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/command_line.h"
#include "tools/stationctl/commands.h"
#include "tools/stationctl/discrepancies.h"
#include "tools/stationctl/alerts.h"
#include "tools/stationctl/backup.h"
#include "tools/stationctl/prune.h"
#include "tools/stationctl/keys.h"
#include "tools/stationctl/problem_requests.h"
#include "tools/stationctl/problems.h"
#include "tools/stationctl/reconcile.h"
#include "tools/stationctl/upload.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "stationctl: the station clerk's command line.\n\n"
    "Usage: stationctl [--data-dir DIR] COMMAND [ARGS] [--json]\n\n"
    "Commands:\n"
    "  status            daemon, scans by type, quarantined records, last dock per device and courier\n"
    "  scans WAYBILL     one parcel's history at this station (and its bags')\n"
    "  quarantine        records set aside, with their reasons [--kind invalid|conflict|batch|manifest] [--limit N]\n"
    "  discrepancies     what reconciliation found; only open and notified ones unless --state says otherwise\n"
    "                    [--kind missing|missing_bag|surplus|misrouted|duplicate_arrival] [--origin CODE]\n"
    "                    [--state open|notified|resolved|closed|all] [--limit N]\n"
    "                    [--csv FILE [--force]]: every match to FILE, UTF-8 with BOM for Excel\n"
    "  discrepancies close ID --note TEXT [--by NAME]\n"
    "                    close an open or notified one with the clerk's note (reconciliation then leaves\n"
    "                    it closed); NAME defaults to $USER, else clerk\n"
    "  problems          problem parcels (问题件): the cases at this station, those not closed unless --state\n"
    "                    says otherwise [--state open|notified|answered|closed|all] [--reason R] [--limit N]\n"
    "                    [--overdue]: only cases past a deadline (answer, close); stationd escalates them\n"
    "                    [--csv FILE [--force]]: every match to FILE, UTF-8 with BOM; phone numbers masked\n"
    "  problems show CASE\n"
    "                    one case: its fields, the origin's new phone number in full, the whole audit trail\n"
    "  problems open WAYBILL --reason R [--note TEXT] [--by NAME]\n"
    "                    report a problem parcel; R: wrong_phone, unreachable, out_of_area, refused_pickup,\n"
    "                    address_unclear, damaged, missent, refused. Opens a case (or adds to the parcel's\n"
    "                    open one) and stationd sends it to the origin station\n"
    "  problems close CASE --note TEXT [--by NAME]\n"
    "                    close a case by hand (a claim, or work done without its scan)\n"
    "  alerts            what other stations reported about parcels this station shipped: problem parcels\n"
    "                    waiting for this station's answer, parcels missing or arrived late\n"
    "                    [--limit N]: at most N lines of each\n"
    "  alerts answer CASE --resolution R [--phone N] [--address TEXT] [--note TEXT] [--by NAME]\n"
    "                    answer a problem alert; R: new_phone (with --phone), new_address (with --address),\n"
    "                    redeliver, retry_later, self_pickup, transfer_out, forward, return_to_sender,\n"
    "                    rewrap_deliver, claim\n"
    "  reconcile         run a reconciliation now (arrivals against the manifest) and show what it found\n"
    "                    [--timeout SEC]\n"
    "  upload            upload to the national system now, with a progress bar until every scan is up\n"
    "                    [--no-wait] [--timeout SEC]; exit 2 if scans are still waiting at the timeout\n"
    "  keys create NAME [--out DIR]\n"
    "                    make a CURVE key pair for a gun (NAME: its device id) or a station (its code):\n"
    "                    DIR/NAME.key (public) and DIR/NAME.key_secret (secret, mode 0600)\n"
    "  keys enroll FILE --gun DEVICE | --station CODE\n"
    "                    let this key in: a gun at a station's --data-dir, a station at national-sim's;\n"
    "                    FILE is a .key file or the 40-character key itself\n"
    "  keys list         every key enrolled in --data-dir, active and revoked, and the folder's own public key\n"
    "  keys revoke NAME|KEY\n"
    "                    refuse this gun's (or station's) keys from now on; a running daemon closes their\n"
    "                    connections within a second, no restart\n"
    "  backup FOLDER     a consistent copy of the data folder (station.db, keys.db, keys/) into the new\n"
    "                    FOLDER, also while stationd runs; restore: docs/operations.md\n"
    "  prune --before DATE\n"
    "                    remove scans received before DATE (YYYY-MM-DD) that national holds, never one\n"
    "                    younger than stationd's --retention-days (365) [--timeout SEC]\n"
    "  manifest import FILE.csv\n"
    "                    load a national manifest file into the running stationd (when the link is down);\n"
    "                    bad rows are listed with their lines; exit 1 if any\n\n"
    "Options";

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");  // display widths of Chinese text
  station::CtlOptions options;
  const char* env_dir = std::getenv("STATION_DATA_DIR");
  options.data_dir = env_dir ? env_dir : "station-data";
  std::vector<std::string> words;

  po::options_description desc(kUsage);
  desc.add_options()
      ("help,h", "show this help and exit")
      ("data-dir", po::value(&options.data_dir),
       "the station's data folder (default: $STATION_DATA_DIR, else ./station-data)")
      ("json", po::bool_switch(&options.json), "print JSON for scripts instead of a table")
      ("kind", po::value(&options.kind), "quarantine, discrepancies: only this kind")
      ("limit", po::value(&options.limit)->default_value(options.limit),
       "quarantine, discrepancies, problems: at most N rows; alerts: at most N lines of each kind (0: all)")
      ("origin", po::value(&options.origin), "discrepancies: only those from this origin station (six digits)")
      ("state", po::value(&options.state),
       "discrepancies: open, notified, resolved, closed or all (default: open and notified); "
       "problems: open, notified, answered, closed or all (default: all but closed)")
      ("reason", po::value(&options.reason)->value_name("R"),
       "problems: only this problem reason; problems open: the reason reported")
      ("overdue", po::bool_switch(&options.overdue), "problems: only cases past a deadline")
      ("csv", po::value(&options.csv)->value_name("FILE"),
       "discrepancies, problems: write every match to FILE (no --limit), UTF-8 with BOM")
      ("force", po::bool_switch(&options.force), "--csv: overwrite FILE if it exists")
      ("note", po::value<std::string>()->value_name("TEXT"),
       "discrepancies close, problems close (required), problems open, alerts answer: the clerk's note "
       "(at most 1000 bytes)")
      ("by", po::value<std::string>()->value_name("NAME"),
       "discrepancies close, problems open/close, alerts answer: who does it (default: $USER, else clerk)")
      ("resolution", po::value(&options.resolution)->value_name("R"), "alerts answer: the origin station's answer")
      ("phone", po::value(&options.phone)->value_name("N"), "alerts answer new_phone: the recipient's new number")
      ("address", po::value(&options.address)->value_name("TEXT"),
       "alerts answer new_address: the corrected address")
      ("no-wait", po::bool_switch(&options.no_wait), "upload: ask and return at once")
      ("out", po::value(&options.key_out)->value_name("DIR"), "keys create: the folder for the key files (default: .)")
      ("gun", po::value(&options.gun)->value_name("DEVICE"), "keys enroll: the key is this gun's (its device id)")
      ("station", po::value(&options.station)->value_name("CODE"), "keys enroll: the key is this station's")
      ("before", po::value(&options.before)->value_name("DATE"),
       "prune: scans received before this day (YYYY-MM-DD, local time) or instant may go")
      ("timeout", po::value(&options.timeout_s)->default_value(options.timeout_s),
       "upload, reconcile, prune: stop waiting after this many seconds");
  po::options_description hidden;
  hidden.add_options()("words", po::value(&words));
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "stationctl", desc, vm, &hidden)) return *exit_code;
  if (words.empty()) {
    return station::UsageError("stationctl",
                               "a command is required: status, scans, quarantine, discrepancies, problems, alerts, reconcile, upload, backup, prune,"
                               " keys or manifest import");
  }
  if (vm.count("note")) options.note = vm["note"].as<std::string>();
  if (vm.count("by")) options.by = vm["by"].as<std::string>();
  const std::string& command = words[0];
  if (command == "status" && words.size() == 1) return station::CmdStatus(options);
  if (command == "scans" && words.size() == 2) return station::CmdScans(options, words[1]);
  if (command == "quarantine" && words.size() == 1) return station::CmdQuarantine(options);
  if (command == "discrepancies" && words.size() == 1) return station::CmdDiscrepancies(options);
  if (command == "discrepancies" && words.size() == 3 && words[1] == "close") {
    return station::CmdDiscrepancyClose(options, words[2]);
  }
  if (command == "problems" && words.size() == 1) return station::CmdProblems(options);
  if (command == "problems" && words.size() == 3 && words[1] == "show") {
    return station::CmdProblemShow(options, words[2]);
  }
  if (command == "problems" && words.size() == 3 && words[1] == "open") {
    return station::CmdProblemOpen(options, words[2]);
  }
  if (command == "problems" && words.size() == 3 && words[1] == "close") {
    return station::CmdProblemClose(options, words[2]);
  }
  if (command == "problems") {
    return station::UsageError("stationctl",
                               "usage: problems [--state S] [--reason R] [--overdue], problems show CASE,"
                               " problems open WAYBILL --reason R, problems close CASE --note TEXT");
  }
  if (command == "alerts" && words.size() == 1) return station::CmdAlerts(options);
  if (command == "alerts" && words.size() == 3 && words[1] == "answer") {
    return station::CmdAlertAnswer(options, words[2]);
  }
  if (command == "alerts") {
    return station::UsageError("stationctl", "usage: alerts [--limit N], alerts answer CASE --resolution R");
  }
  if (command == "reconcile" && words.size() == 1) {
    if (options.timeout_s < 1) return station::UsageError("stationctl", "--timeout must be at least 1 second");
    return station::CmdReconcile(options);
  }
  if (command == "upload" && words.size() == 1) {
    if (options.timeout_s < 1) return station::UsageError("stationctl", "--timeout must be at least 1 second");
    return station::CmdUpload(options);
  }
  if (command == "keys" && words.size() == 3 && words[1] == "create") return station::CmdKeysCreate(options, words[2]);
  if (command == "keys" && words.size() == 3 && words[1] == "enroll") return station::CmdKeysEnroll(options, words[2]);
  if (command == "keys" && words.size() == 2 && words[1] == "list") return station::CmdKeysList(options);
  if (command == "keys" && words.size() == 3 && words[1] == "revoke") return station::CmdKeysRevoke(options, words[2]);
  if (command == "keys") {
    return station::UsageError("stationctl",
                               "usage: keys create NAME [--out DIR], keys enroll FILE --gun DEVICE|--station CODE,"
                               " keys list, keys revoke NAME|KEY");
  }
  if (command == "backup" && words.size() == 2) return station::CmdBackup(options, words[1]);
  if (command == "backup") return station::UsageError("stationctl", "usage: backup FOLDER (a new folder)");
  if (command == "prune" && words.size() == 1) {
    if (options.timeout_s < 1) return station::UsageError("stationctl", "--timeout must be at least 1 second");
    return station::CmdPrune(options);
  }
  if (command == "prune") return station::UsageError("stationctl", "usage: prune --before DATE");
  if (command == "manifest" && words.size() == 3 && words[1] == "import") {
    return station::CmdManifestImport(options, words[2]);
  }
  if (command == "manifest") return station::UsageError("stationctl", "usage: manifest import FILE.csv");
  if (command == "scans") return station::UsageError("stationctl", "scans takes one waybill number");
  if (command == "discrepancies" && words[1] == "close") {
    return station::UsageError("stationctl", "usage: discrepancies close ID --note TEXT [--by NAME]");
  }
  if (command == "discrepancies") {
    return station::UsageError("stationctl",
                               "discrepancies takes no arguments (but: close ID); filter with --kind, --origin, --state");
  }
  return station::UsageError("stationctl", "unknown command '" + command + "'");
}
