// The station-to-station messages (wire/station.h): the exact bytes each
// encoder writes, pinned to what stationd wrote before the messages had a
// wire file of their own (captured from problem_store.cc and
// discrepancy_store.cc at commit a3d232d), since stations of both versions
// read them; round trips; what the decoders refuse and what they read
// leniently.

#include <tuple>

#include <catch2/catch.hpp>

#include "wire/station.h"

using namespace station;

namespace {

auto Fields(const ProblemAlertMessage& a) {
  return std::tie(a.case_no, a.from, a.to, a.waybill, a.reason, a.reason_label, a.usual_resolutions, a.opened_ms,
                  a.answer_due_ms, a.problem_scans, a.note, a.recipient_phone, a.bag, a.weight_g,
                  a.reference_weight_g, a.suggestion);
}
auto Fields(const ProblemAnswerMessage& a) {
  return std::tie(a.case_no, a.from, a.to, a.waybill, a.resolution, a.phone, a.address, a.note, a.by, a.answered_ms);
}
auto Fields(const ProblemClosedMessage& c) {
  return std::tie(c.case_no, c.from, c.to, c.waybill, c.closed_ms, c.how, c.resolution, c.note);
}
auto Fields(const DigestItem& i) {
  return std::tie(i.kind, i.waybill, i.bag, i.dispatched_ms, i.whole_bag_missing, i.parcels);
}
bool Same(const MissingDigest& a, const MissingDigest& b) {
  const auto header = [](const MissingDigestHeader& h) {
    return std::tie(h.from, h.to, h.run, h.part, h.parts, h.created_ms);
  };
  const auto items = [](const std::vector<DigestItem>& x, const std::vector<DigestItem>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (Fields(x[i]) != Fields(y[i])) return false;
    }
    return true;
  };
  return header(a.header) == header(b.header) && items(a.missing, b.missing) && items(a.resolved, b.resolved);
}

ProblemAlertMessage WrongPhoneAlert() {
  ProblemAlertMessage a;
  a.case_no = "571001-20261201-0001";
  a.from = "571001";
  a.to = "310001";
  a.waybill = "ZT7730000000011";
  a.reason = "wrong_phone";
  a.reason_label = "电话错误/空号";
  a.usual_resolutions = std::vector<std::string>{"new_phone"};
  a.opened_ms = 1796083200000;
  a.answer_due_ms = 1796086800000;
  a.problem_scans = 1;
  a.note = "138****5678 空号 \"q\" \\ / \t\x01 \x7f é \xff end";  // \xff: not UTF-8
  a.recipient_phone = "138****5678";
  a.bag = "BG3100010001";
  a.reference_weight_g = 2000;
  return a;
}

ProblemAlertMessage DamagedAlert() {
  ProblemAlertMessage a;
  a.case_no = "571001-20261201-0002";
  a.from = "571001";
  a.to = "310001";
  a.waybill = "ZT7730000000015";
  a.reason = "damaged";
  a.reason_label = "破损";
  a.usual_resolutions = std::vector<std::string>{"rewrap_deliver", "claim"};
  a.opened_ms = 1796083200000;
  a.answer_due_ms = 1796086800000;
  a.problem_scans = 1;
  a.weight_g = 1400;
  a.reference_weight_g = 2000;
  a.suggestion = "claim";
  return a;
}

ProblemAlertMessage UnknownReasonAlert() {
  ProblemAlertMessage a;
  a.case_no = "571001-20261201-0003";
  a.from = "571001";
  a.to = "200001";
  a.waybill = "ZT7730000000022";
  a.reason = "lost_in_space";  // no label, no usual resolutions
  a.opened_ms = 1796083200000;
  a.answer_due_ms = 1796086800000;
  a.problem_scans = 1;
  a.note = "x";
  a.recipient_phone = "861****5678";
  a.bag = "BG\"x\\y";
  a.reference_weight_g = 2000;
  return a;
}

ProblemAnswerMessage NewAddressAnswer() {
  ProblemAnswerMessage a;
  a.case_no = "200001-20261201-0001";
  a.from = "571001";
  a.to = "200001";
  a.waybill = "ZT7730000000033";
  a.resolution = "new_address";
  a.phone = "+8613900001111";
  a.address = "杭州市 \"西湖\" 1号";
  a.note = "寄件人\n提供";
  a.by = "clerk-li";
  a.answered_ms = 1796083500000;
  return a;
}

