#pragma once
// `stationctl backup FOLDER`: a consistent copy of the data folder while
// stationd runs (daemon/backup.h says how and why there, not in stationd).

#include <string>

#include "tools/stationctl/commands.h"

namespace station {

// 0: the backup is whole in FOLDER; 1: it was not made (the reason on stderr).
int CmdBackup(const CtlOptions& options, const std::string& folder);

}  // namespace station
