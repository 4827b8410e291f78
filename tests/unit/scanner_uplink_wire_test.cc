// The station <-> national link messages besides uploads (docs/protocol.md,
// "Sync" and "Post"): round trips, the rejections a sender must see, and the
// manifest CSV that travels as a sync (or lookup) reply's second frame;
// lookups of surplus waybills, within their limit of 500.

#include <catch2/catch.hpp>

#include "scanner/manifest.h"
#include "wire/national.h"

using namespace station;

TEST_CASE("sync requests and replies round-trip", "[scanner][uplink]") {
  auto request = DecodeSyncRequest(EncodeSyncRequest({"s-17", "571001", 120, 7, {}}));
  REQUIRE(request.ok());
  CHECK(request->req == "s-17");
  CHECK(request->station == "571001");
  CHECK(request->manifest_after == 120);
  CHECK(request->mail_after == 7);

  SyncReply reply;
  reply.req = "s-17";
  reply.ok = true;
  reply.now_ms = 1795478292000;
  reply.manifest_to = 5120;
  reply.manifest_more = true;
  reply.mail.push_back({8, "200001", "d-20261124-1", "missing_digest", "第一行\n\"quoted\", \x01", 1795478290000});
  reply.mail.push_back({9, "200002", "d-2", "note", "", 1795478291000});
  auto back = DecodeSyncReply(EncodeSyncReply(reply));
  REQUIRE(back.ok());
  CHECK(back->ok);
  CHECK(back->req == "s-17");
  CHECK(back->now_ms == 1795478292000);
  CHECK(back->manifest_to == 5120);
  CHECK(back->manifest_more);
  CHECK_FALSE(back->mail_more);
  REQUIRE(back->mail.size() == 2);
  CHECK(back->mail[0].seq == 8);
  CHECK(back->mail[0].from == "200001");
  CHECK(back->mail[0].msg_id == "d-20261124-1");
  CHECK(back->mail[0].kind == "missing_digest");
  CHECK(back->mail[0].body == reply.mail[0].body);
  CHECK(back->mail[0].posted_ms == 1795478290000);
  CHECK(back->mail[1].body.empty());

  SECTION("a refusal carries its code and reason, and nothing else") {
    SyncReply refused;
    refused.req = "s-18";
    refused.code = "Unavailable";
    refused.error = "refused on purpose (--refuse)";
    auto r = DecodeSyncReply(EncodeSyncReply(refused));
    REQUIRE(r.ok());
    CHECK_FALSE(r->ok);
    CHECK(r->req == "s-18");
    CHECK(r->code == "Unavailable");
    CHECK(r->error == "refused on purpose (--refuse)");
  }
  SECTION("cursors may be left out: from the start") {
    auto first = DecodeSyncRequest(R"({"type":"sync","v":1,"req":"a","station":"571001"})");
    REQUIRE(first.ok());
    CHECK(first->manifest_after == 0);
    CHECK(first->mail_after == 0);
  }
}

TEST_CASE("posts and post acks round-trip", "[scanner][uplink]") {
  auto post = DecodePostRequest(EncodePostRequest({"p-3", "571001", "200001", "d-20261124-1", "missing_digest"}));
  REQUIRE(post.ok());
  CHECK(post->req == "p-3");
  CHECK(post->station == "571001");
  CHECK(post->to == "200001");
  CHECK(post->msg_id == "d-20261124-1");
  CHECK(post->kind == "missing_digest");

  auto ack = DecodePostAck(EncodePostAck({"p-3", true, "", "", "d-20261124-1", 8, true}));
  REQUIRE(ack.ok());
  CHECK(ack->ok);
  CHECK(ack->msg_id == "d-20261124-1");
  CHECK(ack->seq == 8);
  CHECK(ack->duplicate);

  auto refused = DecodePostAck(EncodePostAck({"p-4", false, "InvalidArgument", "post body: too long", "x", 0, false}));
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->ok);
  CHECK(refused->code == "InvalidArgument");
  CHECK(refused->error == "post body: too long");
}