ProblemClosedMessage ClosedByScan() {
  return {"571001-20261201-0001", "571001", "310001", "ZT7730000000011", 1796083320000, "scan", "new_phone",
          "resolution new_phone (更新电话) carried out: out_for_delivery scan #4 by C1001@PDA-0042"};
}

MissingDigest DigestTo310001() {
  MissingDigest d;
  d.header = {"571001", "310001", 12, 1, 1, 1795478292000};
  d.missing = {{"missing", "ZT7730000000033", "BG3100010003", 1795300000000, false, std::nullopt},
               {"missing_bag", "", "BG2000010002", 1795300000000, std::nullopt, 2}};
  d.resolved = {{"missing", "ZT7730000000021", "BG2000010002", 1795300000000, true, std::nullopt}};
  return d;
}

}  // namespace

TEST_CASE("problem alerts are written byte for byte as stationd always wrote them", "[wire][station]") {
  CHECK(EncodeProblemAlert(WrongPhoneAlert()) ==
        R"({"answer_due_ms":1796086800000,"bag":"BG3100010001","case":"571001-20261201-0001","from":"571001",)"
        R"("note":"138****5678 空号 \"q\" \\ / \t\u0001 )"
        "\x7f"
        R"( é )"
        "\xef\xbf\xbd"  // U+FFFD for the byte that is not UTF-8
        R"( end","opened_ms":1796083200000,"problem_scans":1,"reason":"wrong_phone","reason_label":"电话错误/空号",)"
        R"("recipient_phone":"138****5678","reference_weight_g":2000,"to":"310001","type":"problem_alert",)"
        R"("usual_resolutions":["new_phone"],"v":1,"waybill":"ZT7730000000011"})");
  CHECK(EncodeProblemAlert(DamagedAlert()) ==
        R"({"answer_due_ms":1796086800000,"bag":"","case":"571001-20261201-0002","from":"571001","note":"",)"
        R"("opened_ms":1796083200000,"problem_scans":1,"reason":"damaged","reason_label":"破损","recipient_phone":"",)"
        R"("reference_weight_g":2000,"suggestion":"claim","to":"310001","type":"problem_alert",)"
        R"("usual_resolutions":["rewrap_deliver","claim"],"v":1,"waybill":"ZT7730000000015","weight_g":1400})");
  CHECK(EncodeProblemAlert(UnknownReasonAlert()) ==
        R"({"answer_due_ms":1796086800000,"bag":"BG\"x\\y","case":"571001-20261201-0003","from":"571001",)"
        R"("note":"x","opened_ms":1796083200000,"problem_scans":1,"reason":"lost_in_space",)"
        R"("recipient_phone":"861****5678","reference_weight_g":2000,"to":"200001","type":"problem_alert","v":1,)"
        R"("waybill":"ZT7730000000022"})");
}

TEST_CASE("problem answers are written byte for byte as stationd always wrote them", "[wire][station]") {
  CHECK(EncodeProblemAnswer(NewAddressAnswer()) ==
        R"({"address":"杭州市 \"西湖\" 1号","answered_ms":1796083500000,"by":"clerk-li",)"
        R"("case":"200001-20261201-0001","from":"571001","note":"寄件人\n提供","phone":"+8613900001111",)"
        R"("resolution":"new_address","to":"200001","type":"problem_answer","v":1,"waybill":"ZT7730000000033"})");
  ProblemAnswerMessage plain;
  plain.case_no = "200001-20261201-0002";
  plain.from = "571001";
  plain.to = "200001";
  plain.waybill = "ZT7730000000044";
  plain.resolution = "return_to_sender";
  plain.by = "clerk-li";
  plain.answered_ms = 1796083501000;
  CHECK(EncodeProblemAnswer(plain) ==  // no phone, no address: neither key
        R"({"answered_ms":1796083501000,"by":"clerk-li","case":"200001-20261201-0002","from":"571001","note":"",)"
        R"("resolution":"return_to_sender","to":"200001","type":"problem_answer","v":1,"waybill":"ZT7730000000044"})");
}

