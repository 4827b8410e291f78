#pragma once
// Text from outside (a gun, a dock, national, a clerk) made safe for one
// log line: nothing in it can end the line, forge another, or steer the
// operator's terminal.

#include <cstddef>
#include <string>
#include <string_view>

namespace station {

// The longest text LogText() gives by default, cut mark aside.
inline constexpr std::size_t kLogTextBytes = 200;

// `text` for a log line: valid UTF-8 without line breaks or control
// characters. Each byte that is not valid UTF-8 is written \xNN; a control
// character (C0, DEL, C1), a line or paragraph separator (U+2028, U+2029)
// and a bidirectional override (U+202A-U+202E, U+2066-U+2069) are written
// \n, \r, \t or \u{XXXX}; a backslash is doubled and a double quote written
// \" so that key="value" fields cannot be closed early. Past `max_bytes` of
// output the text is cut on a character boundary and ends with
// "...[cut, N bytes]", N the length of the whole of `text`.
std::string LogText(std::string_view text, std::size_t max_bytes = kLogTextBytes);

}  // namespace station
