#pragma once
// The clerk's commands to the running stationd, on a local socket
// (ipc://<data-dir>/control.sock by default). Served on the ingest thread,
// so state changes (a manifest import, a clerk closing a discrepancy) go
// through the one writer of station.db.

#include <memory>
#include <string>

#include <zmq.hpp>

#include "wire/control.h"
#include "daemon/desk/problem_desk.h"
#include "daemon/reconciler/reconciler.h"
#include "daemon/storage/retention.h"
#include "daemon/storage/store.h"
#include "daemon/uplink/uplink.h"
#include "core/status.h"

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
  // The problem desk the problem commands wake, with the settings and the
  // clock they use; may be null.
  void SetProblemDesk(ProblemDesk* desk, ProblemSettings settings) {
    problem_desk_ = desk;
    problem_settings_ = std::move(settings);
  }

  // The pruner that prune and prune_status use; may be null (then they
  // answer kUnavailable).
  void SetPruner(Pruner* pruner) { pruner_ = pruner; }

  // Answers every request already waiting; never blocks.
  void HandleWaiting();

 private:
  ControlServer(zmq::context_t& context, Store& store, std::string station);
  std::string Handle(std::vector<zmq::message_t>& frames);
  // discrepancy_close: a clerk's close, written here, on this thread's
  // connection to station.db (the one writer), in one short transaction.
  std::string CloseDiscrepancy(const ControlRequest& request);
  // problem_open, problem_close, problem_answer (control_problems.cc): a
  // clerk's write to a case, on this thread's connection, in one transaction.
  std::string HandleProblem(const ControlRequest& request);

  Store& store_;
  std::string station_;
  zmq::socket_t socket_;
  std::string endpoint_;
  Uplink* uplink_ = nullptr;
  Reconciler* reconciler_ = nullptr;
  ProblemDesk* problem_desk_ = nullptr;
  Pruner* pruner_ = nullptr;
  ProblemSettings problem_settings_;
};

}  // namespace station
