// The clerk's channel, stationctl <-> stationd (docs/protocol.md, "Control"):
// the exact bytes of every request and reply kind, pinned so that a change
// of the encoders shows; how the decoders treat missing and hostile fields;
// and cases the fuzzer (fuzz/fuzz_control_wire.cc) found.

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "wire/control.h"

using namespace station;

namespace {

ControlRequest Request(const std::string& cmd) {
  ControlRequest request;
  request.req = "r-" + cmd;
  request.cmd = cmd;
  return request;
}

// One request of each command, its fields as stationctl fills them, plus
// requests with fields their command does not send (the encoder leaves
// them out) and text that is not UTF-8 (the encoder replaces it).
std::vector<std::pair<std::string, ControlRequest>> SampleRequests() {
  std::vector<std::pair<std::string, ControlRequest>> out;
  for (const char* cmd : {"ping", "upload", "uplink_status", "reconcile", "reconcile_status", "prune_status"}) {
    out.emplace_back(cmd, Request(cmd));
  }
  ControlRequest import = Request("manifest_import");
  import.source = "manifest 2026-11-24.csv";
  out.emplace_back("manifest_import", import);
  ControlRequest close = Request("discrepancy_close");
  close.id = 42;
  close.note = "found on the shelf, 货架上";
  close.by = "wang";
  close.waybill = "not sent with a close";
  out.emplace_back("discrepancy_close", close);
  ControlRequest empty_close = Request("discrepancy_close");  // sent as typed, also when empty
  out.emplace_back("discrepancy_close empty", empty_close);
  ControlRequest open = Request("problem_open");
  open.waybill = "SF1234567890";
  open.reason = "wrong_phone";
  open.note = "";  // empty: not sent
  open.by = "li";
  out.emplace_back("problem_open", open);
  ControlRequest problem_close = Request("problem_close");
  problem_close.case_no = "P-100001-000007";
  problem_close.note = "claim paid";
  problem_close.by = "li";
  problem_close.id = 9;  // not sent with a problem command
  out.emplace_back("problem_close", problem_close);
  ControlRequest answer = Request("problem_answer");
  answer.case_no = "P-100001-000008";
  answer.resolution = "new_address";
  answer.phone = "13800138000";
  answer.address = "2 Road \"A\"\n, 北京";
  answer.note = "bad \xff byte";
  answer.by = "zhao";
  out.emplace_back("problem_answer", answer);
  ControlRequest prune = Request("prune");
  prune.before_ms = 1764000000000;
  prune.source = "kept when not empty";
  out.emplace_back("prune", prune);
  return out;
}

ReconcileRunSummary SampleRun() {
  ReconcileRunSummary r;
  r.run_id = 3;
  r.trigger = "clerk";
  r.started_ms = 1764000000001;
  r.finished_ms = 1764000000902;
  r.full = true;
  r.manifest_to_station = 100;
  r.arrived = 90;
  r.within_grace = 4;
  r.scans_read = 250;
  r.manifest_read = 120;
  for (int k = 0; k < reconcile::kKindCount; ++k) r.found[k] = k + 1;
  r.found_total = 15;
  r.opened = 6;
  r.resolved = 2;
  r.notices = 1;
  r.load_ms = 10;
  r.engine_ms = 20;
  r.store_ms = 30;
  r.total_ms = 61;
  return r;
}

PruneResult SamplePrune() {
  PruneResult p;
  p.before_ms = 1764000000000;
  p.cutoff_ms = 1733000000000;
  p.retention_days = 30;
  p.national_configured = true;
  p.scans_removed = 1000;
  p.manifest_removed = 400;
  p.kept_younger = 1;
  p.kept_not_uploaded = 2;
  p.kept_not_desk_read = 3;
  p.kept_newest = 1;
  p.kept_open_discrepancy = 5;
  p.kept_unsettled_parcel = 6;
  p.transactions = 7;
  p.took_ms = 88;
  return p;
}

// One reply of each kind, with no field at its default where one can be set.
std::vector<std::pair<std::string, std::string>> SampleReplies() {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("ping", EncodePing("r1", "100001"));
  ManifestImport import;
  import.stored = 5;
  import.updated = 2;
  import.unchanged = 1;
  import.rejected.push_back({3, "raw row is not sent", "bad waybill"});
  import.rejected.push_back({9, "", "dispatched_at missing"});
  out.emplace_back("manifest_import", EncodeManifestImport("r2", import));
  out.emplace_back("manifest_import none rejected", EncodeManifestImport("r2", ManifestImport{}));
  UplinkStatus u;
  u.configured = true;
  u.endpoint = "tcp://national:5600";
  u.link_up = true;
  u.link_changed_ms = 11;
  u.last_contact_ms = 12;
  u.last_upload_ms = 13;
  u.uploaded_upto = 14;
  u.newest_scan_id = 20;
  u.backlog = 6;
  u.oldest_waiting_ms = 15;
  u.uploaded_this_run = 16;
  u.resends = 17;
  u.last_error = "refused: \"bad\"";
  u.manifest_rows_received = 18;
  u.mail_received = 19;
  out.emplace_back("uplink", EncodeUplinkStatus("r3", u));
  out.emplace_back("uplink unconfigured", EncodeUplinkStatus("r3", UplinkStatus{}));
  ReconcilerStatus rs;
  rs.running = true;
  rs.requested = 4;
  rs.completed = 3;
  rs.last_error = "disk full";
  out.emplace_back("reconcile no last", EncodeReconcileStatus("r4", 4, rs));
  rs.last = SampleRun();
  out.emplace_back("reconcile", EncodeReconcileStatus("r4", 0, rs));
  ClosedDiscrepancy d{42, "missing", "SF1", "B7", "100002", "closed", "note \xe4\xb8", "wang", 1764000000003};
  out.emplace_back("discrepancy_close", EncodeDiscrepancyClosed("r5", d));
  out.emplace_back("problem", EncodeProblemReply("r6", ProblemReply{"P-1", "SF2", "open", "100003", "added"}));
  PruneStatus ps;
  ps.running = false;
  ps.requested = 2;
  ps.completed = 2;
  ps.last_error = "";
  out.emplace_back("prune no last", EncodePruneStatus("r7", 2, 365, ps));
  ps.last = SamplePrune();
  out.emplace_back("prune", EncodePruneStatus("r7", 0, 30, ps));
  out.emplace_back("error", EncodeControlError("r8", Status::Conflict("discrepancy 42 is already closed", "by x")));
  out.emplace_back("error no req", EncodeControlError("", Status::InvalidArgument("control request", "not JSON")));
  return out;
}

// The bytes of each request and reply as the encoders wrote them before the
// field lists were folded (issue 15): keys sorted, text that is not UTF-8
// replaced by U+FFFD.
const std::map<std::string, std::string> kPinnedRequests = {
    {"ping", R"json({"cmd":"ping","req":"r-ping","type":"control","v":1})json"},
    {"upload", R"json({"cmd":"upload","req":"r-upload","type":"control","v":1})json"},
    {"uplink_status", R"json({"cmd":"uplink_status","req":"r-uplink_status","type":"control","v":1})json"},
    {"reconcile", R"json({"cmd":"reconcile","req":"r-reconcile","type":"control","v":1})json"},
    {"reconcile_status", R"json({"cmd":"reconcile_status","req":"r-reconcile_status","type":"control","v":1})json"},
    {"prune_status", R"json({"cmd":"prune_status","req":"r-prune_status","type":"control","v":1})json"},
    {"manifest_import", R"json({"cmd":"manifest_import","req":"r-manifest_import","source":"manifest 2026-11-24.csv","type":"control","v":1})json"},
    {"discrepancy_close", R"json({"by":"wang","cmd":"discrepancy_close","id":42,"note":"found on the shelf, 货架上","req":"r-discrepancy_close","type":"control","v":1})json"},
    {"discrepancy_close empty", R"json({"by":"","cmd":"discrepancy_close","id":0,"note":"","req":"r-discrepancy_close","type":"control","v":1})json"},
    {"problem_open", R"json({"by":"li","cmd":"problem_open","reason":"wrong_phone","req":"r-problem_open","type":"control","v":1,"waybill":"SF1234567890"})json"},
    {"problem_close", R"json({"by":"li","case":"P-100001-000007","cmd":"problem_close","note":"claim paid","req":"r-problem_close","type":"control","v":1})json"},
    {"problem_answer", R"json({"address":"2 Road \"A\"\n, 北京","by":"zhao","case":"P-100001-000008","cmd":"problem_answer","note":"bad � byte","phone":"13800138000","req":"r-problem_answer","resolution":"new_address","type":"control","v":1})json"},
    {"prune", R"json({"before_ms":1764000000000,"cmd":"prune","req":"r-prune","source":"kept when not empty","type":"control","v":1})json"},
};
const std::map<std::string, std::string> kPinnedReplies = {
    {"ping", R"json({"ok":true,"req":"r1","station":"100001","type":"control_reply","v":1})json"},
    {"manifest_import", R"json({"ok":true,"rejected":[{"line":3,"reason":"bad waybill"},{"line":9,"reason":"dispatched_at missing"}],"req":"r2","stored":5,"type":"control_reply","unchanged":1,"updated":2,"v":1})json"},
    {"manifest_import none rejected", R"json({"ok":true,"rejected":[],"req":"r2","stored":0,"type":"control_reply","unchanged":0,"updated":0,"v":1})json"},
    {"uplink", R"json({"ok":true,"req":"r3","type":"control_reply","uplink":{"backlog":6,"configured":true,"last_contact_ms":12,"last_error":"refused: \"bad\"","last_upload_ms":13,"link_changed_ms":11,"link_up":true,"mail_received":19,"manifest_rows_received":18,"national":"tcp://national:5600","newest_scan_id":20,"oldest_waiting_ms":15,"resends":17,"set_aside":0,"set_aside_reason":"","uploaded_this_run":16,"uploaded_upto":14},"v":1})json"},
    {"uplink unconfigured", R"json({"ok":true,"req":"r3","type":"control_reply","uplink":{"backlog":0,"configured":false,"last_contact_ms":0,"last_error":"","last_upload_ms":0,"link_changed_ms":0,"link_up":false,"mail_received":0,"manifest_rows_received":0,"national":"","newest_scan_id":0,"oldest_waiting_ms":0,"resends":0,"set_aside":0,"set_aside_reason":"","uploaded_this_run":0,"uploaded_upto":0},"v":1})json"},
    {"reconcile no last", R"json({"ok":true,"reconcile":{"completed":3,"last":null,"last_error":"disk full","requested":4,"running":true,"ticket":4},"req":"r4","type":"control_reply","v":1})json"},
    {"reconcile", R"json({"ok":true,"reconcile":{"completed":3,"last":{"arrived":90,"engine_ms":20,"finished_ms":1764000000902,"found":{"duplicate_arrival":5,"misrouted":4,"missing":1,"missing_bag":2,"surplus":3},"found_total":15,"full":true,"load_ms":10,"manifest_read":120,"manifest_to_station":100,"notices":1,"opened":6,"resolved":2,"run_id":3,"scans_read":250,"started_ms":1764000000001,"store_ms":30,"total_ms":61,"trigger":"clerk","within_grace":4},"last_error":"disk full","requested":4,"running":true,"ticket":0},"req":"r4","type":"control_reply","v":1})json"},
    {"discrepancy_close", R"json({"discrepancy":{"bag":"B7","changed_ms":1764000000003,"closed_by":"wang","id":42,"kind":"missing","note":"note �","origin_station":"100002","state":"closed","waybill":"SF1"},"ok":true,"req":"r5","type":"control_reply","v":1})json"},
    {"problem", R"json({"ok":true,"problem":{"action":"added","case":"P-1","origin_station":"100003","state":"open","waybill":"SF2"},"req":"r6","type":"control_reply","v":1})json"},
    {"prune no last", R"json({"ok":true,"prune":{"completed":2,"last":null,"last_error":"","requested":2,"retention_days":365,"running":false,"ticket":2},"req":"r7","type":"control_reply","v":1})json"},
    {"prune", R"json({"ok":true,"prune":{"completed":2,"last":{"before_ms":1764000000000,"cutoff_ms":1733000000000,"kept_newest":1,"kept_not_desk_read":3,"kept_not_uploaded":2,"kept_open_discrepancy":5,"kept_unsettled_parcel":6,"kept_younger":1,"manifest_removed":400,"national_configured":true,"retention_days":30,"scans_removed":1000,"took_ms":88,"transactions":7},"last_error":"","requested":2,"retention_days":30,"running":false,"ticket":0},"req":"r7","type":"control_reply","v":1})json"},
    {"error", R"json({"code":"Conflict","error":"discrepancy 42 is already closed: by x","ok":false,"req":"r8","type":"control_reply","v":1})json"},
    {"error no req", R"json({"code":"InvalidArgument","error":"control request: not JSON","ok":false,"req":"","type":"control_reply","v":1})json"},
};

