// gun-sim: makes gun batch files for demos and tests from real pickup
// records (data/lade/). Thin: flags -> LadeOptions -> files in spools.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/command_line.h"
#include "tools/sim/lade_guns.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

using station::sim::LadeGun;

// The flags, as parsed.
struct Flags {
  station::sim::LadeOptions options;
  station::sim::ShipmentOptions shipment;
  std::string input, out_dir, arrivals_at, manifest_file, deliveries_at;
  int round = 1;
};

po::options_description Describe(Flags& flags) {
  station::sim::LadeOptions& options = flags.options;
  station::sim::ShipmentOptions& shipment = flags.shipment;
  po::options_description desc(
      "gun-sim: writes gun batch files made from real LaDe pickup records, one spool folder a gun.\n\n"
      "Usage: gun-sim --lade FILE --out DIR [--couriers N] [--station CODE]\n"
      "       gun-sim --lade FILE --out DIR --arrivals-at CODE --manifest FILE [--couriers N] [--station CODE]\n"
      "       gun-sim --lade FILE --out DIR --deliveries-at CODE --round 1|2 [--couriers N] [--station CODE]\n\n"
      "The first form makes the couriers' pickup guns docking at --station. The second ships the same\n"
      "parcels from --station to --arrivals-at in bags on the night truck: it writes the manifest\n"
      "(pre-advice, DESIGN §8) to --manifest and the arrival guns of --arrivals-at the next morning to\n"
      "--out, with one discrepancy of each kind made on purpose (listed on stdout; tools/sim/lade_guns.h).\n"
      "The third is a courier of --deliveries-at delivering those parcels: round 1 has a damaged parcel\n"
      "(weighed short) and a dead phone number (problem scans, DESIGN §4), round 2 the parcel with the\n"
      "dead number going out again; one batch a round, same gun (listed on stdout; tools/sim/lade_guns.h).\n\n"
      "Options");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("lade", po::value(&flags.input), "the LaDe pickup CSV (data/lade/lade_p_pickup_5cities_sample.csv)")
      ("out", po::value(&flags.out_dir), "folder to write DIR/<device>/<batch>.csv into")
      ("couriers", po::value(&options.couriers)->default_value(options.couriers), "guns to make (busiest couriers)")
      ("city", po::value(&options.city), "only this city's couriers (Chongqing, Hangzhou, Jilin, Shanghai, Yantai)")
      ("station", po::value(&options.station)->default_value(options.station), "the station the guns dock at")
      ("bad-rows", po::value(&options.bad_rows)->default_value(0), "rows the first gun got wrong, for the demo")
      ("arrivals-at", po::value(&flags.arrivals_at), "make the arrival guns of this station instead (needs --manifest)")
      ("manifest", po::value(&flags.manifest_file), "arrivals: write the manifest CSV here")
      ("misrouted-to", po::value(&shipment.misrouted_to)->default_value(shipment.misrouted_to),
       "arrivals: the station the misrouted parcel's manifest row names")
      ("bag-size", po::value(&shipment.bag_size)->default_value(shipment.bag_size), "arrivals, deliveries: parcels to a bag")
      ("deliveries-at", po::value(&flags.deliveries_at), "make a delivery courier's gun of this station instead")
      ("round", po::value(&flags.round)->default_value(flags.round),
       "deliveries: 1 (the problems) or 2 (the parcel goes out again)");
  return desc;
}

