#pragma once
// stationctl's end of the control socket: one request to the running
// stationd of a data folder, one reply.

#include <chrono>
#include <string>

#include "wire/control.h"

namespace station {

// Finds the daemon through its run file, sends `request` (and `body` when
// not empty), waits up to `timeout` for the reply. kUnavailable when
// stationd is not running or does not answer. The reply's own error (ok:
// false) is returned as a reply, for the caller to word.
Result<ControlReply> CallDaemon(const std::string& data_dir, const ControlRequest& request, const std::string& body,
                                std::chrono::milliseconds timeout, std::string* raw_reply = nullptr);

}  // namespace station
