#pragma once
// `stationctl discrepancies`: what reconciliation found, for the clerk.

#include "tools/stationctl/commands.h"

namespace station {

// Lists discrepancies matching --kind, --origin and --state (default: open
// and notified) as a table, or JSON with --json, or writes all of them to
// --csv FILE (UTF-8 with a BOM, for Excel). 2: a bad filter or flag, named
// on stderr; 1: no database, a read or write failure, or FILE exists
// without --force.
int CmdDiscrepancies(const CtlOptions& options);

}  // namespace station
