#pragma once
// A plain-text table for people: columns padded by display width, so
// Chinese text (two columns a character) lines up. No Debian package does
// this for C++; fmt pads by code points, which misaligns CJK.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace station {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Each cell is shown on one line (OneLine): a note with line breaks, or
  // a raw row with control bytes, cannot break the table.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// `text` on one line, for a table cell: a line break (CRLF, LF or CR) is
// shown " ⏎ ", a tab as a space, any other control character and each byte
// that is not UTF-8 as "�". Scripts that need the exact text use --json.
std::string OneLine(std::string_view text);

// Columns `text` takes in a terminal (East Asian wide characters take two).
std::size_t DisplayWidth(const std::string& text);

// Local time "2026-11-24 07:58:12" of Unix milliseconds; "-" for 0.
std::string LocalTime(std::int64_t unix_ms);

// 1234567 -> "1,234,567": counts as a clerk reads them.
std::string Count(std::int64_t n);

}  // namespace station
