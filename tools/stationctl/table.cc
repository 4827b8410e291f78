#include "tools/stationctl/table.h"

#include <cwchar>
#include <ctime>

#include "core/utf8.h"

namespace station {

std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n') {
      out += " \u23CE ";  // ⏎
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    if (c == '\t') {
      out += ' ';
      ++i;
      continue;
    }
    if (c < 0x20 || c == 0x7F) {
      out += "\uFFFD";
      ++i;
      continue;
    }
    const std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    const std::string_view piece = text.substr(i, len);
    const bool c1 = c == 0xC2 && piece.size() == 2 && static_cast<unsigned char>(piece[1]) < 0xA0;
    if (c >= 0x80 && (c < 0xC2 || c > 0xF4 || !Utf8CodePoints(piece) || piece.size() < len || c1)) {
      out += "\uFFFD";
      i += c1 ? 2 : 1;
      continue;
    }
    out.append(piece);
    i += len;
  }
  return out;
}

void Table::AddRow(std::vector<std::string> cells) {
  for (std::string& cell : cells) cell = OneLine(cell);
  rows_.push_back(std::move(cells));
}

std::size_t DisplayWidth(const std::string& text) {
  std::mbstate_t state{};
  std::size_t width = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    wchar_t wc;
    std::size_t n = std::mbrtowc(&wc, p, static_cast<std::size_t>(end - p), &state);
    if (n == 0 || n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
      ++width;  // not decodable in this locale: count a byte a column
      ++p;
      state = std::mbstate_t{};
      continue;
    }
    int w = ::wcwidth(wc);
    width += w < 0 ? 1 : static_cast<std::size_t>(w);
    p += n;
  }
  return width;
}

std::string LocalTime(std::int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

void Table::Print(std::ostream& out) const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  const auto measure = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(cells[i]));
    }
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);
  const auto print = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string& cell = i < cells.size() ? cells[i] : std::string();
      out << cell;
      if (i + 1 < widths.size()) out << std::string(widths[i] - DisplayWidth(cell) + 2, ' ');
    }
    out << "\n";
  };
  print(headers_);
  std::vector<std::string> rules;
  for (std::size_t w : widths) rules.push_back(std::string(w, '-'));
  print(rules);
  for (const auto& row : rows_) print(row);
}

std::string Count(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace station
