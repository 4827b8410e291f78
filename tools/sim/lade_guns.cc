#include "tools/sim/lade_guns.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "scanner/csv.h"

namespace station::sim {
namespace {

struct Pickup {
  std::string order_id, city, courier_id, pickup_time, aoi_id;
};

// "05-01 09:28:00" -> "2026-05-01T09:28:00+08:00"; empty when malformed.
std::string IsoFromLade(const std::string& t) {
  if (t.size() != 14 || t[2] != '-' || t[5] != ' ') return "";
  return "2026-" + t.substr(0, 5) + "T" + t.substr(6) + "+08:00";
}

}  // namespace

Result<std::vector<LadeGun>> GunsFromLade(const std::string& csv_text, const LadeOptions& options) {
  CsvReader reader(csv_text);
  CsvRecord record;
  if (!reader.Next(record) || !record.error.empty()) return Status::InvalidArgument("LaDe file", "no header row");
  std::map<std::string, int> col;
  for (std::size_t i = 0; i < record.fields.size(); ++i) col[record.fields[i]] = static_cast<int>(i);
  for (const char* need : {"order_id", "city", "courier_id", "pickup_time", "aoi_id"}) {
    if (!col.count(need)) return Status::InvalidArgument("LaDe file", std::string("column ") + need + " is missing");
  }
  std::map<std::string, std::vector<Pickup>> by_courier;
  while (reader.Next(record)) {
    if (!record.error.empty() || record.fields.size() < col.size()) continue;
    Pickup p{record.fields[col["order_id"]], record.fields[col["city"]], record.fields[col["courier_id"]],
             record.fields[col["pickup_time"]], record.fields[col["aoi_id"]]};
    if (!options.city.empty() && p.city != options.city) continue;
    if (IsoFromLade(p.pickup_time).empty() || p.order_id.empty() || p.order_id.size() > 11) continue;
    by_courier[p.city + "/" + p.courier_id].push_back(std::move(p));
  }
  std::vector<std::pair<std::string, std::vector<Pickup>>> couriers(by_courier.begin(), by_courier.end());
  std::stable_sort(couriers.begin(), couriers.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  if (static_cast<int>(couriers.size()) > options.couriers) couriers.resize(static_cast<std::size_t>(options.couriers));

  std::vector<LadeGun> guns;
  for (auto& [key, pickups] : couriers) {
    std::sort(pickups.begin(), pickups.end(),
              [](const Pickup& a, const Pickup& b) { return a.pickup_time < b.pickup_time; });
    const Pickup& first = pickups.front();
    LadeGun gun;
    gun.device = "PDA-" + first.courier_id;
    gun.courier = "C" + first.courier_id;
    gun.city = first.city;
    std::string day = "2026" + first.pickup_time.substr(0, 2) + first.pickup_time.substr(3, 2);
    std::string batch = day + "-0001";
    gun.file_name = gun.device + "-" + batch + ".csv";
    gun.text = "# device=" + gun.device + " courier=" + gun.courier + " station=" + options.station +
               " batch=" + batch + "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
    int seq = 0;
    char waybill[32];
    for (const Pickup& p : pickups) {
      std::snprintf(waybill, sizeof waybill, "ZT77%011lld", std::atoll(p.order_id.c_str()));
      gun.text += std::to_string(++seq) + "," + waybill + ",pickup," + IsoFromLade(p.pickup_time) + ",,,,," +
                  p.city + " AOI " + p.aoi_id + "\n";
    }
    if (guns.empty()) {
      // What goes wrong on real guns: a hand-typed number with a wrong check
      // digit, a scan type from newer firmware, a clock that lost its zone.
      // Dated on the gun's own day.
      const std::string date = "2026-" + first.pickup_time.substr(0, 5);
      const std::string bad[] = {
          ",EE123456786CN,pickup," + date + "T18:00:00+08:00,,,,,手输单号",
          ",ZT7700000000001,collect," + date + "T18:01:00+08:00,,,,,",
          ",ZT7700000000002,pickup," + date + " 18:02,,,,,",
      };
      for (int i = 0; i < options.bad_rows; ++i) gun.text += std::to_string(++seq) + bad[i % 3] + "\n";
    }
    gun.rows = seq;
    guns.push_back(std::move(gun));
  }
  return guns;
}

}  // namespace station::sim
