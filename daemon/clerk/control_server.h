#pragma once
// The clerk's commands to the running stationd, on a local socket
// (ipc://<data-dir>/control.sock by default). Served on the ingest thread,
// so state changes (a manifest import, a clerk closing a discrepancy) go
// through the one writer of station.db.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  // A handler answers one command: the decoded request frame, and the body
  // frame when the request had one (only manifest_import needs it).
  using Body = std::optional<std::string_view>;
  using Handler = std::string (ControlServer::*)(const ControlRequest& request, Body body);
  // Every command the socket serves, by name; any other is refused.
  static const std::map<std::string_view, Handler>& Commands();

  ControlServer(zmq::context_t& context, Store& store, std::string station);
  std::string Handle(std::vector<zmq::message_t>& frames);
  std::string Unknown(const ControlRequest& request);

  // control_server.cc
  std::string Ping(const ControlRequest& request, Body body);
  std::string ImportManifest(const ControlRequest& request, Body body);
  std::string Upload(const ControlRequest& request, Body body);
  std::string ReportUplink(const ControlRequest& request, Body body);
  std::string Reconcile(const ControlRequest& request, Body body);
  std::string ReportReconcile(const ControlRequest& request, Body body);
  std::string Prune(const ControlRequest& request, Body body);
  std::string ReportPrune(const ControlRequest& request, Body body);
  // discrepancy_close (control_discrepancy.cc): a clerk's close, written
  // here, on this thread's connection to station.db (the one writer), in
  // one short transaction.
  std::string CloseDiscrepancy(const ControlRequest& request, Body body);
  // problem_open, problem_close, problem_answer (control_problems.cc): a
  // clerk's write to a case, on this thread's connection, in one
  // transaction; then the desk (and the uplink) are woken.
  std::string OpenProblem(const ControlRequest& request, Body body);
  std::string CloseProblem(const ControlRequest& request, Body body);
  std::string AnswerProblem(const ControlRequest& request, Body body);
  std::string ProblemDone(const ControlRequest& request, const Result<ProblemReply>& reply);

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
