#pragma once
// Reports for spreadsheets: CSV the way Excel reads Chinese (UTF-8 with a
// BOM, RFC 4180 records ending in CRLF), written so that a reader never
// sees half a file.

#include <string>
#include <vector>

#include "core/status.h"

namespace station {

class CsvDocument {
 public:
  CsvDocument() : text_("\xEF\xBB\xBF") {}  // without the BOM, Excel shows Chinese garbled
  void AddRecord(const std::vector<std::string>& fields);
  std::size_t records() const { return records_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t records_ = 0;
};

// Writes `bytes` to a temporary file beside `path`, syncs it and renames
// it over `path`, so a reader sees the old file or the whole new one.
// Without `overwrite`, an existing `path` is refused (kConflict), also one
// created meanwhile. kIOError when it cannot be written.
Status WriteFileAtomically(const std::string& path, const std::string& bytes, bool overwrite);

// The --csv FILE of a listing: writes `csv` to `path` and tells the clerk
// how many rows went there (the header record aside). Returns the exit code.
int WriteCsvReport(const CsvDocument& csv, const std::string& path, bool overwrite);

}  // namespace station
