#pragma once
// The station database's schema, as ordered migrations tracked by
// PRAGMA user_version.

#include "sql/sqlite.h"

namespace station {

inline constexpr int kSchemaVersion = 9;

// Brings `db` to kSchemaVersion in one transaction. A database newer than
// this build is refused with kInvalidArgument rather than touched.
Status MigrateSchema(sql::Db& db);

}  // namespace station
