#include "daemon/control_protocol.h"

#include <nlohmann/json.hpp>

namespace station {
namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string EncodeControlRequest(const ControlRequest& request) {
  json j{{"type", "control"}, {"v", 1}, {"req", request.req}, {"cmd", request.cmd}};
  if (!request.source.empty()) j["source"] = request.source;
  return Dump(j);
}

Result<ControlRequest> DecodeControlRequest(std::string_view text) {
  if (text.size() > 4096) return Status::InvalidArgument("control request", "longer than 4096 bytes");
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
    reply.import.stored = j.value("stored", 0);
    reply.import.updated = j.value("updated", 0);
    reply.import.unchanged = j.value("unchanged", 0);
    for (const json& r : j.value("rejected", json::array())) {
      reply.import.rejected.push_back({r.value("line", 0), std::string(), r.value("reason", std::string())});
    }
    if (auto u = j.find("uplink"); u != j.end() && u->is_object()) {
      UplinkStatus& s = reply.uplink;
      s.configured = u->value("configured", false);
      s.endpoint = u->value("national", std::string());
      s.link_up = u->value("link_up", false);
      s.link_changed_ms = u->value("link_changed_ms", std::int64_t{0});
      s.last_contact_ms = u->value("last_contact_ms", std::int64_t{0});
      s.last_upload_ms = u->value("last_upload_ms", std::int64_t{0});
      s.uploaded_upto = u->value("uploaded_upto", std::int64_t{0});
      s.newest_scan_id = u->value("newest_scan_id", std::int64_t{0});
      s.backlog = u->value("backlog", std::int64_t{0});
      s.oldest_waiting_ms = u->value("oldest_waiting_ms", std::int64_t{0});
      s.uploaded_this_run = u->value("uploaded_this_run", std::int64_t{0});
      s.resends = u->value("resends", std::int64_t{0});
      s.last_error = u->value("last_error", std::string());
      s.manifest_rows_received = u->value("manifest_rows_received", std::int64_t{0});
      s.mail_received = u->value("mail_received", std::int64_t{0});
    }
    return reply;
  } catch (const json::exception& e) {
    return Status::InvalidArgument("control reply", e.what());
  }
}

}  // namespace station
