#include "wire/control.h"

#include <ctime>

#include <nlohmann/json.hpp>

#include "core/iso_time.h"
#include "wire/json_integer.h"

namespace station {
namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string EncodeControlRequest(const ControlRequest& request) {
  json j{{"type", "control"}, {"v", 1}, {"req", request.req}, {"cmd", request.cmd}};
  if (!request.source.empty()) j["source"] = request.source;
  if (request.cmd == "discrepancy_close") {
    // Sent as typed, also when empty: stationd judges the note.
    j["id"] = request.id;
    j["note"] = request.note;
    j["by"] = request.by;
  }
  if (request.cmd == "prune") j["before_ms"] = request.before_ms;
  if (request.cmd.rfind("problem_", 0) == 0) {
    const std::pair<const char*, const std::string*> fields[] = {
        {"waybill", &request.waybill}, {"reason", &request.reason},   {"case", &request.case_no},
        {"resolution", &request.resolution}, {"phone", &request.phone}, {"address", &request.address},
        {"note", &request.note},       {"by", &request.by}};
    for (const auto& [name, value] : fields) {
      if (!value->empty()) j[name] = *value;
    }
  }
  return Dump(j);
}

Result<ControlRequest> DecodeControlRequest(std::string_view text) {
  if (text.size() > kMaxControlRequestBytes) {
    return Status::InvalidArgument("control request", "longer than " + std::to_string(kMaxControlRequestBytes) + " bytes");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("control request", "not a JSON object");
  const auto text_field = [&](const char* name) -> const json* {
    auto it = j.find(name);
    return (it != j.end() && it->is_string()) ? &*it : nullptr;
  };
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int>() != 1) {
    return Status::InvalidArgument("control request", "\"v\" must be 1");
  }
  ControlRequest request;
  if (const json* req = text_field("req")) request.req = req->get<std::string>();
  const json* cmd = text_field("cmd");
  if (!cmd) return Status::InvalidArgument("control request", "\"cmd\" is required");
  request.cmd = cmd->get<std::string>();
  if (const json* source = text_field("source")) request.source = source->get<std::string>().substr(0, 200);
  if (auto id = j.find("id"); id != j.end()) {
    if (!id->is_number_integer()) return Status::InvalidArgument("control request", "\"id\" must be an integer");
    request.id = id->get<std::int64_t>();
  }
  if (auto before = j.find("before_ms"); before != j.end()) {
    if (!before->is_number_integer()) return Status::InvalidArgument("control request", "\"before_ms\" must be an integer");
    request.before_ms = before->get<std::int64_t>();
  }
  for (auto [name, field] : {std::pair{"note", &request.note}, std::pair{"by", &request.by},
                             std::pair{"waybill", &request.waybill}, std::pair{"reason", &request.reason},
                             std::pair{"case", &request.case_no}, std::pair{"resolution", &request.resolution},
                             std::pair{"phone", &request.phone}, std::pair{"address", &request.address}}) {
    if (j.contains(name) && !text_field(name)) {
      return Status::InvalidArgument("control request", "\"" + std::string(name) + "\" must be text");
    }
    if (const json* text = text_field(name)) *field = text->get<std::string>();
  }
  return request;
}

std::string EncodePing(const std::string& req, const std::string& station) {
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true}, {"station", station}});
}

std::string EncodeManifestImport(const std::string& req, const ManifestImport& result) {
  json rejected = json::array();
  for (const ManifestProblem& p : result.rejected) rejected.push_back({{"line", p.line}, {"reason", p.reason}});
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true}, {"stored", result.stored},
               {"updated", result.updated}, {"unchanged", result.unchanged}, {"rejected", rejected}});
}

