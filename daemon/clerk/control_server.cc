#include "daemon/clerk/control_server.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include <spdlog/spdlog.h>

#include "daemon/clerk/clerk_text.h"
#include "wire/control.h"
#include "core/clock.h"
#include "scanner/manifest.h"
#include "core/utf8.h"

namespace station {
namespace {

// The close as it will be stored (note and name trimmed), or what is wrong
// with it. JSON decoding has already made sure both are valid UTF-8.
Result<ControlRequest> CheckClose(ControlRequest request) {
  if (request.id < 1) return Status::InvalidArgument("discrepancy_close", "\"id\" must be a positive integer");
  request.note = std::string(TrimBlanks(request.note));
  if (request.note.empty()) {
    return Status::InvalidArgument("discrepancy " + std::to_string(request.id),
                                   "the note is empty: say why it is closed");
  }
  if (request.note.size() > kMaxNoteBytes) {
    return Status::InvalidArgument("discrepancy " + std::to_string(request.id),
                                   "the note has " + std::to_string(request.note.size()) + " bytes; at most " +
                                       std::to_string(kMaxNoteBytes) + " are kept");
  }
  request.by = std::string(TrimBlanks(request.by));
  if (request.by.empty()) {
    return Status::InvalidArgument("discrepancy " + std::to_string(request.id), "who closes it (\"by\") is empty");
  }
  if (request.by.size() > kMaxClerkNameBytes) {
    return Status::InvalidArgument("discrepancy " + std::to_string(request.id),
                                   "\"by\" is longer than " + std::to_string(kMaxClerkNameBytes) + " bytes");
  }
  return request;
}

// Stored text quoted in a one-line error: short, and on one line.
std::string OneLine(std::string_view text) {
  std::string line = Utf8Excerpt(text, 120);
  std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return line;
}

// The discrepancy `id` as it stands, or nullopt when there is none.
Result<std::optional<ClosedDiscrepancy>> ReadDiscrepancy(sql::Db& db, std::int64_t id) {
  auto read = sql::Stmt::Prepare(db,
                                 "SELECT kind, waybill, bag, origin_station, state, coalesce(note, ''),"
                                 " coalesce(closed_by, ''), changed_ms FROM discrepancies WHERE id = ?1");
  if (!read.ok()) return read.status();
  read->Bind(1, id);
  std::optional<ClosedDiscrepancy> found;
  Status s = read->ForEachRow([&](const sql::Stmt& row) {
    found = ClosedDiscrepancy{id,
                              row.ColumnText(0),
                              row.ColumnText(1),
                              row.ColumnText(2),
                              row.ColumnText(3),
                              row.ColumnText(4),
                              row.ColumnText(5),
                              row.ColumnText(6),
                              row.ColumnInt(7)};
  });
  if (!s.ok()) return s;
  return found;
}

// Why `d` cannot be closed, or OK when it can (open or notified). A close
// stands, and so does a resolution: the parcel came, nothing is left to close.
Status RefuseClose(const ClosedDiscrepancy& d) {
  const std::string which = "discrepancy " + std::to_string(d.id);
  if (d.state == "closed") {
    return Status::Conflict(which + " is already closed (by " + OneLine(d.closed_by) + ": " + OneLine(d.note) + ")");
  }
  if (d.state == "resolved") {
    const bool arrival = d.kind == "missing" || d.kind == "missing_bag";
    return Status::Conflict(which + " was resolved " + (arrival ? "by a late arrival " : "by reconciliation ") +
                                "on " + LocalIsoTime(d.changed_ms),
                            "a resolved one cannot be closed");
  }
  return Status::OK();
}

// Closes `close.id` with its note: reads it, refuses it when it is not open
// or notified, and writes the close, all in one transaction (BEGIN
// IMMEDIATE), so a reconciliation run cannot change it in between.
Result<ClosedDiscrepancy> Close(sql::Db& db, const ControlRequest& close, std::int64_t now_ms) {
  auto txn = sql::Txn::Begin(db);
  if (!txn.ok()) return txn.status();
  auto found = ReadDiscrepancy(db, close.id);
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound("no discrepancy " + std::to_string(close.id));
  ClosedDiscrepancy d = **found;
  if (Status refused = RefuseClose(d); !refused.ok()) return refused;
  auto update = sql::Stmt::Prepare(db,
                                   "UPDATE discrepancies SET state = 'closed', note = ?1, closed_by = ?2,"
                                   " changed_ms = ?3 WHERE id = ?4 AND state IN ('open', 'notified')");
  if (!update.ok()) return update.status();
  update->Bind(1, close.note).Bind(2, close.by).Bind(3, now_ms).Bind(4, close.id);
  if (Status s = update->Run(); !s.ok()) return s;
  if (db.Changes() != 1) return Status::IOError("close discrepancy " + std::to_string(close.id), "no row changed");
  if (Status s = txn->Commit(); !s.ok()) return s;
  d.state = "closed";
  d.note = close.note;
  d.closed_by = close.by;
  d.changed_ms = now_ms;
  return d;
}

}  // namespace

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
  if (request->cmd == "prune" || request->cmd == "prune_status") {
    if (!pruner_) return EncodeControlError(request->req, Status::Unavailable("prune", "not running"));
    // Started, not waited for: the prune runs on its own thread in short
    // transactions (daemon/retention.h); stationctl polls prune_status.
    std::int64_t ticket = 0;
    if (request->cmd == "prune") {
      auto started = pruner_->Start(request->before_ms, NowMs());
      if (!started.ok()) return EncodeControlError(request->req, started.status());
      ticket = *started;
    }
    return EncodePruneStatus(request->req, ticket, pruner_->retention_days(), pruner_->Status());
  }
  if (request->cmd == "discrepancy_close") return CloseDiscrepancy(*request);
  if (request->cmd.rfind("problem_", 0) == 0) return HandleProblem(*request);
  return EncodeControlError(request->req,
                            Status::InvalidArgument("unknown command '" + request->cmd.substr(0, 40) + "'"));
}

std::string ControlServer::CloseDiscrepancy(const ControlRequest& request) {
  auto close = CheckClose(request);
  if (!close.ok()) return EncodeControlError(request.req, close.status());
  auto closed = Close(store_.db(), *close, NowMs());
  if (!closed.ok()) {
    const Code code = closed.status().code();
    if (code == Code::kNotFound || code == Code::kConflict) return EncodeControlError(request.req, closed.status());
    spdlog::error("discrepancy close not stored id={} error=\"{}\"", close->id, closed.status().ToString());
    return EncodeControlError(request.req,
                              Status::Unavailable("storage failed, retry later", closed.status().message()));
  }
  spdlog::info("discrepancy closed id={} kind={} by=\"{}\"", closed->id, closed->kind, closed->closed_by);
  return EncodeDiscrepancyClosed(request.req, *closed);
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
