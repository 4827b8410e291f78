#pragma once
// The gun batch file of DESIGN §8: a comment line naming the batch, a header
// row, then one RFC 4180 row a scan. Reading checks every row on its own:
// a bad row is reported with its line number, raw text and reason, and the
// rows around it are still read.

#include <string>
#include <string_view>
#include <vector>

#include "scanner/scan.h"
#include "core/status.h"

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

// Limits on what one message may hold (docs/protocol.md, "Limits"). A row
// field past its limit makes the row a RowProblem naming the field and the
// limit; a comment-line value past its limit refuses the batch, naming the
// key. Each limit sits above the longest value the field's format allows,
// so it never cuts a good value: it turns junk (a gun's buffer overrun, a
// file that is not a batch) into a plain reason before the format check,
// and bounds what one field costs. Lengths are in bytes but for the note.
// The largest batch body one dock message carries (docs/protocol.md).
inline constexpr std::size_t kMaxBatchBodyBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxBatchRows = 50'000;     // rows a message; a dock sends a file in parts
inline constexpr std::size_t kMaxNameChars = 64;         // device, courier, batch: A-Z a-z 0-9 - _ .
inline constexpr std::size_t kMaxSeqBytes = 20;          // seq runs to 2^53: 16 digits
inline constexpr std::size_t kMaxWaybillBytes = 32;      // 15 characters, with room for "]C1" and spaces
inline constexpr std::size_t kMaxBagBytes = 32;          // SSCC-18 or 19 characters, the same room
inline constexpr std::size_t kMaxTypeBytes = 32;         // out_for_delivery: 16
inline constexpr std::size_t kMaxTimeBytes = 40;         // 2026-11-24T07:58:12.123+08:00: 29
inline constexpr std::size_t kMaxPeerStationBytes = 16;  // six digits
inline constexpr std::size_t kMaxWeightBytes = 16;       // 10,000,000 g: 8 digits
inline constexpr std::size_t kMaxReasonBytes = 32;       // address_unclear: 15
// The note: kMaxNoteChars (500) characters, DESIGN §8; so at most 2,000
// bytes of UTF-8, and no control characters but tab and line breaks.

// Parses "# device=PDA-0042 courier=C1001 station=571001 batch=20261124-0003".
// kInvalidArgument names the missing, repeated, over-long or malformed key.
Result<BatchOrigin> ParseBatchComment(std::string_view line);

// Reads a whole batch text: the comment line, the header row, the rows.
// The Batch's good rows point into `text` (GoodRow::raw): keep it alive.
// Fails only when the batch as a whole cannot be read (no comment line,
// a bad or incomplete header); problems with rows land in Batch::problems.
// `first_row_line` is the file line of the first row after the header, when
// `text` is a part of a larger file; 0 means count from the text itself.
// A text with more than `max_rows` rows is refused whole (kInvalidArgument),
// so that one message cannot hold the daemon's memory or time.
Result<Batch> ReadBatch(std::string_view text, int first_row_line = 0, std::size_t max_rows = kMaxBatchRows);

// A slice of a batch file holding at most N rows, for sending in parts.
struct BatchSlice {
  int first_line = 0;        // file line of the slice's first row
  std::size_t rows = 0;      // rows (records) in the slice
  std::string_view text;     // exact bytes of the file for those rows
};

// The comment and header lines of a batch file (with their line breaks),
// and its rows cut into slices of at most `max_rows` records whose text,
// after the preamble, makes at most `max_bytes`: a part over stationd's body
// limit is refused whole, so one huge broken row must not take the rows
// beside it along. A row too big on its own is a slice of its own. Fails
// when the file has no comment line or header row.
struct SplitBatch {
  std::string_view preamble;
  std::vector<BatchSlice> slices;
};
Result<SplitBatch> SplitBatchFile(std::string_view text, std::size_t max_rows,
                                  std::size_t max_bytes = kMaxBatchBodyBytes);

inline constexpr const char* kBatchColumns[] = {"seq",  "waybill",  "type",   "time", "peer_station",
                                                "bag",  "weight_g", "reason", "note"};

}  // namespace station
