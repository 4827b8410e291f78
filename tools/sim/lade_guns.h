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

#include "scanner/status.h"

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

}  // namespace station::sim
