#include "scanner/batch_file.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <unordered_set>
#include <utility>

#include "core/csv.h"
#include "scanner/identifiers.h"
#include "core/iso_time.h"
#include "core/utf8.h"

namespace station {
namespace {

enum Column { kSeq, kWaybill, kType, kTime, kPeer, kBag, kWeight, kReason, kNote, kColumnCount };

struct Layout {
  std::array<int, kColumnCount> index{};  // column -> field position
  std::size_t width = 0;                  // fields a row must have
};

// The comment line's keys, in BatchOrigin's order.
constexpr const char* kNameKeys[] = {"device", "courier", "station", "batch"};

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// The longest each row field may be, in bytes (batch_file.h); the note is
// checked in characters on its own.
constexpr std::pair<Column, std::size_t> kFieldLimits[] = {
    {kSeq, kMaxSeqBytes},          {kWaybill, kMaxWaybillBytes}, {kType, kMaxTypeBytes},     {kTime, kMaxTimeBytes},
    {kPeer, kMaxPeerStationBytes}, {kBag, kMaxBagBytes},         {kWeight, kMaxWeightBytes}, {kReason, kMaxReasonBytes},
};

// The first control character of `text` other than tab, CR and LF, or -1.
// A note is shown on clerks' terminals and in other stations' alerts: an
// escape sequence or a NUL there is a broken or hostile gun, not a note.
int FirstControlChar(std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return c;
  }
  return -1;
}

std::string CodePointName(int c) {
  static const char kHex[] = "0123456789ABCDEF";
  return std::string("U+00") + kHex[c >> 4] + kHex[c & 15];
}

// The first line of `text` without its line break, and where the next starts.
std::string_view FirstLine(std::string_view text, std::size_t& next) {
  std::size_t nl = text.find('\n');
  next = nl == std::string_view::npos ? text.size() : nl + 1;
  std::string_view line = text.substr(0, nl == std::string_view::npos ? text.size() : nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

Result<Layout> ReadHeader(const CsvRecord& header) {
  if (!header.error.empty()) return Status::InvalidArgument("header row", header.error);
  Layout layout;
  layout.index.fill(-1);
  layout.width = header.fields.size();
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string_view name = header.fields[i];
    for (int c = 0; c < kColumnCount; ++c) {
      if (name == kBatchColumns[c]) {
        if (layout.index[c] >= 0) {
          return Status::InvalidArgument("header row", "column '" + Utf8Excerpt(name, 30) + "' appears twice");
        }
        layout.index[c] = static_cast<int>(i);
      }
    }
  }
  for (int c = 0; c < kColumnCount; ++c) {
    if (layout.index[c] < 0) {
      return Status::InvalidArgument("header row", std::string("column '") + kBatchColumns[c] + "' is missing");
    }
  }
  return layout;
}

Result<std::int64_t> ParseCount(std::string_view text, const char* what, std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0 || v > max) {
    return Status::InvalidArgument(std::string(what) + " '" + Utf8Excerpt(text, 20) + "'",
                                   "not a whole number in range");
  }
  return v;
}

// A row's fields by column; the row has the header's width.
class RowFields {
 public:
  RowFields(const CsvRecord& record, const Layout& layout) : record_(record), layout_(layout) {}
  const std::string& operator()(Column c) const { return record_.fields[layout_.index[c]]; }

