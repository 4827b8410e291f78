#pragma once
// Reading a daemon's log or run file whole, for the process tests.

#include <string>

namespace station::test {

// The file's text; "" when it cannot be read (not yet written).
std::string ReadText(const std::string& path);
// True when the file at `path` holds `words`.
bool LogHas(const std::string& path, const std::string& words);

}  // namespace station::test