std::string EncodeUplinkStatus(const std::string& req, const UplinkStatus& s) {
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true},
               {"uplink",
                {{"configured", s.configured}, {"national", s.endpoint}, {"link_up", s.link_up},
                 {"link_changed_ms", s.link_changed_ms}, {"last_contact_ms", s.last_contact_ms},
                 {"last_upload_ms", s.last_upload_ms}, {"uploaded_upto", s.uploaded_upto},
                 {"newest_scan_id", s.newest_scan_id}, {"backlog", s.backlog},
                 {"oldest_waiting_ms", s.oldest_waiting_ms}, {"uploaded_this_run", s.uploaded_this_run},
                 {"resends", s.resends}, {"last_error", s.last_error},
                 {"manifest_rows_received", s.manifest_rows_received}, {"mail_received", s.mail_received}}}});
}

namespace {

json RunJson(const ReconcileRunSummary& r) {
  json found = json::object();
  for (int k = 0; k < reconcile::kKindCount; ++k) found[reconcile::KindName(static_cast<reconcile::Kind>(k))] = r.found[k];
  return {{"run_id", r.run_id},         {"trigger", r.trigger},
          {"started_ms", r.started_ms}, {"finished_ms", r.finished_ms},
          {"manifest_to_station", r.manifest_to_station}, {"arrived", r.arrived},
          {"within_grace", r.within_grace}, {"scans_read", r.scans_read},
          {"full", r.full},             {"manifest_read", r.manifest_read},
          {"found", found},             {"found_total", r.found_total},
          {"opened", r.opened},         {"resolved", r.resolved},       {"notices", r.notices},
          {"load_ms", r.load_ms},       {"engine_ms", r.engine_ms},
          {"store_ms", r.store_ms},     {"total_ms", r.total_ms}};
}

ReconcileRunSummary RunFromJson(const json& j) {
  ReconcileRunSummary r;
  r.run_id = IntegerValue(j, "run_id", std::int64_t{0});
  r.trigger = j.value("trigger", std::string());
  r.started_ms = IntegerValue(j, "started_ms", std::int64_t{0});
  r.finished_ms = IntegerValue(j, "finished_ms", std::int64_t{0});
  r.manifest_to_station = IntegerValue(j, "manifest_to_station", std::int64_t{0});
  r.arrived = IntegerValue(j, "arrived", std::int64_t{0});
  r.within_grace = IntegerValue(j, "within_grace", std::int64_t{0});
  r.scans_read = IntegerValue(j, "scans_read", std::int64_t{0});
  r.full = j.value("full", false);
  r.manifest_read = IntegerValue(j, "manifest_read", std::int64_t{0});
  const json found = j.value("found", json::object());
  for (int k = 0; k < reconcile::kKindCount; ++k) {
    r.found[k] = IntegerValue(found, reconcile::KindName(static_cast<reconcile::Kind>(k)), std::int64_t{0});
  }
  r.found_total = IntegerValue(j, "found_total", std::int64_t{0});
  r.opened = IntegerValue(j, "opened", std::int64_t{0});
  r.resolved = IntegerValue(j, "resolved", std::int64_t{0});
  r.notices = IntegerValue(j, "notices", std::int64_t{0});
  r.load_ms = IntegerValue(j, "load_ms", std::int64_t{0});
  r.engine_ms = IntegerValue(j, "engine_ms", std::int64_t{0});
  r.store_ms = IntegerValue(j, "store_ms", std::int64_t{0});
  r.total_ms = IntegerValue(j, "total_ms", std::int64_t{0});
  return r;
}

}  // namespace

std::string EncodeReconcileStatus(const std::string& req, std::int64_t ticket, const ReconcilerStatus& s) {
  json body = {{"ticket", ticket},       {"running", s.running},       {"requested", s.requested},
               {"completed", s.completed}, {"last_error", s.last_error}, {"last", nullptr}};
  if (s.last) body["last"] = RunJson(*s.last);
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true}, {"reconcile", body}});
}

std::string EncodeProblemReply(const std::string& req, const ProblemReply& p) {
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true},
               {"problem",
                {{"case", p.case_no}, {"waybill", p.waybill}, {"state", p.state}, {"origin_station", p.origin_station},
                 {"action", p.action}}}});
}

