// gun-sim: makes gun batch files for demos and tests from real pickup
// records (data/lade/). Thin: flags -> LadeOptions -> files in spools.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "scanner/command_line.h"
#include "tools/sim/lade_guns.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  station::sim::LadeOptions options;
  std::string input, out_dir;
  po::options_description desc(
      "gun-sim: writes gun batch files made from real LaDe pickup records, one spool folder a gun.\n\n"
      "Usage: gun-sim --lade FILE --out DIR [--couriers N] [--station CODE]\n\nOptions");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("lade", po::value(&input), "the LaDe pickup CSV (data/lade/lade_p_pickup_5cities_sample.csv)")
      ("out", po::value(&out_dir), "folder to write DIR/<device>/<batch>.csv into")
      ("couriers", po::value(&options.couriers)->default_value(options.couriers), "guns to make (busiest couriers)")
      ("city", po::value(&options.city), "only this city's couriers (Chongqing, Hangzhou, Jilin, Shanghai, Yantai)")
      ("station", po::value(&options.station)->default_value(options.station), "the station the guns dock at")
      ("bad-rows", po::value(&options.bad_rows)->default_value(0), "rows the first gun got wrong, for the demo");
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "gun-sim", desc, vm)) return *exit_code;
  if (input.empty() || out_dir.empty()) {
    return station::UsageError("gun-sim", "--lade FILE and --out DIR are required");
  }
  if (options.couriers < 1 || options.bad_rows < 0) {
    return station::UsageError("gun-sim", "--couriers must be at least 1 and --bad-rows not negative");
  }
  std::ifstream in(input);
  if (!in) {
    std::cerr << "gun-sim: cannot read " << input << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto guns = station::sim::GunsFromLade(text.str(), options);
  if (!guns.ok()) {
    std::cerr << "gun-sim: " << guns.status().ToString() << "\n";
    return 1;
  }
  for (const auto& gun : *guns) {
    fs::path spool = fs::path(out_dir) / gun.device;
    fs::create_directories(spool);
    fs::path tmp = spool / (gun.file_name + ".writing");
    {
      std::ofstream out(tmp, std::ios::binary);
      out << gun.text;
    }
    fs::rename(tmp, spool / gun.file_name);  // docks rename when complete
    std::cout << spool.string() << "/" << gun.file_name << "\t" << gun.city << "\t" << gun.courier << "\t"
              << gun.rows << " scans\n";
  }
  return 0;
}
