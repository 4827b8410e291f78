// stationctl: the clerk's command line. Thin: flags -> CtlOptions -> command.

#include <clocale>
#include <iostream>

#include <boost/program_options.hpp>

#include "tools/stationctl/commands.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "stationctl: the station clerk's command line.\n\n"
    "Usage: stationctl [--data-dir DIR] COMMAND [ARGS] [--json]\n\n"
    "Commands:\n"
    "  status            daemon, scans by type, quarantined records, last dock per device and courier\n"
    "  scans WAYBILL     one parcel's history at this station (and its bags')\n"
    "  quarantine        records set aside, with their reasons [--kind invalid|conflict|batch|manifest] [--limit N]\n"
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
      ("kind", po::value(&options.kind), "quarantine: only this kind")
      ("limit", po::value(&options.limit)->default_value(options.limit), "quarantine: at most N rows");
  po::options_description hidden;
  hidden.add_options()("words", po::value(&words));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("words", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "stationctl: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (words.empty()) {
    std::cerr << "stationctl: a command is required: status, scans WAYBILL or quarantine (see --help)\n";
    return 2;
  }
  const std::string& command = words[0];
  if (command == "status" && words.size() == 1) return station::CmdStatus(options);
  if (command == "scans" && words.size() == 2) return station::CmdScans(options, words[1]);
  if (command == "quarantine" && words.size() == 1) return station::CmdQuarantine(options);
  if (command == "manifest" && words.size() == 3 && words[1] == "import") {
    return station::CmdManifestImport(options, words[2]);
  }
  if (command == "manifest") {
    std::cerr << "stationctl: usage: manifest import FILE.csv (see --help)\n";
    return 2;
  }
  if (command == "scans") {
    std::cerr << "stationctl: scans takes one waybill number (see --help)\n";
    return 2;
  }
  std::cerr << "stationctl: unknown command '" << command << "' (see --help)\n";
  return 2;
}
