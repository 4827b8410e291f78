#include "tools/sim/lade_guns.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/csv.h"
#include "core/iso_time.h"

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

using Courier = std::pair<std::string, std::vector<Pickup>>;  // "city/courier_id", their pickups by time

// Every courier's good rows (of options.city, if given), busiest first, each
// courier's pickups in time order.
Result<std::vector<Courier>> ReadCouriers(const std::string& csv_text, const LadeOptions& options) {
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
  std::vector<Courier> couriers(by_courier.begin(), by_courier.end());
  std::stable_sort(couriers.begin(), couriers.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  for (auto& [key, pickups] : couriers) {
    std::sort(pickups.begin(), pickups.end(),
              [](const Pickup& a, const Pickup& b) { return a.pickup_time < b.pickup_time; });
  }
  return couriers;
}

std::string WaybillOf(const Pickup& p) {
  char waybill[32];
  std::snprintf(waybill, sizeof waybill, "ZT77%011lld", std::atoll(p.order_id.c_str()));
  return waybill;
}

// LaDe has no weights or phone numbers; the manifest's are made up from the
// order id (lade_guns.h), the phone with "0000" in the middle so that it is
// plainly not a real one.
std::int64_t DeclaredWeightOf(const Pickup& p) { return 300 + (std::atoll(p.order_id.c_str()) % 47) * 100; }

std::string PhoneOf(const Pickup& p) {
  char phone[32];
  std::snprintf(phone, sizeof phone, "1370000%04lld", std::atoll(p.order_id.c_str()) % 10000);
  return phone;
}

// The shipment's layout, shared by the arrivals and the delivery rounds.
struct Plan {
  std::vector<Courier> couriers;
  std::vector<const Pickup*> parcels;  // to dest, in pickup-gun order; parcel i is in bag i / bag_size
  std::size_t bag_size = 0, bag_count = 0;
  std::int64_t dispatched_ms = 0;
};

Result<Plan> PlanShipment(const std::string& csv_text, const LadeOptions& options, const ShipmentOptions& shipment) {
  auto read = ReadCouriers(csv_text, options);
  if (!read.ok()) return read.status();
  Plan plan;
  plan.couriers = std::move(*read);
  const auto shipped_couriers = static_cast<std::size_t>(std::max(options.couriers, 1));
  if (plan.couriers.size() <= shipped_couriers || plan.couriers[shipped_couriers].second.size() < 2) {
    return Status::InvalidArgument("LaDe file", "needs one more courier with 2 parcels than --couriers, "
                                                "for the surplus and misrouted parcels");
  }
  for (std::size_t c = 0; c < shipped_couriers; ++c) {
    for (const Pickup& p : plan.couriers[c].second) plan.parcels.push_back(&p);
  }
  plan.bag_size = static_cast<std::size_t>(std::max(shipment.bag_size, 0));
  plan.bag_count = plan.bag_size == 0 ? 0 : (plan.parcels.size() + plan.bag_size - 1) / plan.bag_size;
  if (plan.bag_size < 3 || plan.bag_count < 4) {
    return Status::InvalidArgument("shipment", "the parcels make " + std::to_string(plan.bag_count) +
                                                   " bags; at least 4 of at least 3 parcels are needed");
  }
  // Dispatched an hour after the day's last pickup.
  std::int64_t last_pickup_ms = 0;
  for (const Pickup* p : plan.parcels) {
    auto ms = ParseIsoInstant(IsoFromLade(p->pickup_time));
    if (!ms.ok()) return ms.status();
    last_pickup_ms = std::max(last_pickup_ms, *ms);
  }
  plan.dispatched_ms = last_pickup_ms + 3600 * 1000;
  return plan;  // moved (never copied): `parcels` points into `couriers`
}

std::string IsoSeconds(std::int64_t ms) {
  std::string t = FormatIsoInstant(ms);
  if (auto dot = t.find(".000"); dot != std::string::npos) t.erase(dot, 4);
  return t;
}

std::string BagOf(std::size_t bag_index, const std::string& origin) {  // 0-based
  char bag[32];
  std::snprintf(bag, sizeof bag, "BG%s%04zu", origin.c_str(), bag_index + 1);
  return bag;
}

// A gun of `dest` with its batch header; `n` is its two-digit number.
LadeGun DestGun(const std::string& dest, const std::string& n, const std::string& what, const std::string& batch) {
  LadeGun gun;
  gun.device = "PDA-" + dest + "-" + n;
  gun.courier = "C" + dest + n;
  gun.city = what;
  gun.file_name = gun.device + "-" + batch + ".csv";
  gun.text = "# device=" + gun.device + " courier=" + gun.courier + " station=" + dest + " batch=" + batch +
             "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  return gun;
}

std::string BatchOn(std::int64_t ms, int n) {  // "20260608-0001"
  const std::string day = IsoSeconds(ms).substr(0, 10);
  char number[8];
  std::snprintf(number, sizeof number, "-%04d", n);
  return day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2) + number;
}

}  // namespace

