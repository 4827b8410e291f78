// LogText (core/log_text.h): what from outside reaches a log line is one
// line of valid UTF-8, whatever bytes it held.

#include <catch2/catch.hpp>

#include <string>

#include "core/log_text.h"
#include "core/utf8.h"

using namespace station;

TEST_CASE("issue 16: log text escapes line breaks, ESC, NUL, invalid UTF-8 and quotes", "[core][log]") {
  using namespace std::string_literals;
  CHECK(LogText("PDA-0042 batch 20261124-0003") == "PDA-0042 batch 20261124-0003");
  CHECK(LogText("到件 问题件") == "到件 问题件");  // valid UTF-8 is kept as it is
  CHECK(LogText("r1\n[critical] forged\x1b[2J") == "r1\\n[critical] forged\\u{1B}[2J");
  CHECK(LogText("a\rb\tc\x7f") == "a\\rb\\tc\\u{7F}");
  CHECK(LogText("nul\0here\xff\xfe"s) == "nul\\u{00}here\\xFF\\xFE");
  CHECK(LogText("\xc0\xaf") == "\\xC0\\xAF");          // an overlong "/"
  CHECK(LogText("\xed\xa0\x80") == "\\xED\\xA0\\x80");  // a surrogate
  CHECK(LogText("\xe2\x82") == "\\xE2\\x82");           // cut short
  CHECK(LogText("\xc2\x9b" "31m") == "\\u{9B}31m");     // C1 CSI
  CHECK(LogText("a\xe2\x80\xa8" "b\xe2\x80\xae" "c") == "a\\u{2028}b\\u{202E}c");
  CHECK(LogText("say \"x\" code=Ok \\n") == "say \\\"x\\\" code=Ok \\\\n");
}

TEST_CASE("issue 16: log text is cut to its length on a character boundary, and says so", "[core][log]") {
  const std::string long_text(1000, 'x');
  const std::string cut = LogText(long_text, 20);
  CHECK(cut == std::string(20, 'x') + "...[cut, 1000 bytes]");
  CHECK(LogText(long_text).size() == kLogTextBytes + std::string("...[cut, 1000 bytes]").size());
  // Never half a character or half an escape.
  const std::string chinese = "到到到到到";  // 15 bytes
  CHECK(LogText(chinese, 7) == "到到...[cut, 15 bytes]");
  CHECK(LogText("ab\n\n", 5) == "ab\\n...[cut, 4 bytes]");
  // Whatever the input, the output is valid UTF-8 with no byte below 0x20.
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  const std::string shown = LogText(every_byte, 4096);
  CHECK(Utf8CodePoints(shown).has_value());
  for (char c : shown) CHECK(static_cast<unsigned char>(c) >= 0x20);
  CHECK(LogText("") == "");
}
