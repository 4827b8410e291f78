#pragma once
// The national link for the clerk: `stationctl upload` and the link part
// of `stationctl status`.

#include <iosfwd>

#include "daemon/views/station_view.h"
#include "wire/control_status.h"
#include "core/status.h"
#include "tools/stationctl/commands.h"

namespace station {

// The link section of `status`: from the database, and live from stationd
// when `live` is OK.
void PrintUplink(std::ostream& out, const StationSummary& summary, const Result<UplinkStatus>& live);

// Asks stationd to upload now; with a progress bar until the backlog is up
// (or --no-wait). 0: all up (or asked, with --no-wait); 1: stationd not
// reachable or not linked; 2: the backlog was not up within --timeout.
int CmdUpload(const CtlOptions& options);

// The live link state from the running stationd.
Result<UplinkStatus> LiveUplink(const std::string& data_dir);

}  // namespace station
