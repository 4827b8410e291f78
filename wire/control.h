#pragma once
// The clerk's channel to the running stationd (docs/protocol.md, "Control").
// Encoding and decoding only, shared by stationd and stationctl.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "wire/control_status.h"

namespace station {

// The longest request frame taken. Room for a clerk's note of 1000 bytes even
// when JSON escapes every byte of it (a control byte takes six), so that a
// long note is refused by its own rule, by name.
constexpr std::size_t kMaxControlRequestBytes = 65536;

// Frame 1 of a control request; some commands carry a body in frame 2.
struct ControlRequest {
  std::string req;
  std::string cmd;     // "ping", "manifest_import", "upload", "uplink_status", "reconcile", "reconcile_status",
                       // "discrepancy_close", "problem_open", "problem_close", "problem_answer",
                       // "prune", "prune_status"
  std::string source;  // manifest_import: the file's name, kept as the rows' source
  // discrepancy_close: which one, the clerk's note and who closes it. With
  // initializers, so the other commands' requests stay {req, cmd, source}.
  std::int64_t id = 0;
  std::string note = {};
  std::string by = {};
  // problem_open (waybill, reason, note, by), problem_close (case_no, note,
  // by), problem_answer (case_no, resolution, phone, address, note, by).
  std::string waybill = {}, reason = {}, case_no = {}, resolution = {}, phone = {}, address = {};
  // prune: remove scans received before this instant (Unix ms), within
  // the retention rules (daemon/retention.h).
  std::int64_t before_ms = 0;
};

// What a problem command did to its case: what the clerk is told.
struct ProblemReply {
  std::string case_no, waybill, state, origin_station, action;  // action: opened, added, closed, answered
};

// A discrepancy as discrepancy_close left it: what the clerk is told.
struct ClosedDiscrepancy {
  std::int64_t id = 0;
  std::string kind, waybill, bag, origin_station, state, note, closed_by;
  std::int64_t changed_ms = 0;
};

std::string EncodeControlRequest(const ControlRequest& request);
Result<ControlRequest> DecodeControlRequest(std::string_view json);

// Replies: {"ok":true,...} with the command's fields, or an error.
std::string EncodePing(const std::string& req, const std::string& station);
std::string EncodeManifestImport(const std::string& req, const ManifestImport& result);
// upload and uplink_status: where the link to national stands.
std::string EncodeUplinkStatus(const std::string& req, const UplinkStatus& status);
// reconcile and reconcile_status: `ticket` is the run a reconcile asked
// for (0 for reconcile_status): done once `completed` reaches it.
std::string EncodeReconcileStatus(const std::string& req, std::int64_t ticket, const ReconcilerStatus& status);
std::string EncodeDiscrepancyClosed(const std::string& req, const ClosedDiscrepancy& closed);
std::string EncodeProblemReply(const std::string& req, const ProblemReply& problem);
// prune and prune_status: `ticket` is the prune a prune request started (0
// for prune_status): done once `completed` reaches it.
std::string EncodePruneStatus(const std::string& req, std::int64_t ticket, int retention_days,
                              const PruneStatus& status);
std::string EncodeControlError(const std::string& req, const Status& status);

// The reply as read by stationctl: ok, or code and error; for a manifest
// import, its counts and rejected rows.
struct ControlReply {
  bool ok = false;
  std::string code, error;
  std::string station;  // ping
  ManifestImport import;
  UplinkStatus uplink;  // upload, uplink_status
  std::int64_t ticket = 0;           // reconcile
  bool reconciler = false;           // reconcile, reconcile_status: the daemon has one
  ReconcilerStatus reconcile;        // reconcile, reconcile_status
  ClosedDiscrepancy discrepancy;     // discrepancy_close
  ProblemReply problem;              // problem_open, problem_close, problem_answer
  bool pruner = false;               // prune, prune_status: the reply carries "prune"
  std::int64_t prune_ticket = 0;     // prune
  int retention_days = 0;            // prune, prune_status: stationd's --retention-days
  PruneStatus prune;                 // prune, prune_status
};
Result<ControlReply> DecodeControlReply(std::string_view json);

// "2026-11-24T07:58:12.000+08:00": Unix milliseconds in this machine's time
// zone, as replies and stationctl word times for the clerk.
std::string LocalIsoTime(std::int64_t unix_ms);

}  // namespace station
