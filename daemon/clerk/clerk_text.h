#pragma once
// What a clerk types (a note, a name), as stationd keeps it: without blanks
// at either end (ASCII white space, and U+3000, the space a Chinese input
// method types), so a note of blanks counts as none; and its limits.

#include <cstddef>
#include <string_view>

namespace station {

inline constexpr std::size_t kMaxNoteBytes = 1000;
inline constexpr std::size_t kMaxClerkNameBytes = 100;

std::string_view TrimBlanks(std::string_view text);

}  // namespace station
