#pragma once

#include <string>

#include "scanner/status.h"

namespace station {

// Sets up the default logger for an executable: stderr, "level name: text"
// (journald adds timestamps), level from `level` unless SPDLOG_LEVEL is set.
// kInvalidArgument for an unknown level name.
Status InitLogging(const std::string& program, const std::string& level);

}  // namespace station
