#include "wire/national.h"

#include <cctype>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "scanner/identifiers.h"
#include "wire/json_integer.h"
#include "wire/request_id.h"

namespace station {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxHeader = 4096;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> ParseObject(std::string_view text, const char* what, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status::InvalidArgument(what, "longer than " + std::to_string(max_bytes) + " bytes");
  }
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(what, "not a JSON object");
  return j;
}

// The fields every link message has: "type" as expected, "v": 1, "req".
Status CheckEnvelope(const json& j, const char* what, const char* type, std::string& req) {
  auto t = j.find("type");
  if (t == j.end() || !t->is_string() || *t != type) {
    return Status::InvalidArgument(what, std::string("\"type\" must be \"") + type + "\"");
  }
  if (IntegerFieldIn(j, "v", 1, 1) != 1) return Status::InvalidArgument(what, "\"v\" must be 1");
  return ReadReq(j, what, /*required=*/false, req);
}

Status GetStation(const json& j, const char* what, const char* key, std::string& out) {
  auto s = j.find(key);
  if (s == j.end() || !s->is_string() || !IsStationCode(s->get<std::string>())) {
    return Status::InvalidArgument(what, std::string("\"") + key + "\" must be a six-digit station code");
  }
  out = s->get<std::string>();
  return Status::OK();
}

Status GetCursor(const json& j, const char* what, const char* key, std::int64_t& out) {
  auto c = j.find(key);
  if (c == j.end()) return Status::OK();  // absent: from the start
  auto cursor = IntegerIn(*c, 0, std::numeric_limits<std::int64_t>::max());
  if (!cursor) return Status::InvalidArgument(what, std::string("\"") + key + "\" must be a non-negative integer");
  out = *cursor;
  return Status::OK();
}

// A short printable id: letters, digits and - _ . : / only.
Status GetId(const json& j, const char* what, const char* key, std::string& out) {
  auto s = j.find(key);
  if (s == j.end() || !s->is_string()) return Status::InvalidArgument(what, std::string("\"") + key + "\" is required");
  const std::string& id = s->get_ref<const std::string&>();
  if (id.empty() || id.size() > 64) return Status::InvalidArgument(what, std::string("\"") + key + "\" is 1 to 64 characters");
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':' && c != '/') {
      return Status::InvalidArgument(what, std::string("\"") + key + "\" may hold letters, digits and - _ . : / only");
    }
  }
  out = id;
  return Status::OK();
}

// A list of waybills as a lookup carries them: normalised numbers, each
// once (a repeat is dropped), at most `most`.
Status GetWaybills(const json& j, const char* what, const char* key, std::size_t least, std::size_t most,
                   std::vector<std::string>& out) {
  auto list = j.find(key);
  if (list == j.end() || !list->is_array()) {
    return Status::InvalidArgument(what, std::string("\"") + key + "\" must be an array of waybill numbers");
  }
  if (list->size() < least || list->size() > most) {
    return Status::InvalidArgument(what, std::string("\"") + key + "\" must hold " + std::to_string(least) +
                                             " to " + std::to_string(most) + " waybills, not " +
                                             std::to_string(list->size()));
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& w = (*list)[i];
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (!w.is_string()) return Status::InvalidArgument(what, where + " must be a string");
    const std::string& text = w.get_ref<const std::string&>();
    auto normal = NormalizeWaybill(text);
    if (!normal.ok()) return Status::InvalidArgument(what, where + ": " + normal.status().message());
    // Answers are matched by the number as asked: only one spelling of it.
    if (*normal != text) return Status::InvalidArgument(what, where + " must be written " + *normal);
    if (seen.insert(text).second) out.push_back(text);
  }
  return Status::OK();
}

void PutError(json& j, bool ok, const std::string& code, const std::string& error) {
  j["ok"] = ok;
  if (!ok) {
    j["code"] = code;
    j["error"] = error;
  }
}

}  // namespace

std::string EncodeSyncRequest(const SyncRequest& r) {
  json j{{"type", "sync"},  {"v", 1}, {"req", r.req}, {"station", r.station}, {"manifest_after", r.manifest_after},
         {"mail_after", r.mail_after}};
  if (!r.uploads.empty()) j["uploads"] = r.uploads;
  return Dump(j);
}