TEST_CASE("link headers that break the rules are refused, naming the rule", "[scanner][uplink]") {
  const auto sync_error = [](const std::string& text) { return DecodeSyncRequest(text).status().message(); };
  CHECK_THAT(sync_error("not json"), Catch::Contains("not a JSON object"));
  CHECK_THAT(sync_error("[1,2]"), Catch::Contains("not a JSON object"));
  CHECK_THAT(sync_error(R"({"type":"post","v":1,"station":"571001"})"), Catch::Contains("\"type\" must be \"sync\""));
  CHECK_THAT(sync_error(R"({"type":"sync","v":2,"station":"571001"})"), Catch::Contains("\"v\" must be 1"));
  CHECK_THAT(sync_error(R"({"type":"sync","v":"1","station":"571001"})"), Catch::Contains("\"v\" must be 1"));
  // 2^32 + 1: read as a 32-bit int it would pass for 1.
  CHECK_THAT(sync_error(R"({"type":"sync","v":4294967297,"station":"571001"})"), Catch::Contains("\"v\" must be 1"));
  CHECK_THAT(sync_error(R"({"type":"sync","v":1,"station":"57100"})"), Catch::Contains("six-digit"));
  CHECK_THAT(sync_error(R"({"type":"sync","v":1,"station":571001})"), Catch::Contains("six-digit"));
  CHECK_THAT(sync_error(R"({"type":"sync","v":1,"station":"571001","manifest_after":-1})"),
             Catch::Contains("manifest_after"));
  CHECK_THAT(sync_error(R"({"type":"sync","v":1,"station":"571001","mail_after":1.5})"), Catch::Contains("mail_after"));
  std::string long_header = R"({"type":"sync","v":1,"station":"571001","pad":")" + std::string(5000, 'x') + "\"}";
  CHECK_THAT(sync_error(long_header), Catch::Contains("longer than 4096"));

  const auto post_error = [](const std::string& to, const std::string& msg_id, const std::string& kind) {
    std::string text = R"({"type":"post","v":1,"req":"p","station":"571001","to":")" + to + R"(","msg_id":")" +
                       msg_id + R"(","kind":")" + kind + "\"}";
    return DecodePostRequest(text).status().message();
  };
  CHECK(DecodePostRequest(R"({"type":"post","v":1,"req":"p","station":"571001","to":"200001","msg_id":"a-1:b/c.d_e",)"
                          R"("kind":"k"})")
            .ok());
  CHECK_THAT(post_error("2000", "m1", "k"), Catch::Contains("\"to\""));
  CHECK_THAT(post_error("200001", "", "k"), Catch::Contains("1 to 64"));
  CHECK_THAT(post_error("200001", std::string(65, 'a'), "k"), Catch::Contains("1 to 64"));
  CHECK_THAT(post_error("200001", "has space", "k"), Catch::Contains("letters, digits"));
  CHECK_THAT(post_error("200001", "m1", "ü"), Catch::Contains("\"kind\""));
  CHECK_THAT(DecodePostRequest(R"({"type":"post","v":1,"station":"571001","to":"200001","kind":"k"})")
                 .status()
                 .message(),
             Catch::Contains("\"msg_id\" is required"));
}

TEST_CASE("a sync reply whose mail goes backwards is refused", "[scanner][uplink]") {
  SyncReply reply;
  reply.ok = true;
  reply.mail.push_back({5, "200001", "a", "k", "", 0});
  reply.mail.push_back({5, "200001", "b", "k", "", 0});
  CHECK_THAT(DecodeSyncReply(EncodeSyncReply(reply)).status().message(), Catch::Contains("mail seq must increase"));
  CHECK_THAT(DecodeSyncReply(R"({"type":"sync_ack","v":1,"ok":true,"mail":[{"seq":1}]})").status().message(),
             Catch::Contains("sync_ack"));
  CHECK_FALSE(DecodeSyncReply(R"({"type":"sync_ack","v":1,"ok":true,"mail":{}})").ok());
}

TEST_CASE("a sync asks about unanswered uploads, and its reply repeats national's answers", "[scanner][uplink]") {
  auto request = DecodeSyncRequest(EncodeSyncRequest({"s1", "571001", 0, 0, {"uabc-1", "uabc-4"}}));
  REQUIRE(request.ok());
  CHECK(request->uploads == std::vector<std::string>{"uabc-1", "uabc-4"});
  CHECK(EncodeSyncRequest({"s1", "571001", 0, 0, {}}).find("uploads") == std::string::npos);  // absent when none
  CHECK_FALSE(DecodeSyncRequest(R"({"type":"sync","v":1,"req":"s","station":"571001","uploads":[7]})").ok());
  std::string many = R"({"type":"sync","v":1,"req":"s","station":"571001","uploads":[)";
  for (int i = 0; i < 65; ++i) many += (i ? ",\"u" : "\"u") + std::to_string(i) + "\"";
  CHECK_FALSE(DecodeSyncRequest(many + "]}").ok());

  SyncReply reply;
  reply.req = "s1";
  reply.ok = true;
  reply.uploads.push_back({"uabc-1", true, "", "", 40, 10, 2});
  reply.uploads.push_back({"uabc-4", false, "InvalidArgument", "scan 7: bad", 0, 0, 0});
  auto decoded = DecodeSyncReply(EncodeSyncReply(reply));
  REQUIRE(decoded.ok());
  REQUIRE(decoded->uploads.size() == 2);
  CHECK(decoded->uploads[0].req == "uabc-1");
  CHECK(decoded->uploads[0].ok);
  CHECK(decoded->uploads[0].last_id == 40);
  CHECK(decoded->uploads[0].duplicates == 2);
  CHECK_FALSE(decoded->uploads[1].ok);
  CHECK(decoded->uploads[1].code == "InvalidArgument");
  CHECK(decoded->uploads[1].error == "scan 7: bad");
}

