#include <catch2/catch.hpp>

#include "wire/dock.h"

using namespace station;

TEST_CASE("batch headers round-trip and bad ones name the field", "[scanner][wire]") {
  auto h = DecodeBatchHeader(EncodeBatchHeader({"r-1", 42}));
  REQUIRE(h.ok());
  CHECK(h->req == "r-1");
  CHECK(h->first_line == 42);

  CHECK_THAT(DecodeBatchHeader("{").status().message(), Catch::Contains("not valid JSON"));
  CHECK_THAT(DecodeBatchHeader("[1]").status().message(), Catch::Contains("object"));
  CHECK_THAT(DecodeBatchHeader(R"({"type":"ack","v":1,"req":"x"})").status().message(), Catch::Contains("type"));
  CHECK_THAT(DecodeBatchHeader(R"({"type":"batch","v":2,"req":"x"})").status().message(), Catch::Contains("\"v\""));
  CHECK_THAT(DecodeBatchHeader(R"({"type":"batch","v":1})").status().message(), Catch::Contains("req"));
  CHECK_THAT(DecodeBatchHeader(R"({"type":"batch","v":1,"req":"x","first_line":-3})").status().message(),
             Catch::Contains("first_line"));
  std::string deep(100000, '[');
  CHECK_FALSE(DecodeBatchHeader(deep).ok());
}

TEST_CASE("batch acks round-trip with their rejected rows", "[scanner][wire]") {
  BatchAck ack;
  ack.req = "r-9";
  ack.device = "PDA-1";
  ack.batch = "b";
  ack.accepted = 7;
  ack.duplicates = 2;
  ack.rejected = {{5, 3, "unknown scan type 'x'"}};
  ack.conflicts = {{9, 7, "conflict"}};
  auto back = DecodeBatchAck(EncodeBatchAck(ack));
  REQUIRE(back.ok());
  CHECK(back->ok);
  CHECK(back->accepted == 7);
  CHECK(back->duplicates == 2);
  REQUIRE(back->rejected.size() == 1);
  CHECK(back->rejected[0].line == 5);
  CHECK(back->rejected[0].reason == "unknown scan type 'x'");
  REQUIRE(back->conflicts.size() == 1);

  auto error = DecodeBatchAck(EncodeBatchAck(ErrorAck("r-1", Status::Unavailable("storage failed"))));
  REQUIRE(error.ok());
  CHECK_FALSE(error->ok);
  CHECK(error->code == "Unavailable");
  CHECK(error->error == "storage failed");
}

// Issue 6, found by fuzz_dock_wire: a number JSON holds as a float (one with
// a fraction or an exponent, or an integer past 2^64) reached int64 by a
// plain cast, undefined behaviour out of range (UBSan: "4.8e+20 is outside
// the range of representable values of type 'long'").
TEST_CASE("issue 6: a batch ack whose seq is not an integer is refused, not cast", "[scanner][wire]") {
  const auto ack_with_seq = [](const std::string& seq) {
    return R"({"type":"batch_ack","v":1,"req":"r","ok":true,"accepted":1,"duplicates":0,)"
           R"("rejected":[{"line":5,"seq":)" + seq + R"(,"reason":"unknown scan type 'x'"}]})";
  };
  REQUIRE(DecodeBatchAck(ack_with_seq("48")).ok());
  for (const char* seq : {"480000000000000000000", "1e300", "2.5"}) {
    INFO(seq);
    auto ack = DecodeBatchAck(ack_with_seq(seq));
    REQUIRE_FALSE(ack.ok());
    CHECK_THAT(ack.status().message(), Catch::Contains("integer"));
  }
}

TEST_CASE("issue 6: a batch header nested deeper than 32 levels is refused, however short", "[scanner][wire]") {
  auto nested = [](int depth) {
    return "{\"type\":\"batch\",\"v\":1,\"req\":\"r\",\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  CHECK(DecodeBatchHeader(nested(30)).ok());  // the object itself is one level
  auto deep = DecodeBatchHeader(nested(40));
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(deep.status().message(), Catch::Contains("deeper than 32"));
  auto very_deep = DecodeBatchHeader(nested(1900));  // under the 4096-byte limit
  REQUIRE_FALSE(very_deep.ok());
  CHECK_THAT(very_deep.status().message(), Catch::Contains("deeper than 32"));
}
