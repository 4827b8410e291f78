#pragma once
// stationctl's commands. Each prints to stdout (a table, or JSON with
// --json), diagnostics to stderr, and returns the exit code.

#include <cstddef>
#include <optional>
#include <string>

#include "core/status.h"

namespace station {

struct CtlOptions {
  std::string data_dir;
  bool json = false;
  std::string kind;         // quarantine, discrepancies --kind
  std::size_t limit = 100;  // quarantine, discrepancies, problems, alerts --limit
  std::string origin;       // discrepancies --origin
  std::string state;        // discrepancies, problems --state; empty: those not done with
  std::string csv;          // discrepancies, problems --csv FILE
  bool force = false;       // --csv: overwrite FILE
  std::string reason;       // problems --reason (filter), problems open --reason
  bool overdue = false;     // problems --overdue
  std::optional<std::string> note;  // discrepancies close, problems open/close, alerts answer --note
  std::optional<std::string> by;    // who does it (--by); default $USER, else "clerk"
  std::string resolution;           // alerts answer --resolution
  std::string phone, address;       // alerts answer --phone, --address
  bool no_wait = false;     // upload --no-wait
  int timeout_s = 600;      // upload: give up waiting after this
  std::string key_out = ".";  // keys create --out DIR
  std::string gun;            // keys enroll --gun DEVICE
  std::string station;        // keys enroll --station CODE
  std::string before;         // prune --before DATE
};

// Prints "stationctl: <what went wrong>" to stderr and returns 1.
int Fail(const Status& s);

int CmdStatus(const CtlOptions& options);
int CmdScans(const CtlOptions& options, const std::string& waybill);
int CmdQuarantine(const CtlOptions& options);
// Sends FILE to the running stationd; 0 when every row was taken, 1 when
// some were rejected (they are listed with their lines) or on failure.
int CmdManifestImport(const CtlOptions& options, const std::string& file);

}  // namespace station
