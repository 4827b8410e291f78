// Issue 16: every integer of every header is read as 64 bits and checked
// against its range (wire/json_integer.h), and a refusal of a readable
// header can echo its req (wire/request_id.h).

#include <catch2/catch.hpp>

#include <string>

#include "wire/control.h"
#include "wire/dock.h"
#include "wire/national.h"
#include "wire/request_id.h"
#include "wire/upload.h"

using namespace station;

namespace {

// Versions that once read as 1: get<int>() kept the low 32 bits.
const char* const kNotVersionOne[] = {"4294967297", "-4294967295", "18446744073709551617", "18446744073709551615",
                                      "9223372036854775809", "1.0", "1e0", "\"1\"", "true", "null"};

std::string With(const char* before, const std::string& v, const char* after) { return before + v + after; }

}  // namespace

TEST_CASE("issue 16: a header's v that only truncates to 1 is refused in every protocol", "[wire][integers]") {
  REQUIRE(DecodeBatchHeader(R"({"type":"batch","v":1,"req":"r"})").ok());
  REQUIRE(DecodeUploadHeader(R"({"type":"upload","v":1,"req":"r","station":"571001"})").ok());
  REQUIRE(DecodeControlRequest(R"({"type":"control","v":1,"req":"r","cmd":"ping"})").ok());
  REQUIRE(DecodeSyncRequest(R"({"type":"sync","v":1,"req":"r","station":"571001"})").ok());
  for (const char* v : kNotVersionOne) {
    INFO(v);
    auto batch = DecodeBatchHeader(With(R"({"type":"batch","v":)", v, R"(,"req":"r"})"));
    REQUIRE_FALSE(batch.ok());
    CHECK(batch.status().message() == "batch header: \"v\" must be 1");
    auto upload = DecodeUploadHeader(With(R"({"type":"upload","v":)", v, R"(,"req":"r","station":"571001"})"));
    REQUIRE_FALSE(upload.ok());
    CHECK(upload.status().message() == "upload header: \"v\" must be 1");
    auto control = DecodeControlRequest(With(R"({"type":"control","v":)", v, R"(,"req":"r","cmd":"ping"})"));
    REQUIRE_FALSE(control.ok());
    CHECK(control.status().message() == "control request: \"v\" must be 1");
    CHECK_FALSE(DecodeSyncRequest(With(R"({"type":"sync","v":)", v, R"(,"req":"r","station":"571001"})")).ok());
    CHECK_FALSE(DecodeSyncReply(With(R"({"type":"sync_ack","v":)", v, R"(,"req":"r","ok":true})")).ok());
  }
}

TEST_CASE("issue 16: first_line and the control request's integers are read as 64 bits with their range",
          "[wire][integers]") {
  auto header = [](const std::string& first) {
    return DecodeBatchHeader(R"({"type":"batch","v":1,"req":"r","first_line":)" + first + "}");
  };
  REQUIRE(header("100000000").ok());
  CHECK(header("100000000")->first_line == 100'000'000);
  for (const char* bad : {"100000001", "4294967299", "-4294967295", "18446744073709551615", "-1", "3.0"}) {
    INFO(bad);
    auto h = header(bad);
    REQUIRE_FALSE(h.ok());
    CHECK_THAT(h.status().message(), Catch::Contains("first_line"));
  }
  // An id past int64 once wrapped to a negative one.
  auto close = DecodeControlRequest(R"({"v":1,"req":"c","cmd":"discrepancy_close","id":18446744073709551615})");
  REQUIRE_FALSE(close.ok());
  CHECK_THAT(close.status().message(), Catch::Contains("\"id\" must be an integer"));
  auto cursor = DecodeSyncRequest(R"({"type":"sync","v":1,"station":"571001","manifest_after":18446744073709551615})");
  CHECK_FALSE(cursor.ok());
}

TEST_CASE("issue 16: the counts of a batch ack and an upload ack are bounded reads, never truncated",
          "[wire][integers]") {
  const auto ack = [](const std::string& accepted, const std::string& line) {
    return R"({"type":"batch_ack","v":1,"req":"r","ok":true,"accepted":)" + accepted +
           R"(,"duplicates":0,"rejected":[{"line":)" + line + R"(,"seq":1,"reason":"x"}]})";
  };
  REQUIRE(DecodeBatchAck(ack("50000", "7")).ok());
  for (const auto& [accepted, line] : {std::pair<std::string, std::string>{"4294967297", "7"},
                                       {"50001", "7"}, {"-1", "7"}, {"1", "4294967299"}, {"1", "-4294967295"}}) {
    INFO(accepted << " " << line);
    CHECK_FALSE(DecodeBatchAck(ack(accepted, line)).ok());
  }
  auto upload_ack = DecodeUploadAck(R"({"type":"upload_ack","v":1,"req":"r","ok":true,"last_id":9,"stored":4294967297})");
  CHECK_FALSE(upload_ack.ok());
}

TEST_CASE("issue 16: a req longer than 128 bytes is refused in every protocol, not cut", "[wire][integers]") {
  const std::string long_req(129, 'r');
  CHECK_FALSE(DecodeBatchHeader(R"({"type":"batch","v":1,"req":")" + long_req + R"("})").ok());
  CHECK_FALSE(DecodeUploadHeader(R"({"type":"upload","v":1,"station":"571001","req":")" + long_req + R"("})").ok());
  CHECK_FALSE(DecodeControlRequest(R"({"v":1,"cmd":"ping","req":")" + long_req + R"("})").ok());
  CHECK_FALSE(DecodeSyncRequest(R"({"type":"sync","v":1,"station":"571001","req":")" + long_req + R"("})").ok());
  auto at_limit = DecodeSyncRequest(R"({"type":"sync","v":1,"station":"571001","req":")" + long_req.substr(1) + R"("})");
  REQUIRE(at_limit.ok());
  CHECK(at_limit->req == long_req.substr(1));
}

TEST_CASE("issue 16: the req a refusal echoes is read from any JSON object header", "[wire][req]") {
  CHECK(EchoableReq(R"({"type":"batch","v":4294967297,"req":"part-7"})") == "part-7");
  CHECK(EchoableReq(R"({"type":"parcel","req":"p-1"})") == "p-1");
  CHECK(EchoableReq(R"({"req":""})") == "");
  CHECK(EchoableReq(R"({"req":")" + std::string(128, 'x') + R"("})") == std::string(128, 'x'));
  CHECK(EchoableReq(R"({"req":")" + std::string(129, 'x') + R"("})") == "");
  CHECK(EchoableReq(R"({"req":7})") == "");
  CHECK(EchoableReq(R"(["req","x"])") == "");
  CHECK(EchoableReq("{\"req\":\"x\"") == "");
  CHECK(EchoableReq("") == "");
  const std::string deep = R"({"req":"d","x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  CHECK(EchoableReq(deep) == "");
  const std::string big = R"({"req":"b","pad":")" + std::string(kMaxEchoedHeaderBytes, ' ') + R"("})";
  CHECK(EchoableReq(big) == "");
}
