#include "tests/support/integrity.h"

#include "sql/sqlite.h"

namespace station::test {

std::string IntegrityCheck(const std::string& db_path) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(db_path, options);
  if (!db.ok()) return db.status().ToString();
  auto check = db->QueryText("PRAGMA integrity_check");
  return check.ok() ? *check : check.status().ToString();
}

}  // namespace station::test