namespace {

json PruneResultJson(const PruneResult& r) {
  return {{"before_ms", r.before_ms},
          {"cutoff_ms", r.cutoff_ms},
          {"retention_days", r.retention_days},
          {"national_configured", r.national_configured},
          {"scans_removed", r.scans_removed},
          {"manifest_removed", r.manifest_removed},
          {"kept_younger", r.kept_younger},
          {"kept_not_uploaded", r.kept_not_uploaded},
          {"kept_not_desk_read", r.kept_not_desk_read},
          {"kept_newest", r.kept_newest},
          {"kept_open_discrepancy", r.kept_open_discrepancy},
          {"kept_unsettled_parcel", r.kept_unsettled_parcel},
          {"transactions", r.transactions},
          {"took_ms", r.took_ms}};
}

PruneResult PruneResultFromJson(const json& j) {
  PruneResult r;
  r.before_ms = IntegerValue(j, "before_ms", std::int64_t{0});
  r.cutoff_ms = IntegerValue(j, "cutoff_ms", std::int64_t{0});
  r.retention_days = IntegerValue(j, "retention_days", 0);
  r.national_configured = j.value("national_configured", false);
  r.scans_removed = IntegerValue(j, "scans_removed", std::int64_t{0});
  r.manifest_removed = IntegerValue(j, "manifest_removed", std::int64_t{0});
  r.kept_younger = IntegerValue(j, "kept_younger", std::int64_t{0});
  r.kept_not_uploaded = IntegerValue(j, "kept_not_uploaded", std::int64_t{0});
  r.kept_not_desk_read = IntegerValue(j, "kept_not_desk_read", std::int64_t{0});
  r.kept_newest = IntegerValue(j, "kept_newest", std::int64_t{0});
  r.kept_open_discrepancy = IntegerValue(j, "kept_open_discrepancy", std::int64_t{0});
  r.kept_unsettled_parcel = IntegerValue(j, "kept_unsettled_parcel", std::int64_t{0});
  r.transactions = IntegerValue(j, "transactions", std::int64_t{0});
  r.took_ms = IntegerValue(j, "took_ms", std::int64_t{0});
  return r;
}

}  // namespace

std::string EncodePruneStatus(const std::string& req, std::int64_t ticket, int retention_days, const PruneStatus& s) {
  json body = {{"ticket", ticket},           {"retention_days", retention_days}, {"running", s.running},
               {"requested", s.requested},   {"completed", s.completed},         {"last_error", s.last_error},
               {"last", nullptr}};
  if (s.last) body["last"] = PruneResultJson(*s.last);
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true}, {"prune", body}});
}

std::string EncodeDiscrepancyClosed(const std::string& req, const ClosedDiscrepancy& d) {
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", true},
               {"discrepancy",
                {{"id", d.id}, {"kind", d.kind}, {"waybill", d.waybill}, {"bag", d.bag},
                 {"origin_station", d.origin_station}, {"state", d.state}, {"note", d.note},
                 {"closed_by", d.closed_by}, {"changed_ms", d.changed_ms}}}});
}