TEST_CASE("problem closes are written byte for byte as stationd always wrote them", "[wire][station]") {
  CHECK(EncodeProblemClosed(ClosedByScan()) ==
        R"({"case":"571001-20261201-0001","closed_ms":1796083320000,"from":"571001","how":"scan",)"
        R"("note":"resolution new_phone (更新电话) carried out: out_for_delivery scan #4 by C1001@PDA-0042",)"
        R"("resolution":"new_phone","to":"310001","type":"problem_closed","v":1,"waybill":"ZT7730000000011"})");
  const ProblemClosedMessage by_clerk{"571001-20261201-0002", "571001", "310001", "ZT7730000000015", 1796083380000,
                                      "clerk", "", "理赔 138****5678 \"ok\""};
  CHECK(EncodeProblemClosed(by_clerk) ==
        R"({"case":"571001-20261201-0002","closed_ms":1796083380000,"from":"571001","how":"clerk",)"
        R"("note":"理赔 138****5678 \"ok\"","resolution":"","to":"310001","type":"problem_closed","v":1,)"
        R"("waybill":"ZT7730000000015"})");
}

TEST_CASE("missing digests are written byte for byte as stationd always wrote them", "[wire][station]") {
  // The lists come after "v", not in sorted place: the header is written
  // first and the lists appended.
  CHECK(EncodeMissingDigest(DigestTo310001()) ==
        R"({"created_ms":1795478292000,"from":"571001","part":1,"parts":1,"run":12,"to":"310001",)"
        R"("type":"missing_digest","v":1,"missing":[{"bag":"BG3100010003","dispatched_ms":1795300000000,)"
        R"("kind":"missing","waybill":"ZT7730000000033","whole_bag_missing":false},{"bag":"BG2000010002",)"
        R"("dispatched_ms":1795300000000,"kind":"missing_bag","parcels":2,"waybill":""}],"resolved":[{"bag":)"
        R"("BG2000010002","dispatched_ms":1795300000000,"kind":"missing","waybill":"ZT7730000000021",)"
        R"("whole_bag_missing":true}]})");
  MissingDigest one;
  one.header = {"571001", "200001", 12, 1, 1, 1795478292000};
  one.missing = {{"missing", "ZT7730000000044", "B\"\\\\é", 0, true, std::nullopt}};
  CHECK(EncodeMissingDigest(one) ==
        R"({"created_ms":1795478292000,"from":"571001","part":1,"parts":1,"run":12,"to":"200001",)"
        R"("type":"missing_digest","v":1,"missing":[{"bag":"B\"\\\\é","dispatched_ms":0,"kind":"missing",)"
        R"("waybill":"ZT7730000000044","whole_bag_missing":true}],"resolved":[]})");
  // In two steps, as the reconciler sizes its parts: the same bytes.
  const MissingDigest d = DigestTo310001();
  const std::string missing = EncodeDigestItem(d.missing[0]) + "," + EncodeDigestItem(d.missing[1]);
  CHECK(EncodeMissingDigestOfItems(d.header, missing, EncodeDigestItem(d.resolved[0])) == EncodeMissingDigest(d));
}

TEST_CASE("station messages round-trip", "[wire][station]") {
  ProblemAlertMessage clean = WrongPhoneAlert();
  clean.note = "138****5678 空号 \"q\" \\ / \t\x01 \x7f é end";
  for (const ProblemAlertMessage& a : {clean, DamagedAlert(), UnknownReasonAlert()}) {
    auto back = DecodeProblemAlert(EncodeProblemAlert(a));
    REQUIRE(back.ok());
    CHECK(Fields(*back) == Fields(a));
  }
  ProblemAnswerMessage no_phone = NewAddressAnswer();
  no_phone.phone.clear();
  for (const ProblemAnswerMessage& a : {NewAddressAnswer(), no_phone}) {
    auto back = DecodeProblemAnswer(EncodeProblemAnswer(a));
    REQUIRE(back.ok());
    CHECK(Fields(*back) == Fields(a));
  }
  auto closed = DecodeProblemClosed(EncodeProblemClosed(ClosedByScan()));
  REQUIRE(closed.ok());
  CHECK(Fields(*closed) == Fields(ClosedByScan()));
  auto digest = DecodeMissingDigest(EncodeMissingDigest(DigestTo310001()));
  REQUIRE(digest.ok());
  CHECK(Same(*digest, DigestTo310001()));
  // A byte that is not UTF-8 comes back as U+FFFD.
  auto replaced = DecodeProblemAlert(EncodeProblemAlert(WrongPhoneAlert()));
  REQUIRE(replaced.ok());
  CHECK(replaced->note == "138****5678 空号 \"q\" \\ / \t\x01 \x7f é \xef\xbf\xbd end");
}

