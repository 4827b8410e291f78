#pragma once
// `stationctl reconcile`: asks the running stationd for a reconciliation
// run now and shows what it found.

#include "tools/stationctl/commands.h"

namespace station {

// 0: the run finished (its figures printed); 1: stationd not reachable or
// the run failed; 2: not finished within --timeout (it goes on by itself).
int CmdReconcile(const CtlOptions& options);

}  // namespace station
