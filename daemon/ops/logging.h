#pragma once

#include <string>

#include "core/status.h"

namespace station {

// Where an executable's log goes besides stderr, and how much of it to keep.
struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical or off
  std::string file;            // a size-rotated log file; empty: stderr only
  // The file is rotated at this size: PATH.log becomes PATH.1.log, and so on.
  // A fraction is allowed (0.05 = 50 KiB), which is what the tests use.
  double file_max_mb = 10;
  int file_count = 5;  // rotated files kept besides the current one
};

// Checks `options` without opening anything; kInvalidArgument names the
// flag and the reason.
Status CheckLogOptions(const LogOptions& options);

// Sets up the default logger for an executable: stderr, and the rotated
// file when one is named; level from `options.level` unless SPDLOG_LEVEL
// is set. Under systemd (JOURNAL_STREAM names our stderr) each stderr line
// starts with its syslog priority, "<6>", so the journal keeps the levels,
// and carries no timestamp (the journal adds its own); otherwise
// "date time level name: text". kInvalidArgument for bad options, kIOError
// when the file cannot be opened.
Status InitLogging(const std::string& program, const LogOptions& options);

// The same with stderr only.
Status InitLogging(const std::string& program, const std::string& level);

}  // namespace station
