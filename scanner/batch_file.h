#pragma once
// The gun batch file of DESIGN §8: a comment line naming the batch, a header
// row, then one RFC 4180 row a scan. Reading checks every row on its own:
// a bad row is reported with its line number, raw text and reason, and the
// rows around it are still read.

#include <string>
#include <string_view>
#include <vector>

#include "scanner/scan.h"
#include "scanner/status.h"

namespace station {

// A row that could not be taken, and why.
struct RowProblem {
  int line = 0;           // line in the gun's file where the row starts
  std::int64_t seq = 0;   // the row's seq when it could be read, else 0
  std::string raw;        // the row as the gun wrote it
  std::string reason;     // "waybill EE123456786CN: S10 check digit is wrong"
};

struct GoodRow {
  int line = 0;
  std::string_view raw;  // into the text given to ReadBatch, which must outlive it
  Scan scan;
};

// One batch file, or one part of one (see docs/protocol.md).
struct Batch {
  BatchOrigin origin;
  std::vector<GoodRow> rows;
  std::vector<RowProblem> problems;
};

// Parses "# device=PDA-0042 courier=C1001 station=571001 batch=20261124-0003".
// kInvalidArgument names the missing or malformed key.
Result<BatchOrigin> ParseBatchComment(std::string_view line);

// Reads a whole batch text: the comment line, the header row, the rows.
// The Batch's good rows point into `text` (GoodRow::raw): keep it alive.
// Fails only when the batch as a whole cannot be read (no comment line,
// a bad or incomplete header); problems with rows land in Batch::problems.
// `first_row_line` is the file line of the first row after the header, when
// `text` is a part of a larger file; 0 means count from the text itself.
// A text with more than `max_rows` rows is refused whole (kInvalidArgument),
// so that one message cannot hold the daemon's memory or time.
Result<Batch> ReadBatch(std::string_view text, int first_row_line = 0, std::size_t max_rows = 50'000);

// A slice of a batch file holding at most N rows, for sending in parts.
struct BatchSlice {
  int first_line = 0;        // file line of the slice's first row
  std::size_t rows = 0;      // rows (records) in the slice
  std::string_view text;     // exact bytes of the file for those rows
};

// The comment and header lines of a batch file (with their line breaks),
// and its rows cut into slices of at most `max_rows` records. Fails when the
// file has no comment line or header row.
struct SplitBatch {
  std::string_view preamble;
  std::vector<BatchSlice> slices;
};
Result<SplitBatch> SplitBatchFile(std::string_view text, std::size_t max_rows);

inline constexpr const char* kBatchColumns[] = {"seq",  "waybill",  "type",   "time", "peer_station",
                                                "bag",  "weight_g", "reason", "note"};

}  // namespace station