// Refusals, word for word, as stationctl and the clerk see them.
const std::pair<const char*, const char*> kRequestRefusals[] = {
    {R"json({"v":1,"cmd":"x","id":"7"})json", R"(InvalidArgument: control request: "id" must be an integer)"},
    {R"json({"v":1,"cmd":"x","before_ms":1.5})json", R"(InvalidArgument: control request: "before_ms" must be an integer)"},
    {R"json({"v":1,"cmd":"x","note":7,"by":8})json", R"(InvalidArgument: control request: "note" must be text)"},
    {R"json({"v":1,"cmd":"x","by":8,"case":[]})json", R"(InvalidArgument: control request: "by" must be text)"},
    {R"json({"v":2,"cmd":"x"})json", R"(InvalidArgument: control request: "v" must be 1)"},
    {R"json({"v":1})json", R"(InvalidArgument: control request: "cmd" is required)"},
    {R"json([1])json", R"(InvalidArgument: control request: not a JSON object)"},
};
const std::pair<const char*, const char*> kReplyRefusals[] = {
    {R"json({"ok":"yes"})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be boolean, but is string)"},
    {R"json({"uplink":{"configured":1}})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be boolean, but is number)"},
    {R"json({"uplink":{"national":1,"link_up":"x"}})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be string, but is number)"},
    {R"json({"reconcile":{"last":{"trigger":1,"found":[]}}})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be string, but is number)"},
    {R"json({"reconcile":{"last":{"found":[]}}})json", R"(InvalidArgument: control reply: [json.exception.type_error.306] cannot use value() with array)"},
    {R"json({"prune":{"last":{"national_configured":"x"}}})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be boolean, but is string)"},
    {R"json({"rejected":[5]})json", R"(InvalidArgument: control reply: [json.exception.type_error.306] cannot use value() with number)"},
    {R"json({"discrepancy":{"kind":1}})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be string, but is number)"},
    {R"json({"problem":{"case":1}})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be string, but is number)"},
    {R"json({"stored":"1"})json", R"(InvalidArgument: control reply: [json.exception.type_error.302] type must be number, but is string)"},
};

