#include "wire/control.h"

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "core/iso_time.h"
#include "wire/json_integer.h"
#include "wire/request_id.h"

namespace station {
namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// ---- The requests' fields ----

// A text field of a request. Sent with the problem commands when not empty;
// note and by also with discrepancy_close, as typed, also when empty:
// stationd judges the note. Listed in the order the decoder checks them.
struct TextField {
  const char* name;
  std::string ControlRequest::*member;
  bool sent_with_close;
};
constexpr TextField kTextFields[] = {
    {"note", &ControlRequest::note, true},        {"by", &ControlRequest::by, true},
    {"waybill", &ControlRequest::waybill, false}, {"reason", &ControlRequest::reason, false},
    {"case", &ControlRequest::case_no, false},    {"resolution", &ControlRequest::resolution, false},
    {"phone", &ControlRequest::phone, false},     {"address", &ControlRequest::address, false},
};

// An integer field of a request, sent with one command only.
struct IntegerField {
  const char* name;
  std::int64_t ControlRequest::*member;
  const char* sent_with;
};
constexpr IntegerField kIntegerFields[] = {
    {"id", &ControlRequest::id, "discrepancy_close"},
    {"before_ms", &ControlRequest::before_ms, "prune"},
};

// ---- The replies' fields: each struct's list, written once for both directions ----

// A field of struct S: its name on the wire and the member that holds it.
template <typename S, typename T>
struct Field {
  const char* name;
  T S::*member;
};
template <typename S, typename T>
constexpr Field<S, T> F(const char* name, T S::*member) {
  return {name, member};
}

// Schema<S>::kFields: the fields of S, in the order the decoder reads them
// (a reply with several bad fields is refused for the first).
template <typename S>
struct Schema;

template <>
struct Schema<ManifestImport> {  // at the top level of the reply
  static constexpr auto kFields =
      std::make_tuple(F("stored", &ManifestImport::stored), F("updated", &ManifestImport::updated),
                      F("unchanged", &ManifestImport::unchanged), F("rejected", &ManifestImport::rejected));
};

template <>
struct Schema<UplinkStatus> {
  using S = UplinkStatus;
  static constexpr auto kFields = std::make_tuple(
      F("configured", &S::configured), F("national", &S::endpoint), F("link_up", &S::link_up),
      F("link_changed_ms", &S::link_changed_ms), F("last_contact_ms", &S::last_contact_ms),
      F("last_upload_ms", &S::last_upload_ms), F("uploaded_upto", &S::uploaded_upto),
      F("newest_scan_id", &S::newest_scan_id), F("backlog", &S::backlog), F("oldest_waiting_ms", &S::oldest_waiting_ms),
      F("uploaded_this_run", &S::uploaded_this_run), F("resends", &S::resends), F("last_error", &S::last_error),
      F("manifest_rows_received", &S::manifest_rows_received), F("mail_received", &S::mail_received),
      F("set_aside", &S::set_aside), F("set_aside_reason", &S::set_aside_reason));
};

template <>
struct Schema<ReconcileRunSummary> {
  using S = ReconcileRunSummary;
  static constexpr auto kFields = std::make_tuple(
      F("run_id", &S::run_id), F("trigger", &S::trigger), F("started_ms", &S::started_ms),
      F("finished_ms", &S::finished_ms), F("manifest_to_station", &S::manifest_to_station), F("arrived", &S::arrived),
      F("within_grace", &S::within_grace), F("scans_read", &S::scans_read), F("full", &S::full),
      F("manifest_read", &S::manifest_read), F("found", &S::found), F("found_total", &S::found_total),
      F("opened", &S::opened), F("resolved", &S::resolved), F("notices", &S::notices), F("load_ms", &S::load_ms),
      F("engine_ms", &S::engine_ms), F("store_ms", &S::store_ms), F("total_ms", &S::total_ms));
};

template <>
struct Schema<ReconcilerStatus> {  // after the reply's "ticket"
  using S = ReconcilerStatus;
  static constexpr auto kFields =
      std::make_tuple(F("running", &S::running), F("requested", &S::requested), F("completed", &S::completed),
                      F("last_error", &S::last_error), F("last", &S::last));
};

template <>
struct Schema<PruneResult> {
  using S = PruneResult;
  static constexpr auto kFields = std::make_tuple(
      F("before_ms", &S::before_ms), F("cutoff_ms", &S::cutoff_ms), F("retention_days", &S::retention_days),
      F("national_configured", &S::national_configured), F("scans_removed", &S::scans_removed),
      F("manifest_removed", &S::manifest_removed), F("kept_younger", &S::kept_younger),
      F("kept_not_uploaded", &S::kept_not_uploaded), F("kept_not_desk_read", &S::kept_not_desk_read),
      F("kept_newest", &S::kept_newest), F("kept_open_discrepancy", &S::kept_open_discrepancy),
      F("kept_unsettled_parcel", &S::kept_unsettled_parcel), F("transactions", &S::transactions),
      F("took_ms", &S::took_ms));
};

template <>
struct Schema<PruneStatus> {  // after the reply's "ticket" and "retention_days"
  using S = PruneStatus;
  static constexpr auto kFields =
      std::make_tuple(F("running", &S::running), F("requested", &S::requested), F("completed", &S::completed),
                      F("last_error", &S::last_error), F("last", &S::last));
};

template <>
struct Schema<ClosedDiscrepancy> {
  using S = ClosedDiscrepancy;
  static constexpr auto kFields =
      std::make_tuple(F("id", &S::id), F("kind", &S::kind), F("waybill", &S::waybill), F("bag", &S::bag),
                      F("origin_station", &S::origin_station), F("state", &S::state), F("note", &S::note),
                      F("closed_by", &S::closed_by), F("changed_ms", &S::changed_ms));
};

template <>
struct Schema<ProblemReply> {
  using S = ProblemReply;
  static constexpr auto kFields =
      std::make_tuple(F("case", &S::case_no), F("waybill", &S::waybill), F("state", &S::state),
                      F("origin_station", &S::origin_station), F("action", &S::action));
};

// Encoding: one field's value as JSON, and every field of a struct.
template <typename S>
void WriteFields(const S& s, json& j);
template <typename S>
json Object(const S& s) {
  json j = json::object();
  WriteFields(s, j);
  return j;
}
json ToJson(bool value) { return value; }
json ToJson(int value) { return value; }
json ToJson(std::int64_t value) { return value; }
json ToJson(const std::string& value) { return value; }
json ToJson(const std::int64_t (&found)[reconcile::kKindCount]) {  // by kind name
  json out = json::object();
  for (int k = 0; k < reconcile::kKindCount; ++k) out[reconcile::KindName(static_cast<reconcile::Kind>(k))] = found[k];
  return out;
}
json ToJson(const std::vector<ManifestProblem>& rejected) {  // the line and reason; not the raw row
  json out = json::array();
  for (const ManifestProblem& p : rejected) out.push_back({{"line", p.line}, {"reason", p.reason}});
  return out;
}
template <typename S>
json ToJson(const std::optional<S>& value) {
  return value ? Object(*value) : json(nullptr);
}
template <typename S>
void WriteFields(const S& s, json& j) {
  std::apply([&](const auto&... field) { ((j[field.name] = ToJson(s.*field.member)), ...); }, Schema<S>::kFields);
}

// Decoding: a missing field reads as zero, false or empty (not as the
// struct's default); one of the wrong type throws json::type_error.
template <typename S>
void ReadFields(const json& j, S& s);
template <typename S>
S ObjectFrom(const json& j) {
  S s;
  ReadFields(j, s);
  return s;
}
void FromJson(const json& j, const char* key, bool& value) { value = j.value(key, false); }
void FromJson(const json& j, const char* key, int& value) { value = IntegerValue(j, key, 0); }
void FromJson(const json& j, const char* key, std::int64_t& value) { value = IntegerValue(j, key, std::int64_t{0}); }
void FromJson(const json& j, const char* key, std::string& value) { value = j.value(key, std::string()); }
void FromJson(const json& j, const char* key, std::int64_t (&found)[reconcile::kKindCount]) {
  const json by_kind = j.value(key, json::object());
  for (int k = 0; k < reconcile::kKindCount; ++k) {
    found[k] = IntegerValue(by_kind, reconcile::KindName(static_cast<reconcile::Kind>(k)), std::int64_t{0});
  }
}
void FromJson(const json& j, const char* key, std::vector<ManifestProblem>& rejected) {
  rejected.clear();
  for (const json& r : j.value(key, json::array())) {
    rejected.push_back({IntegerValue(r, "line", 0), std::string(), r.value("reason", std::string())});
  }
}
template <typename S>
void FromJson(const json& j, const char* key, std::optional<S>& value) {  // absent unless an object
  if (auto it = j.find(key); it != j.end() && it->is_object()) value = ObjectFrom<S>(*it);
}
template <typename S>
void ReadFields(const json& j, S& s) {
  std::apply([&](const auto&... field) { (FromJson(j, field.name, s.*field.member), ...); }, Schema<S>::kFields);
}

// The nested object `key` of `j` when it is one.
const json* Nested(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

// What every reply starts with.
json Reply(const std::string& req, bool ok) { return {{"type", "control_reply"}, {"v", 1}, {"req", req}, {"ok", ok}}; }

}  // namespace

std::string EncodeControlRequest(const ControlRequest& request) {
  json j{{"type", "control"}, {"v", 1}, {"req", request.req}, {"cmd", request.cmd}};
  if (!request.source.empty()) j["source"] = request.source;
  for (const IntegerField& field : kIntegerFields) {
    if (request.cmd == field.sent_with) j[field.name] = request.*field.member;
  }
  const bool close = request.cmd == "discrepancy_close";
  const bool problem = request.cmd.rfind("problem_", 0) == 0;
  for (const TextField& field : kTextFields) {
    const std::string& value = request.*field.member;
    if ((close && field.sent_with_close) || (problem && !value.empty())) j[field.name] = value;
  }
  return Dump(j);
}

Result<ControlRequest> DecodeControlRequest(std::string_view text) {
  if (text.size() > kMaxControlRequestBytes) {
    return Status::InvalidArgument("control request",
                                   "longer than " + std::to_string(kMaxControlRequestBytes) + " bytes");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("control request", "not a JSON object");
  const auto text_field = [&](const char* name) -> const json* {
    auto it = j.find(name);
    return (it != j.end() && it->is_string()) ? &*it : nullptr;
  };
  if (IntegerFieldIn(j, "v", 1, 1) != 1) return Status::InvalidArgument("control request", "\"v\" must be 1");
  ControlRequest request;
  if (Status s = ReadReq(j, "control request", /*required=*/false, request.req); !s.ok()) return s;
  const json* cmd = text_field("cmd");
  if (!cmd) return Status::InvalidArgument("control request", "\"cmd\" is required");
  request.cmd = cmd->get<std::string>();
  if (const json* source = text_field("source")) request.source = source->get<std::string>().substr(0, 200);
  for (const IntegerField& field : kIntegerFields) {
    auto it = j.find(field.name);
    if (it == j.end()) continue;
    auto value = IntegerIn(*it, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    if (!value) {
      return Status::InvalidArgument("control request", "\"" + std::string(field.name) + "\" must be an integer");
    }
    request.*field.member = *value;
  }
  for (const TextField& field : kTextFields) {
    if (!j.contains(field.name)) continue;
    const json* value = text_field(field.name);
    if (!value) return Status::InvalidArgument("control request", "\"" + std::string(field.name) + "\" must be text");
    request.*field.member = value->get<std::string>();
  }
  return request;
}

std::string EncodePing(const std::string& req, const std::string& station) {
  json j = Reply(req, true);
  j["station"] = station;
  return Dump(j);
}

std::string EncodeManifestImport(const std::string& req, const ManifestImport& result) {
  json j = Reply(req, true);
  WriteFields(result, j);
  return Dump(j);
}

std::string EncodeUplinkStatus(const std::string& req, const UplinkStatus& status) {
  json j = Reply(req, true);
  j["uplink"] = Object(status);
  return Dump(j);
}

std::string EncodeReconcileStatus(const std::string& req, std::int64_t ticket, const ReconcilerStatus& status) {
  json j = Reply(req, true);
  j["reconcile"] = Object(status);
  j["reconcile"]["ticket"] = ticket;
  return Dump(j);
}

std::string EncodeProblemReply(const std::string& req, const ProblemReply& problem) {
  json j = Reply(req, true);
  j["problem"] = Object(problem);
  return Dump(j);
}

std::string EncodePruneStatus(const std::string& req, std::int64_t ticket, int retention_days,
                              const PruneStatus& status) {
  json j = Reply(req, true);
  j["prune"] = Object(status);
  j["prune"]["ticket"] = ticket;
  j["prune"]["retention_days"] = retention_days;
  return Dump(j);
}

std::string EncodeDiscrepancyClosed(const std::string& req, const ClosedDiscrepancy& closed) {
  json j = Reply(req, true);
  j["discrepancy"] = Object(closed);
  return Dump(j);
}

std::string EncodeControlError(const std::string& req, const Status& status) {
  json j = Reply(req, false);
  j["code"] = CodeName(status.code());
  j["error"] = status.message();
  return Dump(j);
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
    ReadFields(j, reply.import);
    if (const json* uplink = Nested(j, "uplink")) reply.uplink = ObjectFrom<UplinkStatus>(*uplink);
    if (const json* reconcile = Nested(j, "reconcile")) {
      reply.reconciler = true;
      reply.ticket = IntegerValue(*reconcile, "ticket", std::int64_t{0});
      reply.reconcile = ObjectFrom<ReconcilerStatus>(*reconcile);
    }
    if (const json* problem = Nested(j, "problem")) reply.problem = ObjectFrom<ProblemReply>(*problem);
    if (const json* prune = Nested(j, "prune")) {
      reply.pruner = true;
      reply.prune_ticket = IntegerValue(*prune, "ticket", std::int64_t{0});
      reply.retention_days = IntegerValue(*prune, "retention_days", 0);
      reply.prune = ObjectFrom<PruneStatus>(*prune);
    }
    if (const json* discrepancy = Nested(j, "discrepancy"))
      reply.discrepancy = ObjectFrom<ClosedDiscrepancy>(*discrepancy);
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
