// stationd for the fault tests only (RELIABILITY.md T3, T5): the production
// daemon, its SQLite I/O and allocations behind the fault shim
// (fault_injection.h), armed at run time through the control file named by
// $STATION_FAULTS_FILE. Production stationd has no fault injection.

#include <cstdio>
#include <cstdlib>

#include "daemon/cli.h"
#include "tests/faults/fault_injection.h"

int main(int argc, char** argv) {
  const char* control = std::getenv(station::test::kFaultControlEnv);
  if (!control || !*control) {
    std::fprintf(stderr, "stationd-faults: set %s to the fault control file\n", station::test::kFaultControlEnv);
    return 2;
  }
  // The main thread runs the ingest loop: it is the one whose I/O fails.
  if (station::Status s = station::test::InstallFaultInjection(control); !s.ok()) {
    std::fprintf(stderr, "stationd-faults: %s\n", s.ToString().c_str());
    return 1;
  }
  station::sql::OpenOptions db;
  // Named as well as default, so the open fails rather than silently
  // bypassing the shim if registration ever changes.
  db.vfs = station::test::kFaultVfsName;
  return station::StationdMain(argc, argv, db);
}
