#include <catch2/catch.hpp>

#include "wire/upload.h"

using namespace station;

TEST_CASE("upload bodies round-trip, notes with commas and quotes included", "[scanner][upload]") {
  UploadedScan a;
  a.id = 41;
  a.device = "PDA-0042";
  a.batch = "20261124-0003";
  a.seq = 3;
  a.courier = "C1001";
  a.waybill = "EE123456785CN";
  a.type = "problem";
  a.time = "2026-11-24T10:02:03+08:00";
  a.reason = "wrong_phone";
  a.note = "空号, \"已联系\"寄件人";
  a.received_ms = 1795478292000;
  UploadedScan b = a;
  b.id = 42;
  b.seq = 4;
  b.type = "arrival";
  b.reason.clear();
  b.note.clear();
  b.bag = "BG3100010123";
  b.peer_station = "310001";
  b.weight_g = 1250;
  std::string body = std::string(kUploadColumns) + "\n";
  AppendUploadRow(body, a);
  AppendUploadRow(body, b);
  auto scans = ReadUploadBody(body);
  REQUIRE(scans.ok());
  REQUIRE(scans->size() == 2);
  CHECK((*scans)[0].note == a.note);
  CHECK((*scans)[0].reason == "wrong_phone");
  CHECK_FALSE((*scans)[0].weight_g.has_value());
  CHECK((*scans)[1].weight_g == 1250);
  CHECK((*scans)[1].id == 42);
  CHECK((*scans)[1].received_ms == 1795478292000);
}

TEST_CASE("a broken upload is refused whole, naming the row", "[scanner][upload]") {
  CHECK_THAT(ReadUploadBody("id,device\n").status().message(), Catch::Contains("header row must be"));
  std::string body = std::string(kUploadColumns) + "\nx,PDA,b,1,C,,,arrival,t,,,,,1\n";
  CHECK_THAT(ReadUploadBody(body).status().message(), Catch::Contains("line 2"));
  CHECK_THAT(DecodeUploadHeader(R"({"type":"upload","v":1,"station":"57"})").status().message(),
             Catch::Contains("six-digit"));
  auto h = DecodeUploadHeader(EncodeUploadHeader({"r1", "571001"}));
  REQUIRE(h.ok());
  CHECK(h->station == "571001");
  auto ack = DecodeUploadAck(EncodeUploadAck({"r1", true, "", "", 99, 10, 2}));
  REQUIRE(ack.ok());
  CHECK(ack->last_id == 99);
  CHECK(ack->duplicates == 2);
}

// Issue 6, found by fuzzing: a number JSON holds as a float reached int64 or
// int by a plain cast, undefined behaviour out of range.
TEST_CASE("issue 6: an upload ack whose counts are not integers is refused, not cast", "[scanner][upload]") {
  for (const char* field : {R"("last_id":1e300)", R"("stored":1e10)", R"("duplicates":99999999999999999999)"}) {
    INFO(field);
    auto ack = DecodeUploadAck(std::string(R"({"type":"upload_ack","v":1,"req":"u","ok":true,)") + field + "}");
    REQUIRE_FALSE(ack.ok());
    CHECK_THAT(ack.status().message(), Catch::Contains("integer"));
  }
}
