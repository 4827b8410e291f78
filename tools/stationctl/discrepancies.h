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

// `stationctl discrepancies close ID --note TEXT [--by NAME]`: asks the
// running stationd to close one with the clerk's note, and says which one
// it closed. 2: ID is not a number or --note is missing; 1: stationd is not
// running or refuses (no such id, already closed or resolved, a blank or
// too long note: its reason on stderr). --json prints stationd's reply.
int CmdDiscrepancyClose(const CtlOptions& options, const std::string& id);

}  // namespace station
