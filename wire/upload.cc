#include "wire/upload.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "scanner/identifiers.h"
#include "wire/json_integer.h"
#include "wire/request_id.h"
#include "core/utf8.h"

namespace station {
namespace {

using json = nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

bool ParseInt(const std::string& text, std::int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string EncodeUploadHeader(const UploadHeader& header) {
  return Dump({{"type", "upload"}, {"v", 1}, {"req", header.req}, {"station", header.station}});
}

Result<UploadHeader> DecodeUploadHeader(std::string_view text) {
  if (text.size() > 4096) return Status::InvalidArgument("upload header", "longer than 4096 bytes");
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("upload header", "not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string() || *type != "upload") {
    return Status::InvalidArgument("upload header", "\"type\" must be \"upload\"");
  }
  if (IntegerFieldIn(j, "v", 1, 1) != 1) return Status::InvalidArgument("upload header", "\"v\" must be 1");
  UploadHeader header;
  if (Status s = ReadReq(j, "upload header", /*required=*/false, header.req); !s.ok()) return s;
  auto station = j.find("station");
  if (station == j.end() || !station->is_string() || !IsStationCode(station->get<std::string>())) {
    return Status::InvalidArgument("upload header", "\"station\" must be a six-digit code");
  }
  header.station = station->get<std::string>();
  return header;
}

void AppendUploadRow(std::string& body, const UploadedScan& s) {
  body += std::to_string(s.id);
  const std::string fields[] = {s.device, s.batch};
  for (const std::string& f : fields) {
    body += ',';
    AppendCsvField(body, f);
  }
  body += ',' + std::to_string(s.seq);
  for (const std::string* f : {&s.courier, &s.waybill, &s.bag, &s.type, &s.time, &s.peer_station}) {
    body += ',';
    AppendCsvField(body, *f);
  }
  body += ',';
  if (s.weight_g) body += std::to_string(*s.weight_g);
  body += ',';
  AppendCsvField(body, s.reason);
  body += ',';
  AppendCsvField(body, s.note);
  body += ',' + std::to_string(s.received_ms) + '\n';
}

Result<std::vector<UploadedScan>> ReadUploadBody(std::string_view body) {
  CsvReader reader(body);
  CsvRecord record;
  if (!reader.Next(record) || !record.error.empty()) return Status::InvalidArgument("upload body", "no header row");
  std::string header;
  for (std::size_t i = 0; i < record.fields.size(); ++i) header += (i ? "," : "") + record.fields[i];
  if (header != kUploadColumns) {
    return Status::InvalidArgument("upload body", std::string("header row must be ") + kUploadColumns);
  }
  std::vector<UploadedScan> scans;
  while (reader.Next(record)) {
    const auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("upload row at line " + std::to_string(record.line), why);
    };
    if (!record.error.empty()) return bad(record.error);
    if (record.fields.size() != 14) return bad("expected 14 fields");
    const auto& f = record.fields;
    UploadedScan s;
    if (!ParseInt(f[0], s.id) || s.id <= 0) return bad("id '" + Utf8Excerpt(f[0], 20) + "'");
    if (!ParseInt(f[3], s.seq) || s.seq <= 0) return bad("seq '" + Utf8Excerpt(f[3], 20) + "'");
    if (f[1].empty() || f[2].empty() || f[4].empty() || f[7].empty() || f[8].empty()) {
      return bad("device, batch, courier, type and time are required");
    }
    s.device = f[1];
    s.batch = f[2];
    s.courier = f[4];
    s.waybill = f[5];
    s.bag = f[6];
    s.type = f[7];
    s.time = f[8];
    s.peer_station = f[9];
    if (!f[10].empty()) {
      std::int64_t w = 0;
      if (!ParseInt(f[10], w)) return bad("weight_g '" + Utf8Excerpt(f[10], 20) + "'");
      s.weight_g = w;
    }
    s.reason = f[11];
    s.note = f[12];
    if (!ParseInt(f[13], s.received_ms)) return bad("received_ms '" + Utf8Excerpt(f[13], 20) + "'");
    scans.push_back(std::move(s));
  }
  return scans;
}

std::string EncodeUploadAck(const UploadAck& ack) {
  json j{{"type", "upload_ack"}, {"v", 1}, {"req", ack.req}, {"ok", ack.ok}};
  if (!ack.ok) {
    j["code"] = ack.code;
    j["error"] = ack.error;
  } else {
    j["last_id"] = ack.last_id;
    j["stored"] = ack.stored;
    j["duplicates"] = ack.duplicates;
  }
  return Dump(j);
}

Result<UploadAck> DecodeUploadAck(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument("upload ack", "not a JSON object");
  try {
    UploadAck ack;
    ack.req = j.value("req", std::string());
    ack.ok = j.value("ok", false);
    ack.code = j.value("code", std::string());
    ack.error = j.value("error", std::string());
    ack.last_id = IntegerValue(j, "last_id", std::int64_t{0});
    ack.stored = IntegerValue(j, "stored", 0);
    ack.duplicates = IntegerValue(j, "duplicates", 0);
    return ack;
  } catch (const json::exception& e) {
    return Status::InvalidArgument("upload ack", e.what());
  }
}

}  // namespace station
