#include "daemon/clerk/control_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/log_text.h"
#include "core/clock.h"
#include "scanner/manifest.h"
#include "wire/control.h"
#include "wire/request_id.h"

namespace station {

const std::map<std::string_view, ControlServer::Handler>& ControlServer::Commands() {
  static const std::map<std::string_view, Handler> commands = {
      {"ping", &ControlServer::Ping},
      {"manifest_import", &ControlServer::ImportManifest},
      {"upload", &ControlServer::Upload},
      {"uplink_status", &ControlServer::ReportUplink},
      {"reconcile", &ControlServer::Reconcile},
      {"reconcile_status", &ControlServer::ReportReconcile},
      {"prune", &ControlServer::Prune},
      {"prune_status", &ControlServer::ReportPrune},
      {"discrepancy_close", &ControlServer::CloseDiscrepancy},
      {"problem_open", &ControlServer::OpenProblem},
      {"problem_close", &ControlServer::CloseProblem},
      {"problem_answer", &ControlServer::AnswerProblem},
  };
  return commands;
}

ControlServer::ControlServer(zmq::context_t& context, Store& store, std::string station,
                             const ClerkServices& services)
    : store_(store), station_(std::move(station)), socket_(context, zmq::socket_type::router), services_(services) {}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(zmq::context_t& context, Store& store,
                                                            const std::string& station, const std::string& endpoint,
                                                            const ClerkServices& services) {
  std::unique_ptr<ControlServer> server(new ControlServer(context, store, station, services));
  try {
    server->socket_.set(zmq::sockopt::linger, 0);
    server->socket_.set(zmq::sockopt::router_mandatory, 1);
    server->socket_.set(zmq::sockopt::maxmsgsize, int64_t{256} << 20);  // a national manifest file
    server->socket_.bind(endpoint);
    server->endpoint_ = server->socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("bind control " + endpoint, e.what());
  }
  return server;
}

std::string ControlServer::Handle(std::vector<zmq::message_t>& frames) {
  // [routing id][request][body?]
  // A refusal echoes the request's req when it has one a client can match
  // (docs/protocol.md, "Request ids").
  const auto refuse = [&frames](const Status& why) {
    return EncodeControlError(frames.size() >= 2 ? EchoableReq(frames[1].to_string_view()) : std::string(), why);
  };
  if (frames.size() < 2 || frames.size() > 3) {
    return refuse(Status::InvalidArgument("control message", "a request frame and an optional body"));
  }
  auto request = DecodeControlRequest(frames[1].to_string_view());
  if (!request.ok()) return refuse(request.status());
  const auto command = Commands().find(request->cmd);
  if (command == Commands().end()) return Unknown(*request);
  const Body body = frames.size() == 3 ? Body(frames[2].to_string_view()) : std::nullopt;
  return (this->*command->second)(*request, body);
}

std::string ControlServer::Unknown(const ControlRequest& request) {
  // A problem_ command the desk does not know was first offered to the
  // desk, which says it is not running when it is not: kept so.
  if (request.cmd.rfind("problem_", 0) == 0 && !services_.problem_desk) {
    return EncodeControlError(request.req, Status::Unavailable("problem desk", "not running"));
  }
  return EncodeControlError(request.req,
                            Status::InvalidArgument("unknown command '" + request.cmd.substr(0, 40) + "'"));
}

std::string ControlServer::Ping(const ControlRequest& request, Body) { return EncodePing(request.req, station_); }

std::string ControlServer::ImportManifest(const ControlRequest& request, Body body) {
  if (!body)
    return EncodeControlError(request.req, Status::InvalidArgument("manifest_import", "the CSV body is missing"));
  auto manifest = ReadManifest(*body);
  if (!manifest.ok()) return EncodeControlError(request.req, manifest.status());
  const std::string source = "file:" + (request.source.empty() ? std::string("unnamed") : request.source);
  auto result = store_.SaveManifest(*manifest, source, NowMs());
  if (!result.ok()) {
    spdlog::error("manifest import not stored source=\"{}\" error=\"{}\"", LogText(source),
                  LogText(result.status().ToString()));
    return EncodeControlError(request.req,
                              Status::Unavailable("storage failed, retry later", result.status().message()));
  }
  spdlog::info("manifest imported source=\"{}\" stored={} updated={} unchanged={} rejected={}", LogText(source),
                 result->stored,
               result->updated, result->unchanged, result->rejected.size());
  return EncodeManifestImport(request.req, *result);
}

std::string ControlServer::Upload(const ControlRequest& request, Body body) {
  if (services_.uplink) services_.uplink->Wake(/*now=*/true);
  return ReportUplink(request, body);
}

std::string ControlServer::ReportUplink(const ControlRequest& request, Body) {
  if (!services_.uplink) return EncodeUplinkStatus(request.req, UplinkStatus{});  // configured: false
  // The uplink learns of new scans a moment after their commit; this
  // thread made the commits, so the newest id here is never behind. A
  // clerk asking right after a dock must not be told "all up" too early.
  UplinkStatus status = services_.uplink->Report();
  if (auto newest = store_.db().QueryInt("SELECT coalesce(max(id), 0) FROM scans"); newest.ok()) {
    status.newest_scan_id = std::max(status.newest_scan_id, *newest);
    status.backlog = status.newest_scan_id - status.uploaded_upto;
  }
  return EncodeUplinkStatus(request.req, status);
}

// Asked, not waited for: a run takes seconds, and this is the ingest
// thread. The clerk's stationctl polls reconcile_status.
std::string ControlServer::Reconcile(const ControlRequest& request, Body) {
  if (!services_.reconciler) return EncodeControlError(request.req, Status::Unavailable("reconciliation", "not running"));
  const std::int64_t ticket = services_.reconciler->Request("clerk");
  return EncodeReconcileStatus(request.req, ticket, services_.reconciler->Status());
}

std::string ControlServer::ReportReconcile(const ControlRequest& request, Body) {
  if (!services_.reconciler) return EncodeControlError(request.req, Status::Unavailable("reconciliation", "not running"));
  return EncodeReconcileStatus(request.req, /*ticket=*/0, services_.reconciler->Status());
}

// Started, not waited for: the prune runs on its own thread in short
// transactions (daemon/storage/retention.h); stationctl polls prune_status.
std::string ControlServer::Prune(const ControlRequest& request, Body) {
  if (!services_.pruner) return EncodeControlError(request.req, Status::Unavailable("prune", "not running"));
  auto ticket = services_.pruner->Start(request.before_ms, NowMs());
  if (!ticket.ok()) return EncodeControlError(request.req, ticket.status());
  return EncodePruneStatus(request.req, *ticket, services_.pruner->retention_days(), services_.pruner->Status());
}

std::string ControlServer::ReportPrune(const ControlRequest& request, Body) {
  if (!services_.pruner) return EncodeControlError(request.req, Status::Unavailable("prune", "not running"));
  return EncodePruneStatus(request.req, /*ticket=*/0, services_.pruner->retention_days(), services_.pruner->Status());
}

void ControlServer::HandleWaiting() {
  for (;;) {
    std::vector<zmq::message_t> frames;
    for (;;) {
      zmq::message_t frame;
      auto got = socket_.recv(frame, frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
      if (!got) return;
      bool more = frame.more();
      if (frames.size() < 4) frames.push_back(std::move(frame));
      if (!more) break;
    }
    std::string reply = Handle(frames);
    try {
      socket_.send(frames[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      socket_.send(zmq::buffer(reply), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      spdlog::debug("control reply not delivered error=\"{}\"", e.what());
    }
  }
}

}  // namespace station
