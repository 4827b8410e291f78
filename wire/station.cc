#include "wire/station.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "wire/json_integer.h"

namespace station {
namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> ParseObject(std::string_view body, const char* kind) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(kind, "not a JSON object");
  return j;
}

// The reads of a field (wire/station.h): absent, or of another type, reads
// as absent. A number with a fraction or an exponent is not an integer
// here: it is never cast (see wire/json_integer.h for why).
std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> Integer(const json& j, const char* key) {
  return IntegerFieldIn(j, key, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
}

// A problem message's object, with its case number, which it must have.
Result<json> ParseProblemMessage(std::string_view body, const char* kind, std::string& case_no) {
  auto j = ParseObject(body, kind);
  if (!j.ok()) return j.status();
  case_no = Text(*j, "case");
  if (case_no.empty()) return Status::InvalidArgument(kind, "\"case\" must be a non-empty string");
  return j;
}

json ItemJson(const DigestItem& item) {
  json j = {{"kind", item.kind}, {"waybill", item.waybill}, {"bag", item.bag}, {"dispatched_ms", item.dispatched_ms}};
  if (item.whole_bag_missing) j["whole_bag_missing"] = *item.whole_bag_missing;
  if (item.parcels) j["parcels"] = *item.parcels;
  return j;
}

Status ReadItem(const json& j, const std::string& where, DigestItem& item) {
  if (!j.is_object()) return Status::InvalidArgument(kMissingDigest, where + " is not an object");
  item.kind = Text(j, "kind");
  item.waybill = Text(j, "waybill");
  item.bag = Text(j, "bag");
  item.dispatched_ms = Integer(j, "dispatched_ms").value_or(0);
  if (auto it = j.find("whole_bag_missing"); it != j.end() && it->is_boolean()) item.whole_bag_missing = it->get<bool>();
  item.parcels = Integer(j, "parcels");
  return Status::OK();
}

Status ReadItems(const json& digest, const char* key, std::vector<DigestItem>& items) {
  auto list = digest.find(key);
  if (list == digest.end()) return Status::OK();
  if (!list->is_array()) return Status::InvalidArgument(kMissingDigest, std::string("\"") + key + "\" is not an array");
  for (std::size_t i = 0; i < list->size(); ++i) {
    DigestItem item;
    if (Status s = ReadItem((*list)[i], std::string(key) + "[" + std::to_string(i) + "]", item); !s.ok()) return s;
    items.push_back(std::move(item));
  }
  return Status::OK();
}

std::string JoinedItems(const std::vector<DigestItem>& items) {
  std::string joined;
  for (const DigestItem& item : items) {
    if (!joined.empty()) joined.push_back(',');
    joined += EncodeDigestItem(item);
  }
  return joined;
}

}  // namespace

std::string EncodeProblemAlert(const ProblemAlertMessage& a) {
  json j = {{"type", kProblemAlert},
            {"v", 1},
            {"case", a.case_no},
            {"from", a.from},
            {"to", a.to},
            {"waybill", a.waybill},
            {"reason", a.reason},
            {"opened_ms", a.opened_ms},
            {"note", a.note},
            {"answer_due_ms", a.answer_due_ms},
            {"problem_scans", a.problem_scans},
            {"recipient_phone", a.recipient_phone},
            {"bag", a.bag}};
  if (a.reason_label) j["reason_label"] = *a.reason_label;
  if (a.usual_resolutions) j["usual_resolutions"] = *a.usual_resolutions;
  if (a.weight_g) j["weight_g"] = *a.weight_g;
  if (a.reference_weight_g) j["reference_weight_g"] = *a.reference_weight_g;
  if (!a.suggestion.empty()) j["suggestion"] = a.suggestion;
  return Dump(j);
}

Result<ProblemAlertMessage> DecodeProblemAlert(std::string_view body) {
  ProblemAlertMessage a;
  auto j = ParseProblemMessage(body, kProblemAlert, a.case_no);
  if (!j.ok()) return j.status();
  a.from = Text(*j, "from");
  a.to = Text(*j, "to");
  a.waybill = Text(*j, "waybill");
  a.reason = Text(*j, "reason");
  if (auto label = j->find("reason_label"); label != j->end() && label->is_string()) {
    a.reason_label = label->get<std::string>();
  }
  if (auto usual = j->find("usual_resolutions"); usual != j->end() && usual->is_array()) {
    a.usual_resolutions.emplace();
    for (const json& key : *usual) {
      if (key.is_string()) a.usual_resolutions->push_back(key.get<std::string>());
    }
  }
  a.opened_ms = Integer(*j, "opened_ms").value_or(0);
  a.answer_due_ms = Integer(*j, "answer_due_ms").value_or(0);
  a.problem_scans = Integer(*j, "problem_scans").value_or(0);
  a.note = Text(*j, "note");
  a.recipient_phone = Text(*j, "recipient_phone");
  a.bag = Text(*j, "bag");
  a.weight_g = Integer(*j, "weight_g");
  a.reference_weight_g = Integer(*j, "reference_weight_g");
  a.suggestion = Text(*j, "suggestion");
  return a;
}

