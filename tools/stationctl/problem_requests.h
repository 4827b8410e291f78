#pragma once
// The clerk's changes to problem cases, sent to the running stationd
// (control commands problem_open, problem_close, problem_answer in
// docs/protocol.md). Each prints one line saying what was done, or
// stationd's reply as it came with --json. 2: a usage error (a required
// flag missing); 1: stationd is not running, or refuses, with its reason
// on stderr (no such case, closed already, an unknown reason or
// resolution, new_phone without a number, ...).

#include <string>

#include "tools/stationctl/commands.h"

namespace station {

// `problems open WAYBILL --reason R [--note TEXT] [--by NAME]`: opens a case
// for the parcel, or adds this report to its case when one is open.
int CmdProblemOpen(const CtlOptions& options, const std::string& waybill);

// `problems close CASE --note TEXT [--by NAME]`: closes a case by hand (a
// claim, or work done without its scan); the audit trail marks it so.
int CmdProblemClose(const CtlOptions& options, const std::string& case_no);

// `alerts answer CASE --resolution R [--phone N] [--address TEXT] [--note
// TEXT] [--by NAME]`: this station, the origin, answers an alert; stationd
// sends the answer to the station that reported the problem.
int CmdAlertAnswer(const CtlOptions& options, const std::string& case_no);

}  // namespace station
