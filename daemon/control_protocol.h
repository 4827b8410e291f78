#pragma once
// The clerk's channel to the running stationd (docs/protocol.md, "Control").
// Encoding and decoding only, shared by stationd and stationctl.

#include <string>
#include <string_view>
#include <vector>

#include "daemon/reconciler.h"
#include "daemon/store.h"
#include "daemon/uplink.h"
#include "scanner/status.h"

namespace station {

// Frame 1 of a control request; some commands carry a body in frame 2.
struct ControlRequest {
  std::string req;
  std::string cmd;     // "ping", "manifest_import", "upload", "uplink_status", "reconcile", "reconcile_status"
  std::string source;  // manifest_import: the file's name, kept as the rows' source
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
};
Result<ControlReply> DecodeControlReply(std::string_view json);

}  // namespace station
