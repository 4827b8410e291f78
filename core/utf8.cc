#include "core/utf8.h"

namespace station {

std::size_t Utf8DecodeAt(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1Fu;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0Fu;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  static constexpr std::uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

namespace {

std::size_t SequenceLength(std::string_view s, std::size_t i) {
  std::uint32_t cp;
  return Utf8DecodeAt(s, i, cp);
}

}  // namespace

std::string Utf8Excerpt(std::string_view s, std::size_t max_bytes) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = SequenceLength(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    // Control characters but tab and line breaks are shown escaped too: a
    // reason is printed on clerks' terminals (an ESC there is not text).
    if (len == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      if (out.size() + 4 > max_bytes) break;
      static const char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      ++i;
      continue;
    }
    if (out.size() + len > max_bytes) break;
    out.append(s.substr(i, len));
    i += len;
  }
  if (i < s.size()) out += "...";
  return out;
}

std::optional<std::size_t> Utf8CodePoints(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    std::size_t len = SequenceLength(s, i);
    if (len == 0) return std::nullopt;
    i += len;
  }
  return count;
}

}  // namespace station
