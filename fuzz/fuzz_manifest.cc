// libFuzzer harness: the national manifest CSV (scanner/manifest.h), as a
// clerk's import and frame 2 of a sync or lookup reply bring it, and the
// CSV record reader under it (scanner/csv.h). The input is the file. Besides
// memory errors and UB it checks that
// - the good rows, written back by AppendManifestRow, read back the same
//   and with no problem (manifest.h promises every field as written);
// - CsvReader: records start on increasing lines, each raw text lies in the
//   input, and a well-formed record written back field by field with
//   AppendCsvField reads back to the same fields. Not the text's first
//   record: every format of ours starts with a header or comment line, and
//   the reader drops a UTF-8 BOM only there.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "core/csv.h"
#include "scanner/manifest.h"

namespace {

using station::fuzz::Fail;

std::string EncodeManifest(const station::Manifest& manifest) {
  std::string csv;
  station::AppendManifestCsvHeader(csv);
  for (const station::ManifestRow& row : manifest.rows) station::AppendManifestRow(csv, row);
  return csv;
}

void CheckManifest(std::string_view text) {
  auto manifest = station::ReadManifest(text);
  if (!manifest.ok()) return;
  const std::string once = EncodeManifest(*manifest);
  auto again = station::ReadManifest(once);
  if (!again.ok()) Fail("manifest", "its own rows do not read: " + again.status().ToString() + "\n" + once);
  if (!again->problems.empty()) {
    Fail("manifest", "a good row written back is refused: " + again->problems[0].reason + "\n" + once);
  }
  if (again->rows.size() != manifest->rows.size()) Fail("manifest", "rows lost in a round trip\n" + once);
  const std::string twice = EncodeManifest(*again);
  if (twice != once) Fail("manifest", "changed in a round trip:\n" + once + "\n" + twice);
}

void CheckCsv(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  station::CsvReader reader(text);
  station::CsvRecord record;
  int last_line = 0;
  bool first = true;
  while (reader.Next(record)) {
    if (record.line <= last_line) Fail("csv", "record lines do not increase: " + std::to_string(record.line));
    last_line = record.line;
    if (!station::fuzz::Inside(record.raw, data, size)) Fail("csv", "a record's raw text is not in the input");
    const bool was_first = first;
    first = false;
    if (was_first || !record.error.empty()) continue;
    // A record of one empty field is written as an empty line, which a
    // reader skips: nothing to compare.
    if (record.fields.size() == 1 && record.fields[0].empty()) continue;
    std::string line = "h\n";
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0) line += ',';
      station::AppendCsvField(line, record.fields[i]);
    }
    line += '\n';
    station::CsvReader back(line);
    station::CsvRecord header, again;
    if (!back.Next(header) || !back.Next(again) || !again.error.empty() || again.fields != record.fields) {
      Fail("csv", "a record written back reads differently:\n" + line);
    }
    if (back.Next(again)) Fail("csv", "a record written back reads as two:\n" + line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckManifest(std::string_view(reinterpret_cast<const char*>(data), size));
  CheckCsv(data, size);
  return 0;
}
