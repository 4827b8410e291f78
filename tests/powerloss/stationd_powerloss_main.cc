// stationd for the power-loss test only (RELIABILITY.md T2): the production
// daemon, its database behind the "powerloss" VFS. Production stationd has
// no fault injection and no way to weaken `synchronous`; this build takes
// STATION_TEST_SYNCHRONOUS=NORMAL so the test can prove it would catch that.

#include <cstdio>
#include <cstdlib>

#include "daemon/cli.h"
#include "tests/powerloss/powerloss_vfs.h"

int main(int argc, char** argv) {
  if (station::Status s = station::test::RegisterPowerlossVfs(); !s.ok()) {
    std::fprintf(stderr, "stationd-powerloss: %s\n", s.ToString().c_str());
    return 1;
  }
  station::sql::OpenOptions db;
  // Named as well as default, so the open fails rather than silently
  // bypassing the shim if registration ever changes.
  db.vfs = station::test::kPowerlossVfsName;
  if (const char* synchronous = std::getenv("STATION_TEST_SYNCHRONOUS")) db.synchronous = synchronous;
  return station::StationdMain(argc, argv, db);
}
