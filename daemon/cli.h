#pragma once

#include "sql/sqlite.h"

namespace station {

// stationd's command line: parses flags and the config file, sets up
// logging, runs the daemon. Returns the exit code (2 for a usage error).
// `db` carries durability settings that no flag can change; only the
// power-loss test's build of stationd passes anything but the defaults.
int StationdMain(int argc, char** argv, const sql::OpenOptions& db = {});

}  // namespace station
