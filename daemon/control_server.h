#pragma once
// The clerk's commands to the running stationd, on a local socket
// (ipc://<data-dir>/control.sock by default). Served on the ingest thread,
// so state changes (a manifest import, a clerk closing a discrepancy) go
// through the one writer of station.db.

#include <memory>
#include <string>

#include <zmq.hpp>

#include "daemon/control_protocol.h"
#include "daemon/reconciler.h"
#include "daemon/store.h"
#include "daemon/uplink.h"
#include "scanner/status.h"

namespace station {

class ControlServer {
 public:
  // Binds a ROUTER on `endpoint`. kUnavailable when it cannot be bound.
  static Result<std::unique_ptr<ControlServer>> Start(zmq::context_t& context, Store& store,
                                                      const std::string& station, const std::string& endpoint);

  const std::string& endpoint() const { return endpoint_; }
  zmq::socket_t& socket() { return socket_; }

  // The uplink that upload and uplink_status report on; may be null (no
  // --national), then they say so.
  void SetUplink(Uplink* uplink) { uplink_ = uplink; }
  // The reconciler that reconcile and reconcile_status use; may be null.
  void SetReconciler(Reconciler* reconciler) { reconciler_ = reconciler; }

  // Answers every request already waiting; never blocks.
  void HandleWaiting();

 private:
  ControlServer(zmq::context_t& context, Store& store, std::string station);
  std::string Handle(std::vector<zmq::message_t>& frames);
  // discrepancy_close: a clerk's close, written here, on this thread's
  // connection to station.db (the one writer), in one short transaction.
  std::string CloseDiscrepancy(const ControlRequest& request);

  Store& store_;
  std::string station_;
  zmq::socket_t socket_;
  std::string endpoint_;
  Uplink* uplink_ = nullptr;
  Reconciler* reconciler_ = nullptr;
};

}  // namespace station
