#pragma once
// `stationctl alerts`: what other stations told this one, about parcels it
// shipped, through the national system: problem parcels they hold (problem
// alerts, waiting for this station's answer: tools/stationctl/problem_alerts.h)
// and the reconciliation digests from the inbox ("missing_digest"): parcels
// that never arrived at their destination, and those that arrived late.

#include "tools/stationctl/commands.h"

namespace station {

// The newest --limit lines of each kind (0: all), and how many more there
// are; --json gives one array, each element with its "kind". 0 on success
// (also when there is nothing); 1 when the database cannot be read.
int CmdAlerts(const CtlOptions& options);

}  // namespace station
