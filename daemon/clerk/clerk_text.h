#pragma once
// What a clerk types (a note, a name), as stationd keeps it: without blanks
// at either end (ASCII white space, and U+3000, the space a Chinese input
// method types), so a note of blanks counts as none; and its limits. The
// one check of both, for every command that writes a clerk's words.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace station {

inline constexpr std::size_t kMaxNoteBytes = 1000;
inline constexpr std::size_t kMaxClerkNameBytes = 100;

std::string_view TrimBlanks(std::string_view text);

// How a command words what is missing: "the note is empty: <why_note>"
// (when a note is required) and "<doer> (\"by\") is empty".
struct ClerkTextRule {
  bool note_required = false;
  const char* why_note = "say why";
  const char* doer = "who does it";
};

// Trims `note` and `by` as they will be kept. InvalidArgument("<what>:
// ...") when the note is required but empty, or longer than kMaxNoteBytes,
// or the name is empty or longer than kMaxClerkNameBytes; the note is
// judged first. JSON decoding has already made sure both are valid UTF-8.
Status CheckClerkText(const std::string& what, const ClerkTextRule& rule, std::string& note, std::string& by);

}  // namespace station