TEST_CASE("LinkMessageType reads the type for dispatch, or gives empty", "[scanner][uplink]") {
  CHECK(LinkMessageType(EncodeSyncRequest({"r", "571001", 0, 0, {}})) == "sync");
  CHECK(LinkMessageType(R"({"type":"upload","v":1})") == "upload");
  CHECK(LinkMessageType(R"({"type":"frobnicate"})") == "frobnicate");
  CHECK(LinkMessageType(R"({"type":7})").empty());
  CHECK(LinkMessageType(R"({"v":1})").empty());
  CHECK(LinkMessageType("not json").empty());
  CHECK(LinkMessageType("").empty());
}

TEST_CASE("a manifest written by AppendManifestRow reads back field for field", "[scanner][manifest][uplink]") {
  ManifestRow full;
  full.waybill = "ZT7730012345678";
  full.origin_station = "310001";
  full.dest_station = "571001";
  full.dispatched_at = "2026-11-23T22:10:00+08:00";
  full.bag = "BG3100010123";
  full.declared_weight_g = 1250;
  full.recipient_phone = "+8613812345678";
  full.recipient_district = "西湖区, \"北山街\"";
  ManifestRow bare;
  bare.waybill = "EE123456785CN";
  bare.origin_station = "310001";
  bare.dest_station = "571001";
  bare.dispatched_at = "2026-11-23T14:10:00Z";
  ManifestRow spaced = bare;
  spaced.waybill = "ZT7730012345679";
  spaced.recipient_district = " 上城区 ";
  spaced.declared_weight_g = 0;

  std::string csv;
  AppendManifestCsvHeader(csv);
  CHECK(csv ==
        "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n");
  for (const ManifestRow* row : {&full, &bare, &spaced}) AppendManifestRow(csv, *row);
  auto m = ReadManifest(csv);
  REQUIRE(m.ok());
  CHECK(m->problems.empty());
  REQUIRE(m->rows.size() == 3);
  const ManifestRow* written[] = {&full, &bare, &spaced};
  for (int i = 0; i < 3; ++i) {
    const ManifestRow& a = *written[i];
    const ManifestRow& b = m->rows[i];
    INFO("row " << i);
    CHECK(b.line == i + 2);
    CHECK(b.waybill == a.waybill);
    CHECK(b.origin_station == a.origin_station);
    CHECK(b.dest_station == a.dest_station);
    CHECK(b.dispatched_at == a.dispatched_at);
    CHECK(b.bag == a.bag);
    CHECK(b.declared_weight_g == a.declared_weight_g);
    CHECK(b.recipient_phone == a.recipient_phone);
    CHECK(b.recipient_district == a.recipient_district);
  }
  CHECK(m->rows[0].dispatched_ms == 1795443000000);

  SECTION("the header row alone is an empty manifest, as a sync with nothing new sends") {
    std::string header_only;
    AppendManifestCsvHeader(header_only);
    auto empty = ReadManifest(header_only);
    REQUIRE(empty.ok());
    CHECK(empty->rows.empty());
    CHECK(empty->problems.empty());
  }
}

TEST_CASE("lookup requests and replies round-trip, a repeated waybill asked once", "[scanner][uplink][lookup]") {
  auto request = DecodeLookupRequest(
      EncodeLookupRequest({"l-4", "571001", {"ZT7730012345678", "EE123456785CN", "ZT7730012345678"}}));
  REQUIRE(request.ok());
  CHECK(request->req == "l-4");
  CHECK(request->station == "571001");
  CHECK(request->waybills == std::vector<std::string>{"ZT7730012345678", "EE123456785CN"});

  LookupReply reply;
  reply.req = "l-4";
  reply.ok = true;
  reply.now_ms = 1795478292000;
  reply.found = {"ZT7730012345678"};
  reply.not_found = {"EE123456785CN"};
  auto back = DecodeLookupReply(EncodeLookupReply(reply));
  REQUIRE(back.ok());
  CHECK(back->ok);
  CHECK(back->req == "l-4");
  CHECK(back->now_ms == 1795478292000);
  CHECK(back->found == reply.found);
  CHECK(back->not_found == reply.not_found);

  SECTION("a refusal carries its code and reason, and no lists") {
    LookupReply refused;
    refused.req = "l-5";
    refused.code = "InvalidArgument";
    refused.error = "lookup: \"waybills\" must hold 1 to 500 waybills, not 501";
    auto r = DecodeLookupReply(EncodeLookupReply(refused));
    REQUIRE(r.ok());
    CHECK_FALSE(r->ok);
    CHECK(r->req == "l-5");
    CHECK(r->code == "InvalidArgument");
    CHECK(r->error == refused.error);
    CHECK(r->found.empty());
    CHECK(r->not_found.empty());
  }
  SECTION("a reply with both lists empty is well formed") {
    auto r = DecodeLookupReply(R"({"type":"lookup_ack","v":1,"req":"x","ok":true,"found":[],"not_found":[]})");
    REQUIRE(r.ok());
    CHECK(r->ok);
  }
}

