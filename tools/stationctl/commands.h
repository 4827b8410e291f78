#pragma once
// stationctl's commands. Each prints to stdout (a table, or JSON with
// --json), diagnostics to stderr, and returns the exit code.

#include <cstddef>
#include <optional>
#include <string>

namespace station {

struct CtlOptions {
  std::string data_dir;
  bool json = false;
  std::string kind;         // quarantine, discrepancies --kind
  std::size_t limit = 100;  // quarantine, discrepancies, alerts --limit
  std::string origin;       // discrepancies --origin
  std::string state;        // discrepancies --state; empty: open and notified
  std::string csv;          // discrepancies --csv FILE
  bool force = false;       // discrepancies --csv: overwrite FILE
  std::optional<std::string> note;  // discrepancies close --note
  std::optional<std::string> by;    // discrepancies close --by; default $USER, else "clerk"
  bool no_wait = false;     // upload --no-wait
  int timeout_s = 600;      // upload: give up waiting after this
};

int CmdStatus(const CtlOptions& options);
int CmdScans(const CtlOptions& options, const std::string& waybill);
int CmdQuarantine(const CtlOptions& options);
// Sends FILE to the running stationd; 0 when every row was taken, 1 when
// some were rejected (they are listed with their lines) or on failure.
int CmdManifestImport(const CtlOptions& options, const std::string& file);

}  // namespace station