// The reply decoded from `encoded` (named `name` in SampleReplies), encoded
// again by the encoder of its kind.
std::string ReencodeReply(const std::string& name, const ControlReply& r) {
  const auto is = [&name](const char* kind) { return name.rfind(kind, 0) == 0; };
  if (is("ping")) return EncodePing("r1", r.station);
  if (is("manifest_import")) return EncodeManifestImport("r2", r.import);
  if (is("uplink")) return EncodeUplinkStatus("r3", r.uplink);
  if (is("reconcile")) return EncodeReconcileStatus("r4", r.ticket, r.reconcile);
  if (is("discrepancy")) return EncodeDiscrepancyClosed("r5", r.discrepancy);
  if (is("problem")) return EncodeProblemReply("r6", r.problem);
  if (is("prune")) return EncodePruneStatus("r7", r.prune_ticket, r.retention_days, r.prune);
  if (name == "error") return EncodeControlError("r8", r.code == "Conflict" ? Status::Conflict(r.error) : Status());
  return EncodeControlError("", r.code == "InvalidArgument" ? Status::InvalidArgument(r.error) : Status());
}

}  // namespace

TEST_CASE("each control request kind is encoded to the same bytes, and decodes to what was sent", "[wire][control]") {
  for (const auto& [name, request] : SampleRequests()) {
    INFO(name);
    REQUIRE(kPinnedRequests.count(name) == 1);
    const std::string encoded = EncodeControlRequest(request);
    CHECK(encoded == kPinnedRequests.at(name));
    auto decoded = DecodeControlRequest(encoded);
    REQUIRE(decoded.ok());
    CHECK(EncodeControlRequest(*decoded) == encoded);
  }
}