TEST_CASE("lookup requests that break the rules are refused, naming the rule", "[scanner][uplink][lookup]") {
  const auto error = [](const std::string& waybills) {
    return DecodeLookupRequest(R"({"type":"lookup","v":1,"req":"l","station":"571001","waybills":)" + waybills + "}")
        .status()
        .message();
  };
  std::vector<std::string> many;
  for (std::size_t i = 0; i <= kMaxLookupWaybills; ++i) many.push_back("ZT" + std::to_string(7730000000000 + i));
  auto too_many = DecodeLookupRequest(EncodeLookupRequest({"l", "571001", many}));
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.status().code() == Code::kInvalidArgument);
  CHECK_THAT(too_many.status().message(), Catch::Contains("1 to 500 waybills, not 501"));
  many.pop_back();
  CHECK(DecodeLookupRequest(EncodeLookupRequest({"l", "571001", many})).ok());

  CHECK_THAT(error("[]"), Catch::Contains("1 to 500 waybills, not 0"));
  CHECK_THAT(error(R"("ZT7730012345678")"), Catch::Contains("must be an array"));
  CHECK_THAT(error(R"(["ZT7730012345678", 7])"), Catch::Contains("waybills[1] must be a string"));
  CHECK_THAT(error(R"(["12"])"), Catch::Contains("waybills[0]"));
  CHECK_THAT(error(R"(["zt7730012345678"])"), Catch::Contains("must be written ZT7730012345678"));
  CHECK_THAT(DecodeLookupRequest(R"({"type":"lookup","v":1,"req":"l","waybills":["ZT7730012345678"]})")
                 .status()
                 .message(),
             Catch::Contains("six-digit"));
  std::string huge = R"({"type":"lookup","v":1,"pad":")" + std::string(kMaxLookupHeader, 'x') + "\"}";
  CHECK_THAT(DecodeLookupRequest(huge).status().message(), Catch::Contains("longer than 65536"));
}

// Issue 6, found by fuzz_national_wire: a number JSON holds as a float (one
// with a fraction or an exponent, or an integer past 2^64) reached int64 by a
// plain cast, undefined behaviour out of range (UBSan: "1.79548e+80 is
// outside the range of representable values of type 'long'").
TEST_CASE("issue 6: sync and post acks whose numbers are not integers are refused, not cast", "[scanner][uplink]") {
  const std::string sync = R"({"type":"sync_ack","v":1,"req":"s","ok":true,)";
  const std::string mail = R"("mail":[{"seq":SEQ,"from":"200001","msg_id":"m","kind":"k","body":"","posted_ms":POSTED}])";
  const auto with = [](std::string text, const std::string& key, const std::string& value) {
    return text.replace(text.find(key), key.size(), value);
  };
  REQUIRE(DecodeSyncReply(sync + with(with(mail, "SEQ", "1"), "POSTED", "2") + "}").ok());
  for (const std::string& text :
       {sync + R"("now_ms":179547666666666666666666666666668292000})", sync + R"("manifest_to":1e300})",
        sync + with(with(mail, "SEQ", "1e300"), "POSTED", "2") + "}",
        sync + with(with(mail, "SEQ", "1"), "POSTED", "-1e300") + "}"}) {
    INFO(text);
    auto reply = DecodeSyncReply(text);
    REQUIRE_FALSE(reply.ok());
    CHECK_THAT(reply.status().message(), Catch::Contains("integer"));
  }
  auto post = DecodePostAck(R"({"type":"post_ack","v":1,"req":"p","ok":true,"msg_id":"m","seq":1e300})");
  REQUIRE_FALSE(post.ok());
  CHECK_THAT(post.status().message(), Catch::Contains("integer"));
}