 private:
  const CsvRecord& record_;
  const Layout& layout_;
};

// The row as a whole: its quoting, its width and its fields' lengths.
Status CheckShape(const CsvRecord& record, const Layout& layout) {
  if (record.too_many_fields) {
    return Status::InvalidArgument("row has more than " + std::to_string(kMaxCsvFields) + " fields",
                                   "the header has " + std::to_string(layout.width));
  }
  if (!record.error.empty()) return Status::InvalidArgument("broken quoting", record.error);
  if (record.fields.size() != layout.width) {
    return Status::InvalidArgument("row has " + std::to_string(record.fields.size()) + " fields, the header has " +
                                   std::to_string(layout.width));
  }
  const RowFields field(record, layout);
  for (const auto& [column, limit] : kFieldLimits) {
    if (field(column).size() > limit) {
      return Status::InvalidArgument(
          std::string(kBatchColumns[column]) + " too long",
          std::to_string(field(column).size()) + " bytes, at most " + std::to_string(limit) + " allowed");
    }
  }
  return Status::OK();
}

// What every scan has: its seq, type and time.
Status CheckSeqTypeTime(const RowFields& field, Scan& scan) {
  if (field(kSeq).empty()) return Status::InvalidArgument("missing field", "seq is empty");
  auto seq = ParseCount(field(kSeq), "seq", (std::int64_t{1} << 53));
  if (!seq.ok()) return seq.status();
  if (*seq == 0) return Status::InvalidArgument("seq '0'", "seq starts at 1");
  scan.seq = *seq;

  if (field(kType).empty()) return Status::InvalidArgument("missing field", "type is empty");
  auto type = ParseScanType(field(kType));
  if (!type) return Status::InvalidArgument("unknown scan type '" + Utf8Excerpt(field(kType), 30) + "'");
  scan.type = *type;

  if (field(kTime).empty()) return Status::InvalidArgument("missing field", "time is empty");
  auto time = ParseIsoInstant(field(kTime));
  if (!time.ok()) return time.status();
  scan.time = field(kTime);
  scan.time_ms = *time;
  return Status::OK();
}

// What the scan names: a waybill or a bag (or both), and the peer station.
Status CheckWaybillBagPeer(const RowFields& field, Scan& scan) {
  if (field(kWaybill).empty() && field(kBag).empty()) {
    return Status::InvalidArgument("missing field", "a row needs a waybill or a bag");
  }
  scan.waybill.clear();
  if (!field(kWaybill).empty()) {
    auto waybill = NormalizeWaybill(field(kWaybill));
    if (!waybill.ok()) return waybill.status();
    scan.waybill = std::move(*waybill);
  }
  scan.bag.clear();
  if (!field(kBag).empty()) {
    auto bag = NormalizeBag(field(kBag));
    if (!bag.ok()) return bag.status();
    scan.bag = std::move(*bag);
  }

  scan.peer_station = field(kPeer);
  if (!scan.peer_station.empty() && !IsStationCode(scan.peer_station)) {
    return Status::InvalidArgument("peer_station '" + Utf8Excerpt(scan.peer_station, 20) + "'", "not six digits");
  }
  if (scan.type == ScanType::kDispatch && scan.peer_station.empty()) {
    return Status::InvalidArgument("missing field", "a dispatch needs peer_station (the next station)");
  }
  return Status::OK();
}

// The optional weight, and the reason a problem scan must carry.
Status CheckWeightReason(const RowFields& field, Scan& scan) {
  scan.weight_g.reset();
  if (!field(kWeight).empty()) {
    auto weight = ParseCount(field(kWeight), "weight_g", 10'000'000);  // 10 t: a full truck bag
    if (!weight.ok()) return weight.status();
    scan.weight_g = *weight;
  }

  scan.reason.reset();
  if (scan.type == ScanType::kProblem) {
    if (field(kReason).empty()) return Status::InvalidArgument("missing field", "a problem scan needs a reason");
    auto reason = ParseProblemReason(field(kReason));
    if (!reason) return Status::InvalidArgument("unknown problem reason '" + Utf8Excerpt(field(kReason), 30) + "'");
    scan.reason = *reason;
  } else if (!field(kReason).empty()) {
    return Status::InvalidArgument("reason '" + Utf8Excerpt(field(kReason), 30) + "'", "only problem scans carry a reason");
  }
  return Status::OK();
}

Status CheckNote(const std::string& note, Scan& scan) {
  auto chars = Utf8CodePoints(note);
  if (!chars) return Status::InvalidArgument("note", "not valid UTF-8");
  if (*chars > kMaxNoteChars) {
    return Status::InvalidArgument(
        "note too long", std::to_string(*chars) + " characters, at most " + std::to_string(kMaxNoteChars) + " allowed");
  }
  if (int c = FirstControlChar(note); c >= 0) {
    return Status::InvalidArgument("note",
                                   "control character " + CodePointName(c) + " (only tab and line breaks are allowed)");
  }
  scan.note = note;
  return Status::OK();
}

// Checks one row. Returns the reason it is bad, or fills `scan`.
Status CheckRow(const CsvRecord& record, const Layout& layout, Scan& scan) {
  if (Status shape = CheckShape(record, layout); !shape.ok()) return shape;
  const RowFields field(record, layout);
  if (Status s = CheckSeqTypeTime(field, scan); !s.ok()) return s;
  if (Status s = CheckWaybillBagPeer(field, scan); !s.ok()) return s;
  if (Status s = CheckWeightReason(field, scan); !s.ok()) return s;
  return CheckNote(field(kNote), scan);
}

std::int64_t SeqIfReadable(const CsvRecord& record, const Layout& layout) {
  if (!record.error.empty() || record.fields.size() <= static_cast<std::size_t>(layout.index[kSeq])) return 0;
  std::int64_t v = 0;
  const std::string& s = record.fields[layout.index[kSeq]];
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return (ec == std::errc() && end == s.data() + s.size() && v > 0) ? v : 0;
}

// Reads the comment line and the header row at the top of `text`.
struct Preamble {
  BatchOrigin origin;
  Layout layout;
  std::size_t rows_offset = 0;  // where the first row starts
  int rows_line = 0;            // its line in `text`
};

Result<Preamble> ReadPreamble(std::string_view text) {
  Preamble pre;
  std::size_t offset = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") offset = 3;
  std::size_t next = 0;
  std::string_view comment = FirstLine(text.substr(offset), next);
  auto origin = ParseBatchComment(comment);
  if (!origin.ok()) return origin.status();
  pre.origin = std::move(*origin);
  offset += next;

  CsvReader header_reader(text.substr(offset), 2);
  CsvRecord header;
  if (!header_reader.Next(header)) return Status::InvalidArgument("header row", "missing");
  auto layout = ReadHeader(header);
  if (!layout.ok()) return layout.status();
  pre.layout = *layout;
  pre.rows_offset = offset + (header_reader.rest().data() - text.substr(offset).data());
  pre.rows_line = header_reader.line();
  return pre;
}

}  // namespace

