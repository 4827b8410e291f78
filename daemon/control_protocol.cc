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
    return reply;
  } catch (const json::exception& e) {
    return Status::InvalidArgument("control reply", e.what());
  }
}

}  // namespace station
