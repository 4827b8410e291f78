#include <catch2/catch.hpp>

#include "core/iso_time.h"

using namespace station;

TEST_CASE("ISO 8601 instants with offsets become Unix milliseconds", "[scanner][time]") {
  // 2026-11-23T23:58:12Z
  const std::int64_t expected = 1795478292000;
  CHECK(*ParseIsoInstant("2026-11-24T07:58:12+08:00") == expected);
  CHECK(*ParseIsoInstant("2026-11-23T23:58:12Z") == expected);
  CHECK(*ParseIsoInstant("2026-11-24T07:58:12+0800") == expected);
  CHECK(*ParseIsoInstant("2026-11-23T20:58:12-03:00") == expected);
  CHECK(*ParseIsoInstant("2026-11-24T07:58:12.250+08:00") == expected + 250);
  CHECK(*ParseIsoInstant("1970-01-01T00:00:00Z") == 0);
  CHECK(*ParseIsoInstant("2024-02-29T12:00:00+08:00") == 1709179200000);
}

TEST_CASE("ISO 8601 instants without an offset or out of range are refused", "[scanner][time]") {
  for (const char* bad : {"2026-11-24T07:58:12", "2026-11-24 07:58", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T07:60:00Z",
                          "2026-11-24T07:58:12+08:00x", "", "yesterday", "2026-11-24T07:58:12+25:00"}) {
    INFO(bad);
    auto t = ParseIsoInstant(bad);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == Code::kInvalidArgument);
  }
  CHECK_THAT(ParseIsoInstant("2026-11-24T07:58:12").status().message(), Catch::Contains("offset"));
}

TEST_CASE("FormatIsoInstant round-trips through ParseIsoInstant", "[scanner][time]") {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1795478292123}, std::int64_t{951782400000}}) {
    CHECK(*ParseIsoInstant(FormatIsoInstant(ms)) == ms);
    CHECK(*ParseIsoInstant(FormatIsoInstant(ms, -300)) == ms);
  }
  CHECK(FormatIsoInstant(1795478292000) == "2026-11-24T07:58:12.000+08:00");
}