Result<SyncRequest> DecodeSyncRequest(std::string_view text) {
  auto j = ParseObject(text, "sync", kMaxHeader);
  if (!j.ok()) return j.status();
  SyncRequest r;
  if (Status s = CheckEnvelope(*j, "sync", "sync", r.req); !s.ok()) return s;
  if (Status s = GetStation(*j, "sync", "station", r.station); !s.ok()) return s;
  if (Status s = GetCursor(*j, "sync", "manifest_after", r.manifest_after); !s.ok()) return s;
  if (Status s = GetCursor(*j, "sync", "mail_after", r.mail_after); !s.ok()) return s;
  if (auto uploads = j->find("uploads"); uploads != j->end()) {
    if (!uploads->is_array() || uploads->size() > kSyncUploadsAsked) {
      return Status::InvalidArgument("sync", "\"uploads\" must be an array of at most " +
                                                 std::to_string(kSyncUploadsAsked) + " request ids");
    }
    for (const json& req : *uploads) {
      if (!req.is_string() || req.get_ref<const std::string&>().size() > 128) {
        return Status::InvalidArgument("sync", "\"uploads\" must hold request ids (strings of at most 128)");
      }
      r.uploads.push_back(req.get<std::string>());
    }
  }
  return r;
}

std::string EncodeSyncReply(const SyncReply& r) {
  json j{{"type", "sync_ack"}, {"v", 1}, {"req", r.req}};
  PutError(j, r.ok, r.code, r.error);
  if (r.ok) {
    j["now_ms"] = r.now_ms;
    j["manifest_to"] = r.manifest_to;
    j["manifest_more"] = r.manifest_more;
    json mail = json::array();
    for (const MailItem& m : r.mail) {
      mail.push_back({{"seq", m.seq}, {"from", m.from}, {"msg_id", m.msg_id}, {"kind", m.kind}, {"body", m.body},
                      {"posted_ms", m.posted_ms}});
    }
    j["mail"] = std::move(mail);
    j["mail_more"] = r.mail_more;
    if (!r.uploads.empty()) {
      json uploads = json::array();
      for (const UploadAck& ack : r.uploads) uploads.push_back(json::parse(EncodeUploadAck(ack)));
      j["uploads"] = std::move(uploads);
    }
  }
  return Dump(j);
}

