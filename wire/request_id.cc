#include "wire/request_id.h"

#include <nlohmann/json.hpp>

namespace station {
namespace {

using json = nlohmann::json;

// As wire/dock.cc's parser: deeper documents are not read at all.
constexpr int kMaxJsonDepth = 32;

}  // namespace

Status ReadReq(const json& header, const char* what, bool required, std::string& req) {
  req.clear();
  auto it = header.find("req");
  if (it == header.end() && !required) return Status::OK();
  if (it == header.end() || !it->is_string() || it->get_ref<const std::string&>().size() > kMaxReqBytes) {
    return Status::InvalidArgument(what, "\"req\" must be a string of at most 128 bytes");
  }
  req = it->get<std::string>();
  return Status::OK();
}

std::string EchoableReq(std::string_view header) {
  if (header.size() > kMaxEchoedHeaderBytes) return "";
  bool too_deep = false;
  json::parser_callback_t depth_guard = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  json doc = json::parse(header.begin(), header.end(), depth_guard, /*allow_exceptions=*/false);
  if (too_deep || doc.is_discarded() || !doc.is_object()) return "";
  std::string req;
  if (!ReadReq(doc, "header", /*required=*/true, req).ok()) return "";
  return req;
}

}  // namespace station