TEST_CASE("each control reply kind is encoded to the same bytes, and decodes to what was sent", "[wire][control]") {
  for (const auto& [name, encoded] : SampleReplies()) {
    INFO(name);
    REQUIRE(kPinnedReplies.count(name) == 1);
    CHECK(encoded == kPinnedReplies.at(name));
    auto reply = DecodeControlReply(encoded);
    REQUIRE(reply.ok());
    CHECK(reply->ok == (name.rfind("error", 0) != 0));
    CHECK(reply->reconciler == (name.rfind("reconcile", 0) == 0));
    CHECK(reply->pruner == (name.rfind("prune", 0) == 0));
    CHECK(ReencodeReply(name, *reply) == encoded);
  }
}

TEST_CASE("a control request's missing fields keep their defaults, a long source is cut, a bad one is refused",
          "[wire][control]") {
  auto bare = DecodeControlRequest(R"({"v":1,"cmd":"ping"})");
  REQUIRE(bare.ok());
  CHECK(bare->req.empty());
  CHECK(bare->source.empty());
  CHECK(bare->id == 0);
  CHECK(bare->before_ms == 0);
  for (const std::string* text : {&bare->note, &bare->by, &bare->waybill, &bare->reason, &bare->case_no,
                                  &bare->resolution, &bare->phone, &bare->address}) {
    CHECK(text->empty());
  }
  auto long_source =
      DecodeControlRequest(R"({"v":1,"cmd":"manifest_import","source":")" + std::string(300, 'a') + R"("})");
  REQUIRE(long_source.ok());
  CHECK(long_source->source == std::string(200, 'a'));
  for (const auto& [text, refusal] : kRequestRefusals) {
    INFO(text);
    auto request = DecodeControlRequest(text);
    REQUIRE_FALSE(request.ok());
    CHECK(request.status().ToString() == refusal);
  }
  CHECK_FALSE(DecodeControlRequest(std::string(kMaxControlRequestBytes + 1, ' ')).ok());
}

