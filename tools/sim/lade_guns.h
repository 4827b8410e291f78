#pragma once
// Gun batch files made from real pickup records (Cainiao's LaDe sample,
// data/lade/): each courier's rows of one day become one gun's batch of
// pickup scans. The mapping is stated so that anyone can check it:
//   waybill  = "ZT77" + order_id zero-padded to 11 digits
//   time     = 2026-<MM-DD>T<HH:MM:SS>+08:00 from pickup_time (LaDe gives no
//              year; China is UTC+8)
//   device   = PDA-<courier_id>, courier = C<courier_id>
//   note     = "<city> AOI <aoi_id>"

#include <string>
#include <vector>

#include "core/status.h"

namespace station::sim {

struct LadeGun {
  std::string device;
  std::string courier;
  std::string city;
  std::string file_name;  // e.g. PDA-13203-20260607-0001.csv
  std::string text;       // the batch file
  int rows = 0;
};

struct LadeOptions {
  std::string station = "571001";
  int couriers = 2;    // the couriers with the most rows
  std::string city;    // empty: any city
  int bad_rows = 0;    // rows a gun got wrong, added to the first gun's batch
};

// Reads the LaDe CSV text and makes one batch a courier. kInvalidArgument
// when the text is not the LaDe layout.
Result<std::vector<LadeGun>> GunsFromLade(const std::string& csv_text, const LadeOptions& options);

// The same couriers' parcels shipped on: the origin station (options.station)
// sends every parcel its `options.couriers` guns picked up to `dest`, in bags,
// on the night truck; `dest` scans what arrives the next morning. Also stated
// so that anyone can check it:
//   manifest  one row a parcel, origin -> dest, in pickup-gun order, bag_size
//             to a bag (BG<origin><4-digit seq>), dispatched an hour after the
//             day's last pickup. LaDe has no weights or phones, so they are
//             made up from the order id: declared_weight_g 300 + (id % 47) *
//             100, recipient_phone 1370000 and the id's last 4 digits (plainly
//             not a real number); no district
//   arrivals  two guns at dest, from dispatch + 8 h: the unloader scans each
//             bag (bag-level arrival), the sorter opens bag 2 (unpack scans)
//             and scans bags 3.. parcel by parcel (arrival). On purpose, one
//             of each discrepancy (reconcile/engine.h):
//   - the last bag never arrives                     -> missing_bag + missing
//   - bag 2 is opened; its last 2 parcels are absent  -> missing
//   - bag 3's first parcel is scanned twice           -> duplicate_arrival
//   - the next courier's first parcel arrives loose,
//     with no manifest row                            -> surplus
//   - his second parcel arrives loose; the manifest
//     sends it to `misrouted_to`                      -> misrouted
//   Bag 1 is not opened: its bag scan counts for its parcels.
struct ShipmentOptions {
  std::string dest = "571001";
  std::string misrouted_to = "100001";
  int bag_size = 13;
};

struct Shipment {
  std::string manifest;          // CSV of DESIGN §8, with its header
  std::vector<LadeGun> guns;     // arrival guns docking at dest
  std::vector<std::string> planted;  // one line a discrepancy made on purpose, for people
  int parcels = 0;               // manifest rows to dest
  int bags = 0;
};

// kInvalidArgument when the text is not the LaDe layout, when there is no
// further courier for the surplus and misrouted parcels, or when the parcels
// make fewer than 4 bags of at least 3.
Result<Shipment> ShipmentFromLade(const std::string& csv_text, const LadeOptions& options,
                                  const ShipmentOptions& shipment);

// A courier of `dest` (gun PDA-<dest>-03) delivers from bag 3, which came in
// parcel by parcel; each round is one batch (<day>-000<round>), for the
// problem cases of the demo (DESIGN §4). Also stated for anyone to check:
//   round 1  (dispatch + 13 h, a scan every 5 min) bag 3's third parcel is
//            damaged: a problem scan, reason damaged, weighed at 55 % of its
//            declared weight (short: the case suggests a claim); its fourth
//            goes out and is signed for; its second goes out, but the phone
//            is dead: a problem scan, reason wrong_phone
//   round 2  (dispatch + 17 h) the second goes out again (out_for_delivery:
//            the scan that carries out a new_phone answer) and is signed for
struct DeliveryRound {
  LadeGun gun;
  std::vector<std::string> planted;  // what happens to which parcel, for people
};

// kInvalidArgument as ShipmentFromLade, when `round` is not 1 or 2, or when
// bags hold fewer than 4 parcels.
Result<DeliveryRound> DeliveryRoundFromLade(const std::string& csv_text, const LadeOptions& options,
                                            const ShipmentOptions& shipment, int round);

}  // namespace station::sim
