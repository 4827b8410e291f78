#include "daemon/clerk/clerk_text.h"

namespace station {
namespace {

constexpr std::string_view kAsciiSpace = " \t\r\n\f\v";
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000

// The bytes of a blank at the front (back) of `text`, 0 when none.
std::size_t BlankAtFront(std::string_view text) {
  if (!text.empty() && kAsciiSpace.find(text.front()) != std::string_view::npos) return 1;
  return text.substr(0, 3) == kIdeographicSpace ? 3 : 0;
}
std::size_t BlankAtBack(std::string_view text) {
  if (!text.empty() && kAsciiSpace.find(text.back()) != std::string_view::npos) return 1;
  return text.size() >= 3 && text.substr(text.size() - 3) == kIdeographicSpace ? 3 : 0;
}

}  // namespace

std::string_view TrimBlanks(std::string_view text) {
  while (std::size_t n = BlankAtFront(text)) text.remove_prefix(n);
  while (std::size_t n = BlankAtBack(text)) text.remove_suffix(n);
  return text;
}

Status CheckClerkText(const std::string& what, const ClerkTextRule& rule, std::string& note, std::string& by) {
  note = std::string(TrimBlanks(note));
  by = std::string(TrimBlanks(by));
  if (rule.note_required && note.empty()) {
    return Status::InvalidArgument(what, std::string("the note is empty: ") + rule.why_note);
  }
  if (note.size() > kMaxNoteBytes) {
    return Status::InvalidArgument(what, "the note has " + std::to_string(note.size()) + " bytes; at most " +
                                             std::to_string(kMaxNoteBytes) + " are kept");
  }
  if (by.empty()) return Status::InvalidArgument(what, std::string(rule.doer) + " (\"by\") is empty");
  if (by.size() > kMaxClerkNameBytes) {
    return Status::InvalidArgument(what, "\"by\" is longer than " + std::to_string(kMaxClerkNameBytes) + " bytes");
  }
  return Status::OK();
}

}  // namespace station
