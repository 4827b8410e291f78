// libFuzzer harness: a gun batch file (DESIGN §8) as stationd reads a docked
// part (scanner/batch_file.h). The input is the file. Besides memory errors
// and UB it checks that
// - every row is either good or a problem, and a good row's raw text lies
//   inside the input (GoodRow::raw points into it);
// - the file cut into parts as scanner-dock sends it (SplitBatchFile, the
//   preamble repeated, `first_line` set) reads to the same rows and problems,
//   with the same lines, as the file read whole. Not when a seq repeats: a
//   repeat is found only within one part (docs/protocol.md, "Row checks").
//   And not the reason of a record malformed as CSV: the reader tells why
//   from text past the record's first line, where it resumes and where a
//   part may end ("text after a closing quote" whole, "quoted field is
//   never closed" in a part); its line, seq and raw text must agree.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "scanner/batch_file.h"
#include "core/csv.h"

namespace {

using station::fuzz::Fail;

// One line a row or problem, with what a reader derives from it.
void Describe(const station::Batch& batch, const std::set<int>& malformed, std::string& rows, std::string& problems) {
  for (const station::GoodRow& r : batch.rows) {
    rows += std::to_string(r.line) + " " + std::to_string(r.scan.seq) + " " + r.scan.waybill + " " + r.scan.bag + " " +
            r.scan.time + " " + std::to_string(r.scan.time_ms) + " [" + std::string(r.raw) + "]\n";
  }
  for (const station::RowProblem& p : batch.problems) {
    const std::string& reason = malformed.count(p.line) ? "(malformed)" : p.reason;
    problems += std::to_string(p.line) + " " + std::to_string(p.seq) + " " + reason + " [" + p.raw + "]\n";
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto whole = station::ReadBatch(text);
  auto split = station::SplitBatchFile(text, 1 + size % 4);  // parts of 1 to 4 rows
  if (whole.ok() != split.ok()) Fail("gun batch", "ReadBatch and SplitBatchFile disagree on the preamble");
  if (!whole.ok()) return 0;

  std::size_t records = 0;
  for (const station::BatchSlice& slice : split->slices) records += slice.rows;
  if (whole->rows.size() + whole->problems.size() != records) {
    Fail("gun batch", "rows + problems != records: " + std::to_string(whole->rows.size()) + " + " +
                          std::to_string(whole->problems.size()) + " != " + std::to_string(records));
  }
  for (const station::GoodRow& r : whole->rows) {
    if (!station::fuzz::Inside(r.raw, data, size)) Fail("gun batch", "a good row's raw text is not in the input");
  }

  for (const station::RowProblem& p : whole->problems) {
    if (p.reason.find("appears twice") != std::string::npos) return 0;
  }
  // A part's records are the file's, so they are malformed in the same places.
  std::set<int> malformed;
  for (const station::BatchSlice& slice : split->slices) {
    station::CsvReader reader(slice.text, slice.first_line);
    station::CsvRecord record;
    while (reader.Next(record)) {
      if (!record.error.empty()) malformed.insert(record.line);
    }
  }
  std::string whole_rows, whole_problems;
  Describe(*whole, malformed, whole_rows, whole_problems);
  std::string part_rows, part_problems;
  for (const station::BatchSlice& slice : split->slices) {
    const std::string part_text = std::string(split->preamble) + std::string(slice.text);
    auto part = station::ReadBatch(part_text, slice.first_line);
    if (!part.ok()) Fail("gun batch", "a part does not read: " + part.status().ToString());
    Describe(*part, malformed, part_rows, part_problems);
  }
  if (part_rows != whole_rows) Fail("gun batch", "read in parts, the rows differ:\n" + whole_rows + "--\n" + part_rows);
  if (part_problems != whole_problems) {
    Fail("gun batch", "read in parts, the problems differ:\n" + whole_problems + "--\n" + part_problems);
  }
  return 0;
}