Result<SyncReply> DecodeSyncReply(std::string_view text) {
  auto j = ParseObject(text, "sync_ack", kMaxSyncReplyHeader);
  if (!j.ok()) return j.status();
  SyncReply r;
  if (Status s = CheckEnvelope(*j, "sync_ack", "sync_ack", r.req); !s.ok()) return s;
  try {
    r.ok = j->value("ok", false);
    if (!r.ok) {
      r.code = j->value("code", std::string("Unknown"));
      r.error = j->value("error", std::string());
      return r;
    }
    r.now_ms = IntegerValue(*j, "now_ms", std::int64_t{0});
    r.manifest_to = IntegerValue(*j, "manifest_to", std::int64_t{0});
    r.manifest_more = j->value("manifest_more", false);
    r.mail_more = j->value("mail_more", false);
    auto mail = j->find("mail");
    if (mail != j->end()) {
      if (!mail->is_array()) return Status::InvalidArgument("sync_ack", "\"mail\" must be an array");
      std::int64_t last = 0;
      for (const json& m : *mail) {
        MailItem item;
        item.seq = IntegerOf<std::int64_t>(m.at("seq"));
        item.from = m.at("from").get<std::string>();
        item.msg_id = m.at("msg_id").get<std::string>();
        item.kind = m.at("kind").get<std::string>();
        item.body = m.at("body").get<std::string>();
        item.posted_ms = IntegerValue(m, "posted_ms", std::int64_t{0});
        if (item.seq <= last) return Status::InvalidArgument("sync_ack", "mail seq must increase");
        last = item.seq;
        r.mail.push_back(std::move(item));
      }
    }
    if (auto uploads = j->find("uploads"); uploads != j->end() && uploads->is_array()) {
      for (const json& u : *uploads) {
        auto ack = DecodeUploadAck(Dump(u));
        if (!ack.ok()) return ack.status();
        r.uploads.push_back(std::move(*ack));
      }
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument("sync_ack", e.what());
  }
  return r;
}

std::string EncodePostRequest(const PostRequest& r) {
  return Dump({{"type", "post"}, {"v", 1}, {"req", r.req}, {"station", r.station}, {"to", r.to},
               {"msg_id", r.msg_id}, {"kind", r.kind}});
}

Result<PostRequest> DecodePostRequest(std::string_view text) {
  auto j = ParseObject(text, "post", kMaxHeader);
  if (!j.ok()) return j.status();
  PostRequest r;
  if (Status s = CheckEnvelope(*j, "post", "post", r.req); !s.ok()) return s;
  if (Status s = GetStation(*j, "post", "station", r.station); !s.ok()) return s;
  if (Status s = GetStation(*j, "post", "to", r.to); !s.ok()) return s;
  if (Status s = GetId(*j, "post", "msg_id", r.msg_id); !s.ok()) return s;
  if (Status s = GetId(*j, "post", "kind", r.kind); !s.ok()) return s;
  return r;
}

std::string EncodePostAck(const PostAck& a) {
  json j{{"type", "post_ack"}, {"v", 1}, {"req", a.req}, {"msg_id", a.msg_id}};
  PutError(j, a.ok, a.code, a.error);
  if (a.ok) {
    j["seq"] = a.seq;
    j["duplicate"] = a.duplicate;
  }
  return Dump(j);
}

Result<PostAck> DecodePostAck(std::string_view text) {
  auto j = ParseObject(text, "post_ack", kMaxHeader);
  if (!j.ok()) return j.status();
  PostAck a;
  if (Status s = CheckEnvelope(*j, "post_ack", "post_ack", a.req); !s.ok()) return s;
  try {
    a.ok = j->value("ok", false);
    a.msg_id = j->value("msg_id", std::string());
    a.code = j->value("code", std::string());
    a.error = j->value("error", std::string());
    a.seq = IntegerValue(*j, "seq", std::int64_t{0});
    a.duplicate = j->value("duplicate", false);
  } catch (const json::exception& e) {
    return Status::InvalidArgument("post_ack", e.what());
  }
  return a;
}

std::string EncodeLookupRequest(const LookupRequest& r) {
  return Dump({{"type", "lookup"}, {"v", 1}, {"req", r.req}, {"station", r.station}, {"waybills", r.waybills}});
}

Result<LookupRequest> DecodeLookupRequest(std::string_view text) {
  auto j = ParseObject(text, "lookup", kMaxLookupHeader);
  if (!j.ok()) return j.status();
  LookupRequest r;
  if (Status s = CheckEnvelope(*j, "lookup", "lookup", r.req); !s.ok()) return s;
  if (Status s = GetStation(*j, "lookup", "station", r.station); !s.ok()) return s;
  if (Status s = GetWaybills(*j, "lookup", "waybills", 1, kMaxLookupWaybills, r.waybills); !s.ok()) return s;
  return r;
}

std::string EncodeLookupReply(const LookupReply& r) {
  json j{{"type", "lookup_ack"}, {"v", 1}, {"req", r.req}};
  PutError(j, r.ok, r.code, r.error);
  if (r.ok) {
    j["now_ms"] = r.now_ms;
    j["found"] = r.found;
    j["not_found"] = r.not_found;
  }
  return Dump(j);
}

Result<LookupReply> DecodeLookupReply(std::string_view text) {
  auto j = ParseObject(text, "lookup_ack", kMaxLookupHeader);
  if (!j.ok()) return j.status();
  LookupReply r;
  if (Status s = CheckEnvelope(*j, "lookup_ack", "lookup_ack", r.req); !s.ok()) return s;
  auto ok = j->find("ok");
  r.ok = ok != j->end() && ok->is_boolean() && ok->get<bool>();
  if (!r.ok) {
    auto code = j->find("code");
    auto error = j->find("error");
    r.code = code != j->end() && code->is_string() ? code->get<std::string>() : "Unknown";
    r.error = error != j->end() && error->is_string() ? error->get<std::string>() : "";
    return r;
  }
  r.now_ms = IntegerFieldIn(*j, "now_ms", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  // Either list may be empty: a reply lists each waybill asked once.
  if (Status s = GetWaybills(*j, "lookup_ack", "found", 0, kMaxLookupWaybills, r.found); !s.ok()) return s;
  if (Status s = GetWaybills(*j, "lookup_ack", "not_found", 0, kMaxLookupWaybills, r.not_found); !s.ok()) return s;
  return r;
}

std::string LinkMessageType(std::string_view text) {
  if (text.size() > kMaxSyncReplyHeader) return "";
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  auto t = j.find("type");
  return t != j.end() && t->is_string() ? t->get<std::string>() : "";
}

}  // namespace station
