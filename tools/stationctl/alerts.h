#pragma once
// `stationctl alerts`: what other stations told this one through the
// national system, read from the inbox. For now the reconciliation digests
// ("missing_digest"): parcels this station shipped that never arrived at
// their destination, and those that arrived late after all.

#include "tools/stationctl/commands.h"

namespace station {

// The newest --limit lines (0: all), and how many more there are. 0 on
// success (also when there is nothing); 1 when the database cannot be read.
int CmdAlerts(const CtlOptions& options);

}  // namespace station
