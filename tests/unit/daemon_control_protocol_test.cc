// The clerk's channel, stationctl <-> stationd (docs/protocol.md, "Control"):
// cases the fuzzer (fuzz/fuzz_control_wire.cc) found.

#include <catch2/catch.hpp>

#include <string>

#include "wire/control.h"

using namespace station;

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
