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

// The services the clerk's commands use. Each may be null: then its
// commands say it is not running (no --national: no uplink).
struct ClerkServices {
  Uplink* uplink = nullptr;            // upload, uplink_status
  Reconciler* reconciler = nullptr;    // reconcile, reconcile_status
  ProblemDesk* problem_desk = nullptr; // the problem commands wake it and use its clock
  ProblemSettings problem_settings;    // the desk's settings
  Pruner* pruner = nullptr;            // prune, prune_status
};

class ControlServer {
 public:
  // Binds a ROUTER on `endpoint`. kUnavailable when it cannot be bound.
  // `services` is read at each command, so its owner (the Station) may fill
  // it in as the services start, before the socket is served; it must
  // outlive this.
  static Result<std::unique_ptr<ControlServer>> Start(zmq::context_t& context, Store& store,
                                                      const std::string& station, const std::string& endpoint,
                                                      const ClerkServices& services);

  const std::string& endpoint() const { return endpoint_; }
  zmq::socket_t& socket() { return socket_; }

  // Answers every request already waiting; never blocks.
  void HandleWaiting();

 private:
  // A handler answers one command: the decoded request frame, and the body
  // frame when the request had one (only manifest_import needs it).
  using Body = std::optional<std::string_view>;
  using Handler = std::string (ControlServer::*)(const ControlRequest& request, Body body);
  // Every command the socket serves, by name; any other is refused.
  static const std::map<std::string_view, Handler>& Commands();

  ControlServer(zmq::context_t& context, Store& store, std::string station, const ClerkServices& services);
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
  const ClerkServices& services_;
};

}  // namespace station
