// Reading the national manifest (DESIGN §8): bad rows reported with their
// line and reason, the others kept.

#include <catch2/catch.hpp>

#include "scanner/manifest.h"

using namespace station;

namespace {

const char* kHeader =
    "waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone,recipient_district\n";

std::string ReasonOnLine(const Manifest& m, int line) {
  for (const ManifestProblem& p : m.problems) {
    if (p.line == line) return p.reason;
  }
  return "(no problem on line " + std::to_string(line) + ")";
}

}  // namespace

TEST_CASE("manifest rows are read and every bad row is reported with its line", "[scanner][manifest]") {
  std::string text = std::string(kHeader) +
                     "ZT7730012345678,310001,571001,2026-11-23T22:10:00+08:00,BG3100010123,1250,138 1234 5678,西湖区\n"  // 2
                     "EE123456785CN,310001,571001,2026-11-23T22:10:00+08:00,,,,\n"                                      // 3
                     "EE123456786CN,310001,571001,2026-11-23T22:10:00+08:00,,,,\n"                                      // 4
                     "ZT7730012345679,31001,571001,2026-11-23T22:10:00+08:00,,,,\n"                                     // 5
                     "ZT7730012345670,310001,571001,yesterday,,,,\n"                                                    // 6
                     "ZT7730012345671,310001,571001,2026-11-23T22:10:00+08:00,,-3,,\n"                                  // 7
                     "ZT7730012345672,310001,571001,2026-11-23T22:10:00+08:00,,,call me,\n"                             // 8
                     "ZT7730012345673,310001,,2026-11-23T22:10:00+08:00,,,,\n"                                          // 9
                     "ZT7730012345674,310001,571001\n"                                                                  // 10
                     "ZT7730012345675,310001,571001,2026-11-23T22:10:00+08:00,,,,\"bad\"quote\n";                       // 11
  auto m = ReadManifest(text);
  REQUIRE(m.ok());
  REQUIRE(m->rows.size() == 2);
  const ManifestRow& first = m->rows[0];
  CHECK(first.line == 2);
  CHECK(first.waybill == "ZT7730012345678");
  CHECK(first.origin_station == "310001");
  CHECK(first.dest_station == "571001");
  CHECK(first.bag == "BG3100010123");
  CHECK(first.declared_weight_g == 1250);
  CHECK(first.recipient_phone == "13812345678");
  CHECK(first.recipient_district == "西湖区");
  CHECK(first.dispatched_ms == 1795443000000);
  CHECK(m->rows[1].waybill == "EE123456785CN");
  CHECK(m->problems.size() == 8);
  CHECK_THAT(ReasonOnLine(*m, 4), Catch::Contains("check digit"));
  CHECK_THAT(ReasonOnLine(*m, 5), Catch::Contains("origin_station"));
  CHECK_THAT(ReasonOnLine(*m, 6), Catch::Contains("time"));
  CHECK_THAT(ReasonOnLine(*m, 7), Catch::Contains("declared_weight_g"));
  CHECK_THAT(ReasonOnLine(*m, 8), Catch::Contains("phone"));
  CHECK_THAT(ReasonOnLine(*m, 9), Catch::Contains("dest_station is empty"));
  CHECK_THAT(ReasonOnLine(*m, 10), Catch::Contains("fields"));
  CHECK_THAT(ReasonOnLine(*m, 11), Catch::Contains("quoting"));
}

TEST_CASE("a manifest without its header row or a column is refused whole", "[scanner][manifest]") {
  CHECK_THAT(ReadManifest("").status().message(), Catch::Contains("no header row"));
  auto missing = ReadManifest("waybill,origin_station,dest_station,dispatched_at,bag,declared_weight_g,recipient_phone\n");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("recipient_district"));
}

TEST_CASE("phone numbers are masked as DESIGN §7 shows", "[scanner][manifest]") {
  CHECK(MaskPhone("13812345678") == "138****5678");
  CHECK(MaskPhone("+86 138 1234 5678") == "861****5678");
  CHECK(MaskPhone("0571-8888") == "****8888");
  CHECK(MaskPhone("12345") == "***45");
  CHECK(MaskPhone("") == "");
  for (const char* phone : {"13812345678", "057188886666", "88886666"}) {
    std::string masked = MaskPhone(phone);
    INFO(masked);
    CHECK(masked.find("****") != std::string::npos);
  }
}