Result<BatchOrigin> ParseBatchComment(std::string_view line) {
  if (line.empty() || line[0] != '#') {
    return Status::InvalidArgument("batch comment line", "the first line must start with '# device=...'");
  }
  BatchOrigin origin;
  bool seen[4] = {};
  std::size_t p = 1;
  while (p < line.size()) {
    while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
    std::size_t end = p;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    std::string_view token = line.substr(p, end - p);
    p = end;
    if (token.empty()) continue;
    std::size_t eq = token.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = token.substr(0, eq);
    std::string_view value = token.substr(eq + 1);
    std::string* slot[] = {&origin.device, &origin.courier, &origin.station, &origin.batch};
    for (int k = 0; k < 4; ++k) {
      if (key != kNameKeys[k]) continue;
      // Two devices in one comment line: which gun is it? Not ours to guess.
      if (seen[k]) return Status::InvalidArgument("batch comment line", std::string(key) + "= appears twice");
      seen[k] = true;
      *slot[k] = std::string(value);
    }
  }
  const std::string* values[] = {&origin.device, &origin.courier, &origin.station, &origin.batch};
  for (int k = 0; k < 4; ++k) {
    const std::string name = kNameKeys[k];
    const std::string& value = *values[k];
    if (value.empty()) return Status::InvalidArgument("batch comment line", name + "= is missing");
    if (value.size() > kMaxNameChars) {
      return Status::InvalidArgument("batch comment line", name + " is " + std::to_string(value.size()) +
                                                               " characters long, at most " +
                                                               std::to_string(kMaxNameChars) + " allowed");
    }
    if (!std::all_of(value.begin(), value.end(), IsNameChar)) {
      return Status::InvalidArgument("batch comment line", name + " '" + Utf8Excerpt(value, 30) +
                                                               "' may hold only letters, digits, '-', '_' and '.'");
    }
  }
  if (!IsStationCode(origin.station)) {
    return Status::InvalidArgument("batch comment line", "station must be six digits");
  }
  return origin;
}

