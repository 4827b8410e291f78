#include "scanner/manifest.h"

#include <array>
#include <charconv>

#include "core/csv.h"
#include "scanner/identifiers.h"
#include "core/iso_time.h"
#include "core/utf8.h"

namespace station {
namespace {

enum Column { kWaybill, kOrigin, kDest, kDispatched, kBag, kWeight, kPhone, kDistrict, kColumnCount };

constexpr std::size_t kMaxDistrictChars = 100;

Status CheckStation(const std::string& value, const char* name) {
  if (value.empty()) return Status::InvalidArgument("missing field", std::string(name) + " is empty");
  if (!IsStationCode(value)) {
    return Status::InvalidArgument(std::string(name) + " '" + Utf8Excerpt(value, 20) + "'", "not six digits");
  }
  return Status::OK();
}

// Digits with an optional leading '+'; spaces and dashes as people write
// them are dropped. 5 to 15 digits (ITU E.164 allows at most 15).
Result<std::string> NormalizePhone(std::string_view raw) {
  std::string digits;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && i == raw.find_first_not_of(' ')) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      return Status::InvalidArgument("recipient_phone '" + Utf8Excerpt(raw, 20) + "'", "not a phone number");
    }
  }
  std::size_t count = digits.size() - (digits.empty() || digits[0] != '+' ? 0 : 1);
  if (count < 5 || count > 15) {
    return Status::InvalidArgument("recipient_phone '" + Utf8Excerpt(raw, 20) + "'", "5 to 15 digits");
  }
  return digits;
}

Status CheckRow(const CsvRecord& record, const std::array<int, kColumnCount>& index, std::size_t width,
                ManifestRow& row) {
  if (!record.error.empty()) return Status::InvalidArgument("broken quoting", record.error);
  if (record.fields.size() != width) {
    return Status::InvalidArgument("row has " + std::to_string(record.fields.size()) + " fields, the header has " +
                                   std::to_string(width));
  }
  const auto field = [&](Column c) -> const std::string& { return record.fields[index[c]]; };
  if (field(kWaybill).empty()) return Status::InvalidArgument("missing field", "waybill is empty");
  auto waybill = NormalizeWaybill(field(kWaybill));
  if (!waybill.ok()) return waybill.status();
  row.waybill = std::move(*waybill);
  if (Status s = CheckStation(field(kOrigin), "origin_station"); !s.ok()) return s;
  if (Status s = CheckStation(field(kDest), "dest_station"); !s.ok()) return s;
  row.origin_station = field(kOrigin);
  row.dest_station = field(kDest);
  if (field(kDispatched).empty()) return Status::InvalidArgument("missing field", "dispatched_at is empty");
  auto when = ParseIsoInstant(field(kDispatched));
  if (!when.ok()) return when.status();
  row.dispatched_at = field(kDispatched);
  row.dispatched_ms = *when;
  row.bag.clear();
  if (!field(kBag).empty()) {
    auto bag = NormalizeBag(field(kBag));
    if (!bag.ok()) return bag.status();
    row.bag = std::move(*bag);
  }
  row.declared_weight_g.reset();
  if (!field(kWeight).empty()) {
    std::int64_t v = 0;
    const std::string& w = field(kWeight);
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || end != w.data() + w.size() || v < 0 || v > 10'000'000) {
      return Status::InvalidArgument("declared_weight_g '" + Utf8Excerpt(w, 20) + "'", "not a whole number in range");
    }
    row.declared_weight_g = v;
  }
  row.recipient_phone.clear();
  if (!field(kPhone).empty()) {
    auto phone = NormalizePhone(field(kPhone));
    if (!phone.ok()) return phone.status();
    row.recipient_phone = std::move(*phone);
  }
  auto chars = Utf8CodePoints(field(kDistrict));
  if (!chars) return Status::InvalidArgument("recipient_district", "not valid UTF-8");
  if (*chars > kMaxDistrictChars) {
    return Status::InvalidArgument("recipient_district has " + std::to_string(*chars) + " characters",
                                   "at most " + std::to_string(kMaxDistrictChars) + " allowed");
  }
  row.recipient_district = field(kDistrict);
  return Status::OK();
}

}  // namespace

Result<Manifest> ReadManifest(std::string_view text) {
  CsvReader reader(text);
  CsvRecord header;
  if (!reader.Next(header)) return Status::InvalidArgument("manifest", "empty: no header row");
  if (!header.error.empty()) return Status::InvalidArgument("manifest header row", header.error);
  std::array<int, kColumnCount> index;
  index.fill(-1);
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    for (int c = 0; c < kColumnCount; ++c) {
      if (header.fields[i] == kManifestColumns[c] && index[c] < 0) index[c] = static_cast<int>(i);
    }
  }
  for (int c = 0; c < kColumnCount; ++c) {
    if (index[c] < 0) {
      return Status::InvalidArgument("manifest header row", std::string("column '") + kManifestColumns[c] +
                                                                "' is missing");
    }
  }
  Manifest manifest;
  CsvRecord record;
  while (reader.Next(record)) {
    ManifestRow row;
    row.line = record.line;
    if (Status s = CheckRow(record, index, header.fields.size(), row); !s.ok()) {
      manifest.problems.push_back({record.line, std::string(record.raw), s.message()});
      continue;
    }
    manifest.rows.push_back(std::move(row));
  }
  return manifest;
}

void AppendManifestCsvHeader(std::string& csv) {
  for (int c = 0; c < kColumnCount; ++c) {
    if (c > 0) csv += ',';
    csv += kManifestColumns[c];
  }
  csv += '\n';
}

void AppendManifestRow(std::string& csv, const ManifestRow& row) {
  AppendCsvField(csv, row.waybill);
  csv += ',';
  AppendCsvField(csv, row.origin_station);
  csv += ',';
  AppendCsvField(csv, row.dest_station);
  csv += ',';
  AppendCsvField(csv, row.dispatched_at);
  csv += ',';
  AppendCsvField(csv, row.bag);
  csv += ',';
  if (row.declared_weight_g) csv += std::to_string(*row.declared_weight_g);
  csv += ',';
  AppendCsvField(csv, row.recipient_phone);
  csv += ',';
  AppendCsvField(csv, row.recipient_district);
  csv += '\n';
}

std::string MaskPhone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  const std::size_t n = digits.size();
  // A mobile number (11 digits, or more with a country code): 138****5678.
  if (n >= 11) return digits.substr(0, 3) + "****" + digits.substr(n - 4);
  // Shorter (landlines): only the end is shown, never most of the number.
  const std::size_t shown = n >= 7 ? 4 : (n > 2 ? 2 : 0);
  return std::string(n - shown, '*') + digits.substr(n - shown);
}

std::string MaskPhonesIn(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    const std::string_view run = text.substr(i, end - i);
    out += run.size() >= 7 ? MaskPhone(run) : std::string(run);
    i = end;
  }
  return out;
}

}  // namespace station