std::string EncodeControlError(const std::string& req, const Status& status) {
  return Dump({{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", false},
               {"code", CodeName(status.code())}, {"error", status.message()}});
}

Result<ControlReply> DecodeControlReply(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("control reply", "not a JSON object");
  try {
    ControlReply reply;
    reply.ok = j.value("ok", false);
    reply.code = j.value("code", std::string());
    reply.error = j.value("error", std::string());
    reply.station = j.value("station", std::string());
    reply.import.stored = IntegerValue(j, "stored", 0);
    reply.import.updated = IntegerValue(j, "updated", 0);
    reply.import.unchanged = IntegerValue(j, "unchanged", 0);
    for (const json& r : j.value("rejected", json::array())) {
      reply.import.rejected.push_back({IntegerValue(r, "line", 0), std::string(), r.value("reason", std::string())});
    }
    if (auto u = j.find("uplink"); u != j.end() && u->is_object()) {
      UplinkStatus& s = reply.uplink;
      s.configured = u->value("configured", false);
      s.endpoint = u->value("national", std::string());
      s.link_up = u->value("link_up", false);
      s.link_changed_ms = IntegerValue(*u, "link_changed_ms", std::int64_t{0});
      s.last_contact_ms = IntegerValue(*u, "last_contact_ms", std::int64_t{0});
      s.last_upload_ms = IntegerValue(*u, "last_upload_ms", std::int64_t{0});
      s.uploaded_upto = IntegerValue(*u, "uploaded_upto", std::int64_t{0});
      s.newest_scan_id = IntegerValue(*u, "newest_scan_id", std::int64_t{0});
      s.backlog = IntegerValue(*u, "backlog", std::int64_t{0});
      s.oldest_waiting_ms = IntegerValue(*u, "oldest_waiting_ms", std::int64_t{0});
      s.uploaded_this_run = IntegerValue(*u, "uploaded_this_run", std::int64_t{0});
      s.resends = IntegerValue(*u, "resends", std::int64_t{0});
      s.last_error = u->value("last_error", std::string());
      s.manifest_rows_received = IntegerValue(*u, "manifest_rows_received", std::int64_t{0});
      s.mail_received = IntegerValue(*u, "mail_received", std::int64_t{0});
    }
    if (auto r = j.find("reconcile"); r != j.end() && r->is_object()) {
      reply.reconciler = true;
      reply.ticket = IntegerValue(*r, "ticket", std::int64_t{0});
      reply.reconcile.running = r->value("running", false);
      reply.reconcile.requested = IntegerValue(*r, "requested", std::int64_t{0});
      reply.reconcile.completed = IntegerValue(*r, "completed", std::int64_t{0});
      reply.reconcile.last_error = r->value("last_error", std::string());
      if (auto last = r->find("last"); last != r->end() && last->is_object()) reply.reconcile.last = RunFromJson(*last);
    }
    if (auto p = j.find("problem"); p != j.end() && p->is_object()) {
      reply.problem.case_no = p->value("case", std::string());
      reply.problem.waybill = p->value("waybill", std::string());
      reply.problem.state = p->value("state", std::string());
      reply.problem.origin_station = p->value("origin_station", std::string());
      reply.problem.action = p->value("action", std::string());
    }
    if (auto p = j.find("prune"); p != j.end() && p->is_object()) {
      reply.pruner = true;
      reply.prune_ticket = IntegerValue(*p, "ticket", std::int64_t{0});
      reply.retention_days = IntegerValue(*p, "retention_days", 0);
      reply.prune.running = p->value("running", false);
      reply.prune.requested = IntegerValue(*p, "requested", std::int64_t{0});
      reply.prune.completed = IntegerValue(*p, "completed", std::int64_t{0});
      reply.prune.last_error = p->value("last_error", std::string());
      if (auto last = p->find("last"); last != p->end() && last->is_object()) reply.prune.last = PruneResultFromJson(*last);
    }
    if (auto d = j.find("discrepancy"); d != j.end() && d->is_object()) {
      ClosedDiscrepancy& c = reply.discrepancy;
      c.id = IntegerValue(*d, "id", std::int64_t{0});
      c.kind = d->value("kind", std::string());
      c.waybill = d->value("waybill", std::string());
      c.bag = d->value("bag", std::string());
      c.origin_station = d->value("origin_station", std::string());
      c.state = d->value("state", std::string());
      c.note = d->value("note", std::string());
      c.closed_by = d->value("closed_by", std::string());
      c.changed_ms = IntegerValue(*d, "changed_ms", std::int64_t{0});
    }
    return reply;
  } catch (const json::exception& e) {
    return Status::InvalidArgument("control reply", e.what());
  }
}

std::string LocalIsoTime(std::int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return FormatIsoInstant(unix_ms, static_cast<int>(tm.tm_gmtoff / 60));
}

}  // namespace station
