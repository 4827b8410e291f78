#pragma once
// `stationctl problems`: the station's problem cases (issue 5, DESIGN §4),
// read from station.db read-only. Opening and closing a case goes through
// stationd: tools/stationctl/problem_requests.h.

#include <string>

#include "tools/stationctl/commands.h"

namespace station {

// Lists the cases matching --state (default: open, notified and answered),
// --reason and --overdue, newest opened first, as a table, or JSON with
// --json, or writes all of them to --csv FILE (UTF-8 with a BOM). Phone
// numbers are masked. 2: a bad filter or flag, named on stderr; 1: no
// database, or it predates problem cases, or FILE cannot be written.
int CmdProblems(const CtlOptions& options);

// `stationctl problems show CASE`: every field of the case, the new phone
// number of its answer in full (the case is this station's: DESIGN §7),
// and its whole audit trail, oldest first. 1: no such case.
int CmdProblemShow(const CtlOptions& options, const std::string& case_no);

}  // namespace station
