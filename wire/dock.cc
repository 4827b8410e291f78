#include "wire/dock.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "wire/json_integer.h"
#include "wire/request_id.h"

namespace station {
namespace {

using json = nlohmann::json;

// Parses without exceptions; a depth or syntax problem is an InvalidArgument.
// Deeper nesting than this is refused (RELIABILITY.md §3a): our messages
// are two levels deep, and a deep document costs its decoder for nothing.
constexpr int kMaxJsonDepth = 32;

Result<json> ParseObject(std::string_view text, const char* what) {
  bool too_deep = false;
  json::parser_callback_t depth_guard = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return !too_deep;
  };
  json doc = json::parse(text.begin(), text.end(), depth_guard, /*allow_exceptions=*/false);
  if (too_deep) return Status::InvalidArgument(what, "nested deeper than 32 levels");
  if (doc.is_discarded()) return Status::InvalidArgument(what, "not valid JSON");
  if (!doc.is_object()) return Status::InvalidArgument(what, "not a JSON object");
  return doc;
}

json RowsToJson(const std::vector<AckRow>& rows) {
  json out = json::array();
  for (const AckRow& r : rows) out.push_back({{"line", r.line}, {"seq", r.seq}, {"reason", r.reason}});
  return out;
}

bool RowsFromJson(const json& in, std::vector<AckRow>& rows) {
  if (!in.is_array()) return false;
  for (const json& r : in) {
    if (!r.is_object() || !r.value("reason", json()).is_string()) return false;
    auto line = IntegerFieldIn(r, "line", 0, std::numeric_limits<int>::max());
    if (!line) return false;
    rows.push_back({static_cast<int>(*line), IntegerValue(r, "seq", std::int64_t{0}), r["reason"].get<std::string>()});
  }
  return true;
}

Result<BatchAck> DecodeBatchAckOrThrow(std::string_view text);

}  // namespace

std::string EncodeBatchHeader(const BatchHeader& header) {
  return json{{"type", "batch"}, {"v", kProtocolVersion}, {"req", header.req}, {"first_line", header.first_line}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<BatchHeader> DecodeBatchHeader(std::string_view text) {
  if (text.size() > kMaxHeaderBytes) return Status::InvalidArgument("batch header", "longer than 4096 bytes");
  auto doc = ParseObject(text, "batch header");
  if (!doc.ok()) return doc.status();
  const json& j = *doc;
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || *type != "batch") {
    return Status::InvalidArgument("batch header", "\"type\" must be \"batch\"");
  }
  if (IntegerFieldIn(j, "v", kProtocolVersion, kProtocolVersion) != kProtocolVersion) {
    return Status::InvalidArgument("batch header", "\"v\" must be 1");
  }
  BatchHeader header;
  if (Status s = ReadReq(j, "batch header", /*required=*/true, header.req); !s.ok()) return s;
  if (j.contains("first_line")) {
    auto first = IntegerFieldIn(j, "first_line", 0, kMaxLineNumber);
    if (!first) return Status::InvalidArgument("batch header", "\"first_line\" must be a line number, 0 to 100000000");
    header.first_line = static_cast<int>(*first);
  }
  return header;
}

std::string EncodeBatchAck(const BatchAck& ack) {
  json j{{"type", "batch_ack"}, {"v", kProtocolVersion}, {"req", ack.req}, {"ok", ack.ok}};
  if (!ack.ok) {
    j["code"] = ack.code;
    j["error"] = ack.error;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  j["device"] = ack.device;
  j["batch"] = ack.batch;
  j["accepted"] = ack.accepted;
  j["duplicates"] = ack.duplicates;
  j["rejected"] = RowsToJson(ack.rejected);
  j["conflicts"] = RowsToJson(ack.conflicts);
  // Replace, not throw, on invalid UTF-8: an ack must always be sendable.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<BatchAck> DecodeBatchAck(std::string_view text) {
  // value() and get() throw on a field of the wrong type; a reply we cannot
  // read is an error value, not a crash of the dock.
  try {
    return DecodeBatchAckOrThrow(text);
  } catch (const json::exception& e) {
    return Status::InvalidArgument("batch ack", e.what());
  }
}

namespace {

Result<BatchAck> DecodeBatchAckOrThrow(std::string_view text) {
  auto doc = ParseObject(text, "batch ack");
  if (!doc.ok()) return doc.status();
  const json& j = *doc;
  BatchAck ack;
  if (!j.value("ok", json()).is_boolean() || !j.value("req", json()).is_string()) {
    return Status::InvalidArgument("batch ack", "needs \"ok\" and \"req\"");
  }
  ack.req = j["req"].get<std::string>();
  ack.ok = j["ok"].get<bool>();
  if (!ack.ok) {
    ack.code = j.value("code", std::string("Unknown"));
    ack.error = j.value("error", std::string());
    return ack;
  }
  // Counts of rows of one message: at most kMaxBatchRows each.
  constexpr auto kMaxRows = static_cast<std::int64_t>(kMaxBatchRows);
  auto accepted = IntegerFieldIn(j, "accepted", 0, kMaxRows);
  auto duplicates = IntegerFieldIn(j, "duplicates", 0, kMaxRows);
  if (!accepted || !duplicates) {
    return Status::InvalidArgument("batch ack", "needs \"accepted\" and \"duplicates\", counts of rows");
  }
  ack.device = j.value("device", std::string());
  ack.batch = j.value("batch", std::string());
  ack.accepted = static_cast<int>(*accepted);
  ack.duplicates = static_cast<int>(*duplicates);
  if (!RowsFromJson(j.value("rejected", json::array()), ack.rejected) ||
      !RowsFromJson(j.value("conflicts", json::array()), ack.conflicts)) {
    return Status::InvalidArgument("batch ack", "bad \"rejected\" or \"conflicts\" list");
  }
  return ack;
}

}  // namespace

BatchAck ErrorAck(std::string req, const Status& status) {
  BatchAck ack;
  ack.req = std::move(req);
  ack.ok = false;
  ack.code = CodeName(status.code());
  ack.error = status.message();
  return ack;
}

}  // namespace station
