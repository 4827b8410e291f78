#pragma once
// The answer of PRAGMA integrity_check on a database file, opened read-only:
// "ok" for a sound file; otherwise SQLite's findings, or why it could not
// be opened or checked (so a test's CHECK(... == "ok") shows the reason).

#include <string>

namespace station::test {

std::string IntegrityCheck(const std::string& db_path);

}  // namespace station::test