Result<std::vector<LadeGun>> GunsFromLade(const std::string& csv_text, const LadeOptions& options) {
  auto read = ReadCouriers(csv_text, options);
  if (!read.ok()) return read.status();
  std::vector<Courier> couriers = std::move(*read);
  if (static_cast<int>(couriers.size()) > options.couriers) couriers.resize(static_cast<std::size_t>(options.couriers));

  std::vector<LadeGun> guns;
  for (auto& [key, pickups] : couriers) {
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
    for (const Pickup& p : pickups) {
      gun.text += std::to_string(++seq) + "," + WaybillOf(p) + ",pickup," + IsoFromLade(p.pickup_time) + ",,,,," +
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

Result<Shipment> ShipmentFromLade(const std::string& csv_text, const LadeOptions& options,
                                  const ShipmentOptions& shipment) {
  auto planned = PlanShipment(csv_text, options, shipment);
  if (!planned.ok()) return planned.status();
  const Plan& plan = *planned;
  const std::vector<Courier>& couriers = plan.couriers;
  const std::vector<const Pickup*>& parcels = plan.parcels;
  const auto shipped_couriers = static_cast<std::size_t>(std::max(options.couriers, 1));
  const std::size_t bag_size = plan.bag_size, bag_count = plan.bag_count;
  const std::int64_t dispatched_ms = plan.dispatched_ms;
  const auto iso = IsoSeconds;
  const std::string dispatched = iso(dispatched_ms);
  const auto bag_of = BagOf;

  Shipment out;
  out.manifest = "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,"
                 "recipient_district\n";
  const auto manifest_row = [&](const Pickup& p, const std::string& dest, const std::string& bag) {
    out.manifest += WaybillOf(p) + "," + options.station + "," + dest + "," + dispatched + "," + bag + "," +
                    std::to_string(DeclaredWeightOf(p)) + "," + PhoneOf(p) + ",\n";
  };
  for (std::size_t i = 0; i < parcels.size(); ++i) manifest_row(*parcels[i], shipment.dest, bag_of(i / bag_size, options.station));
  out.parcels = static_cast<int>(parcels.size());
  out.bags = static_cast<int>(bag_count);
  // The misrouted parcel travels in a bag of its own, to the other station.
  const Pickup& surplus = couriers[shipped_couriers].second[0];
  const Pickup& misrouted = couriers[shipped_couriers].second[1];
  manifest_row(misrouted, shipment.misrouted_to, bag_of(bag_count, options.station));

  // The two arrival guns; the truck is unloaded 8 hours after dispatch.
  std::int64_t at = dispatched_ms + 8 * 3600 * 1000;
  const std::string batch = BatchOn(at, 1);
  const auto make_gun = [&](const std::string& n, const std::string& what) {
    return DestGun(shipment.dest, n, what, batch);
  };
  const auto add = [&](LadeGun& gun, const std::string& waybill, const char* type, const std::string& bag) {
    at += 7000;  // a scan every 7 s
    gun.text += std::to_string(++gun.rows) + "," + waybill + "," + type + "," + iso(at) + "," +
                (std::string(type) == "arrival" ? options.station : "") + "," + bag + ",,,\n";
  };
  LadeGun unloader = make_gun("01", "unloads the truck: a bag scan for each bag");
  LadeGun sorter = make_gun("02", "opens bag 2, scans bags 3.. parcel by parcel");
  for (std::size_t b = 0; b + 1 < bag_count; ++b) add(unloader, "", "arrival", bag_of(b, options.station));
  add(unloader, WaybillOf(surplus), "arrival", "");
  add(unloader, WaybillOf(misrouted), "arrival", "");
  const auto in_bag = [&](std::size_t b) {
    std::vector<const Pickup*> v;
    for (std::size_t i = b * bag_size; i < std::min(parcels.size(), (b + 1) * bag_size); ++i) v.push_back(parcels[i]);
    return v;
  };
  std::string opened;
  {
    auto bag2 = in_bag(1);
    for (std::size_t i = 0; i + 2 < bag2.size(); ++i) add(sorter, WaybillOf(*bag2[i]), "unpack", bag_of(1, options.station));
    opened = ("bag " + bag_of(1, options.station) + " is opened and " + WaybillOf(*bag2[bag2.size() - 2]) +
             ", " + WaybillOf(*bag2.back()) + " are not in it: missing");
  }
  for (std::size_t b = 2; b + 1 < bag_count; ++b) {
    for (const Pickup* p : in_bag(b)) add(sorter, WaybillOf(*p), "arrival", bag_of(b, options.station));
  }
  const std::string twice = WaybillOf(*in_bag(2).front());
  add(sorter, twice, "arrival", bag_of(2, options.station));
  out.planted.push_back("bag " + bag_of(bag_count - 1, options.station) + " (" +
                        std::to_string(in_bag(bag_count - 1).size()) +
                        " parcels) never arrives: missing_bag, and each of its parcels missing");
  out.planted.push_back(opened);
  out.planted.push_back(twice + " is scanned twice: duplicate_arrival");
  out.planted.push_back(WaybillOf(surplus) + " arrives with no manifest row: surplus");
  out.planted.push_back(WaybillOf(misrouted) + " arrives, manifested to " + shipment.misrouted_to + ": misrouted");
  out.planted.push_back("bag " + bag_of(0, options.station) + " is not opened: its bag scan counts for its parcels");
  out.guns.push_back(std::move(unloader));
  out.guns.push_back(std::move(sorter));
  return out;
}

Result<DeliveryRound> DeliveryRoundFromLade(const std::string& csv_text, const LadeOptions& options,
                                            const ShipmentOptions& shipment, int round) {
  if (round != 1 && round != 2) return Status::InvalidArgument("round " + std::to_string(round), "1 or 2");
  auto planned = PlanShipment(csv_text, options, shipment);
  if (!planned.ok()) return planned.status();
  const Plan& plan = *planned;
  if (plan.bag_size < 4) return Status::InvalidArgument("bag size " + std::to_string(plan.bag_size), "at least 4 for deliveries");
  // Bag 3 came in parcel by parcel; its first parcel is the one scanned twice.
  const std::size_t bag = 2;
  const Pickup& dead_phone = *plan.parcels[bag * plan.bag_size + 1];
  const Pickup& damaged = *plan.parcels[bag * plan.bag_size + 2];
  const Pickup& plain = *plan.parcels[bag * plan.bag_size + 3];
  // The courier goes out 5 hours after the truck is unloaded, and again
  // 4 hours later.
  std::int64_t at = plan.dispatched_ms + (round == 1 ? 13 : 17) * 3600LL * 1000;
  DeliveryRound out;
  out.gun = DestGun(shipment.dest, "03", round == 1 ? "delivery round" : "delivery round, again", BatchOn(at, round));
  LadeGun& gun = out.gun;
  const auto add = [&](const Pickup& p, const char* type, const std::string& weight, const char* reason,
                       const char* note) {
    at += 5 * 60 * 1000;  // a scan every 5 minutes
    gun.text += std::to_string(++gun.rows) + "," + WaybillOf(p) + "," + type + "," + IsoSeconds(at) + ",,," + weight +
                "," + reason + ",";
    AppendCsvField(gun.text, note);  // quoted when it holds a comma
    gun.text += "\n";
  };
  if (round == 1) {
    add(damaged, "problem", std::to_string(DeclaredWeightOf(damaged) * 55 / 100), "damaged", "外箱破损, 内物疑似短少");
    add(plain, "out_for_delivery", "", "", "");
    add(dead_phone, "out_for_delivery", "", "", "");
    add(plain, "signed", "", "", "本人签收");
    add(dead_phone, "problem", "", "wrong_phone", "空号, 无法联系收件人");
    out.planted.push_back(WaybillOf(damaged) + " is damaged: weighed " +
                          std::to_string(DeclaredWeightOf(damaged) * 55 / 100) + " g, " +
                          std::to_string(DeclaredWeightOf(damaged)) + " g declared");
    out.planted.push_back(WaybillOf(plain) + " is delivered and signed for");
    out.planted.push_back(WaybillOf(dead_phone) + " goes out, but its phone number is dead: wrong_phone");
  } else {
    add(dead_phone, "out_for_delivery", "", "", "新号码已联系");
    add(dead_phone, "signed", "", "", "本人签收");
    out.planted.push_back(WaybillOf(dead_phone) + " goes out again (the new number) and is signed for");
  }
  return out;
}

}  // namespace station::sim