// The flags checked together; the exit code when they will not do.
std::optional<int> CheckFlags(const po::variables_map& vm, const Flags& flags) {
  if (flags.input.empty() || flags.out_dir.empty()) {
    return station::UsageError("gun-sim", "--lade FILE and --out DIR are required");
  }
  if (!flags.arrivals_at.empty() && flags.manifest_file.empty()) {
    return station::UsageError("gun-sim", "--arrivals-at needs --manifest FILE");
  }
  if (!flags.arrivals_at.empty() && !flags.deliveries_at.empty()) {
    return station::UsageError("gun-sim", "--arrivals-at and --deliveries-at do not go together");
  }
  if (flags.arrivals_at.empty() && (vm.count("manifest") || !vm["misrouted-to"].defaulted())) {
    return station::UsageError("gun-sim", "--manifest and --misrouted-to go with --arrivals-at");
  }
  if (flags.arrivals_at.empty() && flags.deliveries_at.empty() && !vm["bag-size"].defaulted()) {
    return station::UsageError("gun-sim", "--bag-size goes with --arrivals-at or --deliveries-at");
  }
  if (flags.deliveries_at.empty() && !vm["round"].defaulted()) {
    return station::UsageError("gun-sim", "--round goes with --deliveries-at");
  }
  if (flags.options.couriers < 1 || flags.options.bad_rows < 0) {
    return station::UsageError("gun-sim", "--couriers must be at least 1 and --bad-rows not negative");
  }
  return std::nullopt;
}

// The third form: one delivery round's gun. False after saying why not.
bool MakeDeliveryGun(Flags& flags, const std::string& text, std::vector<LadeGun>& guns) {
  flags.shipment.dest = flags.deliveries_at;
  auto made = station::sim::DeliveryRoundFromLade(text, flags.options, flags.shipment, flags.round);
  if (!made.ok()) {
    std::cerr << "gun-sim: " << made.status().ToString() << "\n";
    return false;
  }
  for (const std::string& line : made->planted) std::cout << "  planted: " << line << "\n";
  guns.push_back(std::move(made->gun));
  return true;
}

// The second form: the manifest, written to its file, and the arrival guns.
// False after saying why not.
bool MakeArrivalGuns(Flags& flags, const std::string& text, std::vector<LadeGun>& guns) {
  flags.shipment.dest = flags.arrivals_at;
  auto made = station::sim::ShipmentFromLade(text, flags.options, flags.shipment);
  if (!made.ok()) {
    std::cerr << "gun-sim: " << made.status().ToString() << "\n";
    return false;
  }
  fs::path manifest_path(flags.manifest_file);
  if (manifest_path.has_parent_path()) fs::create_directories(manifest_path.parent_path());
  {
    std::ofstream out(manifest_path, std::ios::binary);
    out << made->manifest;
    if (!out.flush()) {
      std::cerr << "gun-sim: cannot write " << flags.manifest_file << "\n";
      return false;
    }
  }
  std::cout << flags.manifest_file << "\t" << made->parcels << " parcels " << flags.options.station << " -> "
            << flags.arrivals_at << " in " << made->bags << " bags, and 1 to " << flags.shipment.misrouted_to << "\n";
  for (const std::string& line : made->planted) std::cout << "  planted: " << line << "\n";
  guns = std::move(made->guns);
  return true;
}

// Writes each gun's file into its spool folder under `out_dir`, as a dock
// would find it: written under another name, renamed when complete.
void WriteSpools(const std::string& out_dir, const std::vector<LadeGun>& guns) {
  for (const auto& gun : guns) {
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
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  po::options_description desc = Describe(flags);
  po::variables_map vm;
  if (auto exit_code = station::ParseCommandLine(argc, argv, "gun-sim", desc, vm)) return *exit_code;
  if (auto exit_code = CheckFlags(vm, flags)) return *exit_code;
  std::ifstream in(flags.input);
  if (!in) {
    std::cerr << "gun-sim: cannot read " << flags.input << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<LadeGun> guns;
  if (!flags.deliveries_at.empty()) {
    if (!MakeDeliveryGun(flags, text.str(), guns)) return 1;
  } else if (flags.arrivals_at.empty()) {
    auto made = station::sim::GunsFromLade(text.str(), flags.options);
    if (!made.ok()) {
      std::cerr << "gun-sim: " << made.status().ToString() << "\n";
      return 1;
    }
    guns = std::move(*made);
  } else if (!MakeArrivalGuns(flags, text.str(), guns)) {
    return 1;
  }
  WriteSpools(flags.out_dir, guns);
  return 0;
}
