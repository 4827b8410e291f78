#pragma once
// The national manifest (pre-advice) of DESIGN §8: what the national system
// says was dispatched, one row a parcel. Read the same way as gun batches:
// every bad row is reported with its line and reason, the rest are kept.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace station {

struct ManifestRow {
  int line = 0;
  std::string waybill;  // normalised
  std::string origin_station;
  std::string dest_station;
  std::string dispatched_at;  // as written, with its offset
  std::int64_t dispatched_ms = 0;
  std::string bag;  // empty when absent
  std::optional<std::int64_t> declared_weight_g;
  std::string recipient_phone;  // digits (and a leading +), empty when absent
  std::string recipient_district;
};

struct ManifestProblem {
  int line = 0;
  std::string raw;
  std::string reason;
};

struct Manifest {
  std::vector<ManifestRow> rows;
  std::vector<ManifestProblem> problems;
};

inline constexpr const char* kManifestColumns[] = {"waybill",          "origin_station",    "dest_station",
                                                   "dispatched_at",    "bag",               "declared_weight_g",
                                                   "recipient_phone",  "recipient_district"};

// Reads a manifest CSV with its header row (columns in any order, extra
// columns ignored). Fails whole only when the header row is missing or
// lacks a column; row problems land in Manifest::problems.
Result<Manifest> ReadManifest(std::string_view text);

// Writing the same format, as national serves it to stations (frame 2 of a
// sync reply): the header row in kManifestColumns order, then one row per
// call. ReadManifest gives back every field as written here (`line` aside).
void AppendManifestCsvHeader(std::string& csv);
void AppendManifestRow(std::string& csv, const ManifestRow& row);

// "138****5678": a phone number as other stations, listings and exports
// show it (DESIGN §7, YZ/T 0189): 11 or more digits keep the first 3 and
// last 4; 7 to 10 digits keep the last 4; shorter ones the last 2 at most.
std::string MaskPhone(std::string_view phone);

// Free text (a courier's note, a clerk's) with every run of 7 or more
// digits masked as MaskPhone does: "13812345678 空号" -> "138****5678 空号".
// For notes that leave the station, where a number may have been typed.
std::string MaskPhonesIn(std::string_view text);

}  // namespace station