TEST_CASE("a control reply's missing fields read as zero, false or empty, a field of the wrong type is refused",
          "[wire][control]") {
  auto bare = DecodeControlReply("{}");
  REQUIRE(bare.ok());
  CHECK_FALSE(bare->ok);
  CHECK_FALSE(bare->reconciler);
  CHECK_FALSE(bare->pruner);
  CHECK_FALSE(bare->uplink.configured);
  CHECK(bare->import.rejected.empty());
  // A prune result without its fields reads 0 retention days, not the default 365.
  auto empty_last = DecodeControlReply(R"({"ok":true,"prune":{"last":{}},"reconcile":{"last":7}})");
  REQUIRE(empty_last.ok());
  CHECK(empty_last->pruner);
  REQUIRE(empty_last->prune.last);
  CHECK(empty_last->prune.last->retention_days == 0);
  CHECK(empty_last->reconciler);
  CHECK_FALSE(empty_last->reconcile.last);  // not an object: as if absent
  for (const auto& [text, refusal] : kReplyRefusals) {
    INFO(text);
    auto reply = DecodeControlReply(text);
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.status().ToString() == refusal);
  }
}

// Issue 6, found by fuzz_control_wire: a number JSON holds as a float (one
// with a fraction or an exponent, or an integer past 2^64) reached int64 or
// int by a plain cast, undefined behaviour out of range (UBSan: "1.79548e+22
// is outside the range of representable values of type 'long'").
TEST_CASE("issue 6: a control reply whose numbers are not integers is refused, not cast", "[daemon][control]") {
  const std::string reply = R"({"type":"control_reply","v":1,"req":"r","ok":true,)";
  REQUIRE(DecodeControlReply(reply + R"("stored":3,"uplink":{"backlog":4}})").ok());
  for (const std::string& text : {
           reply + R"("stored":1e10})",
           reply + R"("rejected":[{"line":1e300,"reason":"x"}]})",
           reply + R"("uplink":{"configured":true,"backlog":17954800000000000000000}})",
           reply + R"("reconcile":{"ticket":1,"last":{"run_id":1,"found":{"missing":1e300}}}})",
           reply + R"("discrepancy":{"id":-1e300}})",
       }) {
    INFO(text);
    auto decoded = DecodeControlReply(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.status().message(), Catch::Contains("integer"));
  }
}
