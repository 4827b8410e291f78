// The clerk's discrepancy_close, served by ControlServer on the ingest
// thread: a close with the clerk's note, read, judged and written in one
// transaction on the connection that commits the scans.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/log_text.h"
#include "core/utf8.h"
#include "daemon/clerk/clerk_text.h"
#include "daemon/clerk/control_server.h"

namespace station {
namespace {

// The close as it will be stored (note and name trimmed), or what is wrong
// with it.
Result<ControlRequest> CheckClose(ControlRequest request) {
  if (request.id < 1) return Status::InvalidArgument("discrepancy_close", "\"id\" must be a positive integer");
  const ClerkTextRule rule{/*note_required=*/true, "say why it is closed", "who closes it"};
  Status s = CheckClerkText("discrepancy " + std::to_string(request.id), rule, request.note, request.by);
  if (!s.ok()) return s;
  return request;
}

// Stored text quoted in a one-line error: short, and on one line.
std::string OneLine(std::string_view text) {
  std::string line = Utf8Excerpt(text, 120);
  std::replace_if(
      line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
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
    return Status::Conflict(which + " was resolved " + (arrival ? "by a late arrival " : "by reconciliation ") + "on " +
                                LocalIsoTime(d.changed_ms),
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

std::string ControlServer::CloseDiscrepancy(const ControlRequest& request, Body) {
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
  spdlog::info("discrepancy closed id={} kind={} by=\"{}\"", closed->id, closed->kind, LogText(closed->closed_by));
  return EncodeDiscrepancyClosed(request.req, *closed);
}

}  // namespace station