Result<Batch> ReadBatch(std::string_view text, int first_row_line, std::size_t max_rows) {
  auto pre = ReadPreamble(text);
  if (!pre.ok()) return pre.status();
  Batch batch;
  batch.origin = std::move(pre->origin);

  // The rows never start the file: a BOM before a row is that row's data,
  // whether or not the row is the first of a part (SplitBatchFile).
  const std::string_view rows_text = text.substr(pre->rows_offset);
  const int rows_line = first_row_line > 0 ? first_row_line : pre->rows_line;
  const Status too_many = Status::InvalidArgument(
      "batch", "more than " + std::to_string(max_rows) + " rows in one message (the limit a message); send it in parts");
  // A body that may hold more rows than allowed is counted first, so it is
  // refused before any row is checked: checking 50,000 bad rows only to
  // refuse them all would hold the ingest thread for tens of ms (T12).
  if (static_cast<std::size_t>(std::count(rows_text.begin(), rows_text.end(), '\n')) >= max_rows) {
    CsvReader counter(rows_text, rows_line, /*starts_file=*/false);
    CsvRecord counted;
    std::size_t n = 0;
    while (counter.Next(counted)) {
      if (++n > max_rows) return too_many;
    }
  }
  CsvReader reader(rows_text, rows_line, /*starts_file=*/false);
  CsvRecord record;
  std::unordered_set<std::int64_t> seen_seq;
  std::size_t rows = 0;
  while (reader.Next(record)) {
    if (++rows > max_rows) {
      return too_many;
    }
    GoodRow row;
    Status s = CheckRow(record, pre->layout, row.scan);
    if (s.ok() && !seen_seq.insert(row.scan.seq).second) {
      s = Status::InvalidArgument("seq " + std::to_string(row.scan.seq), "appears twice in the batch");
    }
    if (!s.ok()) {
      batch.problems.push_back({record.line, SeqIfReadable(record, pre->layout), std::string(record.raw), s.message()});
      continue;
    }
    row.line = record.line;
    row.raw = record.raw;
    batch.rows.push_back(std::move(row));
  }
  return batch;
}

Result<SplitBatch> SplitBatchFile(std::string_view text, std::size_t max_rows, std::size_t max_bytes) {
  auto pre = ReadPreamble(text);
  if (!pre.ok()) return pre.status();
  SplitBatch split;
  split.preamble = text.substr(0, pre->rows_offset);
  const std::size_t budget = max_bytes > split.preamble.size() ? max_bytes - split.preamble.size() : 0;
  std::string_view rows = text.substr(pre->rows_offset);
  CsvReader reader(rows, pre->rows_line, /*starts_file=*/false);
  CsvRecord record;
  BatchSlice current;
  std::size_t slice_start = 0;
  const auto close_at = [&](std::size_t end) {
    current.text = rows.substr(slice_start, end - slice_start);
    split.slices.push_back(current);
    current = BatchSlice{};
  };
  while (reader.Next(record)) {
    const auto start = static_cast<std::size_t>(record.raw.data() - rows.data());
    const auto end = static_cast<std::size_t>(reader.rest().data() - rows.data());
    if (current.rows > 0 && end - slice_start > budget) close_at(start);
    if (current.rows == 0) {
      current.first_line = record.line;
      slice_start = start;
    }
    ++current.rows;
    if (current.rows == max_rows) close_at(end);
  }
  if (current.rows > 0) close_at(rows.size());
  return split;
}

}  // namespace station