TEST_CASE("a problem message without a case number is refused, saying so", "[wire][station]") {
  for (const char* body : {"", "not json", "[1, 2]", "{}", R"({"case": ""})", R"({"case": 7})"}) {
    INFO(body);
    auto alert = DecodeProblemAlert(body);
    REQUIRE_FALSE(alert.ok());
    CHECK(alert.status().code() == Code::kInvalidArgument);
    CHECK(alert.status().message().rfind("problem_alert: ", 0) == 0);
    CHECK_FALSE(DecodeProblemAnswer(body).ok());
    CHECK_FALSE(DecodeProblemClosed(body).ok());
  }
  CHECK_THAT(DecodeProblemAnswer("{}").status().message(), Catch::Matchers::Contains("\"case\""));
}

TEST_CASE("a problem message's other fields read as empty when absent or of another type", "[wire][station]") {
  // What stationd has always applied: the case number is all it needs.
  auto alert = DecodeProblemAlert(
      R"({"case": "571001-20261201-0001", "waybill": 42, "opened_ms": "soon", "weight_g": 1.5,)"
      R"( "usual_resolutions": ["new_phone", 3], "reason_label": null, "type": "something else", "v": 9})");
  REQUIRE(alert.ok());
  CHECK(alert->waybill.empty());
  CHECK(alert->opened_ms == 0);
  CHECK_FALSE(alert->weight_g);
  CHECK(alert->usual_resolutions == std::vector<std::string>{"new_phone"});
  CHECK_FALSE(alert->reason_label);
  auto answer = DecodeProblemAnswer(R"({"case": "571001-20261201-0001", "resolution": ["new_phone"]})");
  REQUIRE(answer.ok());
  CHECK(answer->resolution.empty());
  CHECK(answer->to.empty());
}

TEST_CASE("a digest that is not of a digest's shape is refused, saying where", "[wire][station]") {
  const auto refused = [](const char* body) {
    auto d = DecodeMissingDigest(body);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == Code::kInvalidArgument);
    return d.status().message();
  };
  CHECK(refused("not json") == "missing_digest: not a JSON object");
  CHECK(refused("[]") == "missing_digest: not a JSON object");
  CHECK(refused(R"({"missing": {}})") == "missing_digest: \"missing\" is not an array");
  CHECK(refused(R"({"resolved": "none"})") == "missing_digest: \"resolved\" is not an array");
  CHECK(refused(R"({"missing": [{}, 5]})") == "missing_digest: missing[1] is not an object");
}

TEST_CASE("a digest's fields read as empty when absent or of another type", "[wire][station]") {
  auto bare = DecodeMissingDigest("{}");
  REQUIRE(bare.ok());
  CHECK(bare->missing.empty());
  CHECK(bare->header.part == 1);
  CHECK(bare->header.parts == 1);
  auto odd = DecodeMissingDigest(
      R"({"run": "7", "created_ms": 1e3, "missing": [{"kind": "missing", "waybill": null, "bag": "BG1",)"
      R"( "whole_bag_missing": 1, "parcels": "two"}]})");
  REQUIRE(odd.ok());
  CHECK(odd->header.run == 0);
  CHECK(odd->header.created_ms == 0);
  REQUIRE(odd->missing.size() == 1);
  CHECK(odd->missing[0].waybill.empty());
  CHECK(odd->missing[0].bag == "BG1");
  CHECK_FALSE(odd->missing[0].whole_bag_missing);
  CHECK_FALSE(odd->missing[0].parcels);
}
