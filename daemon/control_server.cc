#include "daemon/control_server.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/control_protocol.h"
#include "daemon/ingest_server.h"
#include "scanner/manifest.h"

namespace station {

ControlServer::ControlServer(zmq::context_t& context, Store& store, std::string station)
    : store_(store), station_(std::move(station)), socket_(context, zmq::socket_type::router) {}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(zmq::context_t& context, Store& store,
                                                            const std::string& station, const std::string& endpoint) {
  std::unique_ptr<ControlServer> server(new ControlServer(context, store, station));
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
  if (frames.size() < 2 || frames.size() > 3) {
    return EncodeControlError("", Status::InvalidArgument("control message", "a request frame and an optional body"));
  }
  auto request = DecodeControlRequest(frames[1].to_string_view());
  if (!request.ok()) return EncodeControlError("", request.status());
  if (request->cmd == "ping") return EncodePing(request->req, station_);
  if (request->cmd == "manifest_import") {
    if (frames.size() != 3) {
      return EncodeControlError(request->req, Status::InvalidArgument("manifest_import", "the CSV body is missing"));
    }
    auto manifest = ReadManifest(frames[2].to_string_view());
    if (!manifest.ok()) return EncodeControlError(request->req, manifest.status());
    const std::string source = "file:" + (request->source.empty() ? std::string("unnamed") : request->source);
    auto result = store_.SaveManifest(*manifest, source, NowMs());
    if (!result.ok()) {
      spdlog::error("manifest import not stored source={} error=\"{}\"", source, result.status().ToString());
      return EncodeControlError(request->req, Status::Unavailable("storage failed, retry later",
                                                                   result.status().message()));
    }
    spdlog::info("manifest imported source={} stored={} updated={} unchanged={} rejected={}", source,
                 result->stored, result->updated, result->unchanged, result->rejected.size());
    return EncodeManifestImport(request->req, *result);
  }
  if (request->cmd == "upload" || request->cmd == "uplink_status") {
    if (!uplink_) return EncodeUplinkStatus(request->req, UplinkStatus{});  // configured: false
    if (request->cmd == "upload") uplink_->Wake(/*now=*/true);
    // The uplink learns of new scans a moment after their commit; this
    // thread made the commits, so the newest id here is never behind. A
    // clerk asking right after a dock must not be told "all up" too early.
    UplinkStatus status = uplink_->Report();
    if (auto newest = store_.db().QueryInt("SELECT coalesce(max(id), 0) FROM scans"); newest.ok()) {
      status.newest_scan_id = std::max(status.newest_scan_id, *newest);
      status.backlog = status.newest_scan_id - status.uploaded_upto;
    }
    return EncodeUplinkStatus(request->req, status);
  }
  if (request->cmd == "reconcile" || request->cmd == "reconcile_status") {
    if (!reconciler_) return EncodeControlError(request->req, Status::Unavailable("reconciliation", "not running"));
    // Asked, not waited for: a run takes seconds, and this is the ingest
    // thread. The clerk's stationctl polls reconcile_status.
    const std::int64_t ticket = request->cmd == "reconcile" ? reconciler_->Request("clerk") : 0;
    return EncodeReconcileStatus(request->req, ticket, reconciler_->Status());
  }
  return EncodeControlError(request->req,
                            Status::InvalidArgument("unknown command '" + request->cmd.substr(0, 40) + "'"));
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
