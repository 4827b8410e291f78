#include "core/log_text.h"

#include <cstdint>

#include "core/utf8.h"

namespace station {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// True for a code point a log line must not hold as itself.
bool Unprintable(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// How `cp` is written when Unprintable().
std::string Escaped(std::uint32_t cp) {
  switch (cp) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      break;
  }
  std::string out = "\\u{";
  const int digits = cp > 0xFF ? 4 : 2;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 15];
  return out + "}";
}

}  // namespace

std::string LogText(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() : max_bytes);
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint32_t cp = 0;
    const std::size_t len = Utf8DecodeAt(text, i, cp);
    std::string piece;
    if (len == 0) {
      const auto byte = static_cast<unsigned char>(text[i]);
      piece = {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
    } else if (Unprintable(cp)) {
      piece = Escaped(cp);
    } else if (cp == '\\' || cp == '"') {
      piece = {'\\', static_cast<char>(cp)};
    } else {
      piece.assign(text.substr(i, len));
    }
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += len == 0 ? 1 : len;
  }
  if (i < text.size()) out += "...[cut, " + std::to_string(text.size()) + " bytes]";
  return out;
}

}  // namespace station
