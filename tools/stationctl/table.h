#pragma once
// A plain-text table for people: columns padded by display width, so
// Chinese text (two columns a character) lines up. No Debian package does
// this for C++; fmt pads by code points, which misaligns CJK.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace station {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Columns `text` takes in a terminal (East Asian wide characters take two).
std::size_t DisplayWidth(const std::string& text);

// Local time "2026-11-24 07:58:12" of Unix milliseconds; "-" for 0.
std::string LocalTime(std::int64_t unix_ms);

// 1234567 -> "1,234,567": counts as a clerk reads them.
std::string Count(std::int64_t n);

}  // namespace station
