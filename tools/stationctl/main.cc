// stationctl: the clerk's command line. Thin: flags -> CtlOptions -> command.

#include <clocale>
#include <cstdlib>
#include <string>
#include <vector>

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
    "  quarantine        records set aside, with their reasons [--kind invalid|conflict|batch|manifest|national] [--limit N, 0: all]\n"
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

// Every option of every command, writing into `options`; --note and --by
// are read afterwards, since an empty one differs from none.
void AddOptions(po::options_description& desc, station::CtlOptions& options) {
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
}

using Words = std::vector<std::string>;
using station::CtlOptions;

// --timeout for the commands that wait on stationd.
int WithTimeout(const CtlOptions& options, int (*command)(const CtlOptions&)) {
  if (options.timeout_s < 1) return station::UsageError("stationctl", "--timeout must be at least 1 second");
  return command(options);
}

// One form of a command: its first word, its second when it has one, how
// many words it takes in all, and what it runs.
struct Form {
  const char* command;
  const char* sub;  // nullptr: any second word (an argument), or none
  std::size_t words;
  int (*run)(const CtlOptions& options, const Words& words);
};

const Form kForms[] = {
    {"status", nullptr, 1, [](const CtlOptions& o, const Words&) { return station::CmdStatus(o); }},
    {"scans", nullptr, 2, [](const CtlOptions& o, const Words& w) { return station::CmdScans(o, w[1]); }},
    {"quarantine", nullptr, 1, [](const CtlOptions& o, const Words&) { return station::CmdQuarantine(o); }},
    {"discrepancies", nullptr, 1, [](const CtlOptions& o, const Words&) { return station::CmdDiscrepancies(o); }},
    {"discrepancies", "close", 3,
     [](const CtlOptions& o, const Words& w) { return station::CmdDiscrepancyClose(o, w[2]); }},
    {"problems", nullptr, 1, [](const CtlOptions& o, const Words&) { return station::CmdProblems(o); }},
    {"problems", "show", 3, [](const CtlOptions& o, const Words& w) { return station::CmdProblemShow(o, w[2]); }},
    {"problems", "open", 3, [](const CtlOptions& o, const Words& w) { return station::CmdProblemOpen(o, w[2]); }},
    {"problems", "close", 3, [](const CtlOptions& o, const Words& w) { return station::CmdProblemClose(o, w[2]); }},
    {"alerts", nullptr, 1, [](const CtlOptions& o, const Words&) { return station::CmdAlerts(o); }},
    {"alerts", "answer", 3, [](const CtlOptions& o, const Words& w) { return station::CmdAlertAnswer(o, w[2]); }},
    {"reconcile", nullptr, 1, [](const CtlOptions& o, const Words&) { return WithTimeout(o, station::CmdReconcile); }},
    {"upload", nullptr, 1, [](const CtlOptions& o, const Words&) { return WithTimeout(o, station::CmdUpload); }},
    {"keys", "create", 3, [](const CtlOptions& o, const Words& w) { return station::CmdKeysCreate(o, w[2]); }},
    {"keys", "enroll", 3, [](const CtlOptions& o, const Words& w) { return station::CmdKeysEnroll(o, w[2]); }},
    {"keys", "list", 2, [](const CtlOptions& o, const Words&) { return station::CmdKeysList(o); }},
    {"keys", "revoke", 3, [](const CtlOptions& o, const Words& w) { return station::CmdKeysRevoke(o, w[2]); }},
    {"backup", nullptr, 2, [](const CtlOptions& o, const Words& w) { return station::CmdBackup(o, w[1]); }},
    {"prune", nullptr, 1, [](const CtlOptions& o, const Words&) { return WithTimeout(o, station::CmdPrune); }},
    {"manifest", "import", 3, [](const CtlOptions& o, const Words& w) { return station::CmdManifestImport(o, w[2]); }},
};

// What a command of no form above is told, by its first word (and second,
// when given); the first that fits. A word of none: an unknown command.
struct Usage {
  const char* command;
  const char* sub;  // nullptr: any
  const char* message;
};

const Usage kUsages[] = {
    {"problems", nullptr,
     "usage: problems [--state S] [--reason R] [--overdue], problems show CASE,"
     " problems open WAYBILL --reason R, problems close CASE --note TEXT"},
    {"alerts", nullptr, "usage: alerts [--limit N], alerts answer CASE --resolution R"},
    {"keys", nullptr,
     "usage: keys create NAME [--out DIR], keys enroll FILE --gun DEVICE|--station CODE,"
     " keys list, keys revoke NAME|KEY"},
    {"backup", nullptr, "usage: backup FOLDER (a new folder)"},
    {"prune", nullptr, "usage: prune --before DATE"},
    {"manifest", nullptr, "usage: manifest import FILE.csv"},
    {"scans", nullptr, "scans takes one waybill number"},
    {"discrepancies", "close", "usage: discrepancies close ID --note TEXT [--by NAME]"},
    {"discrepancies", nullptr,
     "discrepancies takes no arguments (but: close ID); filter with --kind, --origin, --state"},
};

bool Fits(const Words& words, const char* command, const char* sub) {
  return words[0] == command && (!sub || (words.size() > 1 && words[1] == sub));
}

// Runs the command `words` name; `words` is not empty.
int Dispatch(const CtlOptions& options, const Words& words) {
  for (const Form& form : kForms) {
    if (words.size() == form.words && Fits(words, form.command, form.sub)) return form.run(options, words);
  }
  // A word beginning with '-' that fits no form may be a mistyped option
  // (the parser hands such words over: a key may begin with '-').
  for (const std::string& word : words) {
    if (word.size() > 1 && word[0] == '-') {
      return station::UsageError("stationctl", "'" + word + "' is not an option, nor an argument of this command");
    }
  }
  for (const Usage& usage : kUsages) {
    if (Fits(words, usage.command, usage.sub)) return station::UsageError("stationctl", usage.message);
  }
  return station::UsageError("stationctl", "unknown command '" + words[0] + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");  // display widths of Chinese text
  station::CtlOptions options;
  const char* env_dir = std::getenv("STATION_DATA_DIR");
  options.data_dir = env_dir ? env_dir : "station-data";
  std::vector<std::string> words;

  po::options_description desc(kUsage);
  AddOptions(desc, options);
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
  return Dispatch(options, words);
}
