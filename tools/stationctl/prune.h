#pragma once
// `stationctl prune --before DATE`: asks the running stationd to remove old
// scans within the retention rules (daemon/retention.h) and says what it
// removed and why it kept the rest.

#include <cstdint>
#include <string>

#include "core/status.h"
#include "tools/stationctl/commands.h"

namespace station {

// "2025-01-31" (the start of that day, local time) or an ISO instant with
// its offset ("2025-01-31T00:00:00+08:00"): Unix ms. kInvalidArgument,
// naming the text, for anything else or a date in the future.
Result<std::int64_t> ParsePruneDate(const std::string& text, std::int64_t now_ms);

// 0: done; 1: refused or failed (the reason on stderr); 2: still running
// at --timeout (it goes on in stationd).
int CmdPrune(const CtlOptions& options);

}  // namespace station