std::string EncodeProblemAnswer(const ProblemAnswerMessage& a) {
  json j = {{"type", kProblemAnswer}, {"v", 1},         {"case", a.case_no}, {"from", a.from},
            {"to", a.to},             {"waybill", a.waybill}, {"resolution", a.resolution},
            {"note", a.note},         {"by", a.by},     {"answered_ms", a.answered_ms}};
  if (!a.phone.empty()) j["phone"] = a.phone;
  if (!a.address.empty()) j["address"] = a.address;
  return Dump(j);
}

Result<ProblemAnswerMessage> DecodeProblemAnswer(std::string_view body) {
  ProblemAnswerMessage a;
  auto j = ParseProblemMessage(body, kProblemAnswer, a.case_no);
  if (!j.ok()) return j.status();
  a.from = Text(*j, "from");
  a.to = Text(*j, "to");
  a.waybill = Text(*j, "waybill");
  a.resolution = Text(*j, "resolution");
  a.phone = Text(*j, "phone");
  a.address = Text(*j, "address");
  a.note = Text(*j, "note");
  a.by = Text(*j, "by");
  a.answered_ms = Integer(*j, "answered_ms").value_or(0);
  return a;
}

std::string EncodeProblemClosed(const ProblemClosedMessage& c) {
  return Dump({{"type", kProblemClosed},
               {"v", 1},
               {"case", c.case_no},
               {"from", c.from},
               {"to", c.to},
               {"waybill", c.waybill},
               {"closed_ms", c.closed_ms},
               {"how", c.how},
               {"resolution", c.resolution},
               {"note", c.note}});
}

Result<ProblemClosedMessage> DecodeProblemClosed(std::string_view body) {
  ProblemClosedMessage c;
  auto j = ParseProblemMessage(body, kProblemClosed, c.case_no);
  if (!j.ok()) return j.status();
  c.from = Text(*j, "from");
  c.to = Text(*j, "to");
  c.waybill = Text(*j, "waybill");
  c.closed_ms = Integer(*j, "closed_ms").value_or(0);
  c.how = Text(*j, "how");
  c.resolution = Text(*j, "resolution");
  c.note = Text(*j, "note");
  return c;
}

std::string EncodeDigestItem(const DigestItem& item) { return Dump(ItemJson(item)); }

std::string EncodeMissingDigestOfItems(const MissingDigestHeader& h, std::string_view missing_items,
                                       std::string_view resolved_items) {
  const json header = {{"type", kMissingDigest}, {"v", 1},         {"from", h.from},           {"to", h.to},
                       {"run", h.run},           {"part", h.part}, {"parts", h.parts}, {"created_ms", h.created_ms}};
  std::string text = Dump(header);
  // The lists follow the header's sorted keys, after "v": the header is
  // written by itself and its closing brace replaced by them, so that
  // thousands of items are never built into one JSON tree.
  text.pop_back();
  text.append(",\"missing\":[").append(missing_items).append("],\"resolved\":[").append(resolved_items).append("]}");
  return text;
}

std::string EncodeMissingDigest(const MissingDigest& digest) {
  return EncodeMissingDigestOfItems(digest.header, JoinedItems(digest.missing), JoinedItems(digest.resolved));
}

Result<MissingDigest> DecodeMissingDigest(std::string_view body) {
  auto j = ParseObject(body, kMissingDigest);
  if (!j.ok()) return j.status();
  MissingDigest d;
  d.header.from = Text(*j, "from");
  d.header.to = Text(*j, "to");
  d.header.run = Integer(*j, "run").value_or(0);
  d.header.part = Integer(*j, "part").value_or(1);
  d.header.parts = Integer(*j, "parts").value_or(1);
  d.header.created_ms = Integer(*j, "created_ms").value_or(0);
  if (Status s = ReadItems(*j, "missing", d.missing); !s.ok()) return s;
  if (Status s = ReadItems(*j, "resolved", d.resolved); !s.ok()) return s;
  return d;
}

}  // namespace station
