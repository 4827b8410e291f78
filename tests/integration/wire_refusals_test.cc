// Issue 16, with real processes on 127.0.0.1: what an outsider's client
// found in the way stationd reads headers and writes its log.
// - a header integer is read as 64 bits: "v": 4294967297 is refused, not
//   taken as 1 and stored;
// - a refusal of a readable header echoes its req, in the batch and the
//   control protocols; "" only when no req could be read;
// - the quarantine rule: refused before the body is read, no row; refused
//   after, one row with the body's first line;
// - a gun's req holding a line break and ESC, and national's error text
//   holding NUL and 0xFF, reach stationd's log escaped, on one line.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "security/key_file.h"
#include "security/link_security.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "wire/dock.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* const kStation = "571001";

// A DEALER speaking to one of stationd's ROUTERs by hand: sends frames,
// reads one reply frame (bounded).
class RawClient {
 public:
  explicit RawClient(const std::string& endpoint, const security::ClientSecurity* security = nullptr)
      : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndtimeo, 5000);
    socket_.set(zmq::sockopt::rcvtimeo, 10000);
    if (security) security::ApplyClientSecurity(socket_, *security);
    socket_.connect(endpoint);
  }

  // The reply to `frames` as JSON; null when none came within 10 s.
  json Ask(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::message_t reply;
    if (!socket_.recv(reply)) return nullptr;
    while (reply.more()) {
      zmq::message_t rest;
      (void)socket_.recv(rest);
    }
    return json::parse(reply.to_string_view(), nullptr, /*allow_exceptions=*/false);
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

std::string Body(const std::string& device, const std::string& station, const std::string& batch) {
  return "# device=" + device + " courier=C1001 station=" + station + " batch=" + batch +
         "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n"
         "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits (bounded) until the log at `path` holds `text`.
bool LogShows(const std::string& path, const std::string& text, std::chrono::seconds within) {
  for (auto until = std::chrono::steady_clock::now() + within; std::chrono::steady_clock::now() < until;) {
    if (ReadAll(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("issue 16: refusals of a readable header echo req, v past 32 bits is refused, one quarantine rule",
          "[integration][wire][issue16]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  const std::string log = dir.Path("stationd.log");
  fs::create_directories(data);
  auto created = RunCommand({StationctlPath(), "keys", "create", "PDA-W", "--out", dir.Path("keys")}, 20s);
  REQUIRE(created.exit_code == 0);
  REQUIRE(RunStationctl(data, {"keys", "enroll", dir.Path("keys/PDA-W.key"), "--gun", "PDA-W"}).exit_code == 0);
  auto station = StartStationd(data, kStation, log, nullptr, "tcp://127.0.0.1:*", {kSecure});
  auto secret = security::ReadSecretKeyFile(dir.Path("keys/PDA-W.key_secret"));
  auto server_key = security::ReadPublicKey(data + "/keys/station.key");
  REQUIRE(secret.ok());
  REQUIRE(server_key.ok());
  const security::ClientSecurity curve{true, *server_key, *secret};
  RawClient gun(station.endpoint, &curve);
  const std::string body = Body("PDA-W", kStation, "b-1");

  // Refused before the body is read: answered with the req, nothing stored,
  // nothing quarantined.
  const std::vector<std::pair<std::vector<std::string>, std::string>> unread = {
      {{R"({"type":"batch","v":4294967297,"req":"v-high"})", body}, "\"v\" must be 1"},
      {{R"({"type":"batch","v":-4294967295,"req":"v-low"})", body}, "\"v\" must be 1"},
      {{R"({"type":"parcel","v":1,"req":"type"})", body}, "\"type\" must be \"batch\""},
      {{R"({"type":"batch","v":1,"req":"first","first_line":4294967299})", body}, "first_line"},
      {{R"({"type":"batch","v":1,"req":"three-frames"})", body, "extra"}, "two frames"},
      {{R"({"type":"batch","v":1,"req":"one-frame"})"}, "two frames"},
  };
  for (const auto& [frames, why] : unread) {
    const std::string req = json::parse(frames[0])["req"];
    INFO(req);
    json reply = gun.Ask(frames);
    REQUIRE(reply.is_object());
    CHECK(reply["ok"] == false);
    CHECK(reply["code"] == "InvalidArgument");
    CHECK(reply["req"] == req);
    CHECK_THAT(reply["error"].get<std::string>(), Catch::Contains(why));
  }
  // No req to read: "" (not JSON; a req past 128 bytes; not a string).
  for (const std::string& header : {std::string("{\"type\":\"batch\""),
                                    R"({"type":"batch","v":1,"req":")" + std::string(129, 'r') + R"("})",
                                    std::string(R"({"type":"batch","v":1,"req":7})")}) {
    json reply = gun.Ask({header, body});
    REQUIRE(reply.is_object());
    CHECK(reply["ok"] == false);
    CHECK(reply["req"] == "");
  }
  CHECK(CountScans(data) == 0);
  CHECK(QueryInt(data, "SELECT count(*) FROM quarantine") == 0);

  // Refused after the body was read: one row each, with the first line.
  const std::vector<std::pair<std::string, std::string>> read = {
      {Body("PDA-W", "310001", "b-2"), "InvalidArgument"},   // another station's
      {Body("PDA-X", kStation, "b-3"), "PermissionDenied"},  // another gun's
      {"not a batch file\nat all\n", "InvalidArgument"},     // unreadable
  };
  for (const auto& [refused_body, code] : read) {
    json reply = gun.Ask({EncodeBatchHeader({"read-" + code, 0}), refused_body});
    REQUIRE(reply.is_object());
    CHECK(reply["code"] == code);
    CHECK(reply["req"] == "read-" + code);
  }
  CHECK(QueryInt(data, "SELECT count(*) FROM quarantine WHERE kind = 'batch'") == 3);
  CHECK(QueryInt(data, "SELECT count(*) FROM quarantine WHERE raw = '# device=PDA-W courier=C1001 station=310001"
                       " batch=b-2'") == 1);
  CHECK(QueryInt(data, "SELECT count(*) FROM quarantine WHERE raw = 'not a batch file'") == 1);

  // A req that would forge a log line: echoed as sent, logged escaped.
  const std::string forged = "f1\n[2026-11-24 08:00:00.000] [critical] forged line\x1b[2J";
  json reply = gun.Ask({json{{"type", "batch"}, {"v", 2}, {"req", forged}}.dump(), body});
  REQUIRE(reply.is_object());
  CHECK(reply["req"] == forged);
  REQUIRE(LogShows(log, "f1\\n[2026-11-24 08:00:00.000] [critical] forged line\\u{1B}[2J", 10s));
  const std::string text = ReadAll(log);
  CHECK(text.find("\n[2026-11-24 08:00:00.000] [critical]") == std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);

  // The control protocol echoes the same way.
  std::ifstream run_file(data + "/stationd.json");
  const std::string control = json::parse(run_file)["control"];
  RawClient clerk(control);
  json control_reply = clerk.Ask({R"({"type":"control","v":4294967297,"req":"c-1","cmd":"ping"})"});
  REQUIRE(control_reply.is_object());
  CHECK(control_reply["ok"] == false);
  CHECK(control_reply["req"] == "c-1");
  control_reply = clerk.Ask({R"({"type":"control","v":1,"req":"c-2","cmd":"ping"})", "a", "b"});
  REQUIRE(control_reply.is_object());
  CHECK(control_reply["req"] == "c-2");
  CHECK(station.process.Running());
}

TEST_CASE("issue 16: national's error text with NUL and 0xFF bytes is logged escaped, on one line",
          "[integration][wire][issue16]") {
  TempDir dir;
  const std::string log = dir.Path("stationd.log");
  // A fake national system: a ROUTER that answers the station's first
  // message with an error holding raw NUL and 0xFF bytes.
  zmq::context_t context;
  zmq::socket_t national(context, zmq::socket_type::router);
  national.set(zmq::sockopt::linger, 0);
  national.set(zmq::sockopt::rcvtimeo, 15000);
  national.bind("tcp://127.0.0.1:*");
  const std::string endpoint = national.get(zmq::sockopt::last_endpoint);
  auto station = StartStationd(dir.Path("data"), kStation, log, nullptr, "tcp://127.0.0.1:*",
                               {"--national", endpoint});
  zmq::message_t peer;
  REQUIRE(national.recv(peer));  // the station's sync, routing id first
  while (peer.more()) {
    zmq::message_t rest;
    REQUIRE(national.recv(rest));
    if (!rest.more()) break;
  }
  static const char kError[] =
      "{\"type\":\"error\",\"v\":1,\"req\":\"\",\"ok\":false,\"code\":\"InvalidArgument\","
      "\"error\":\"nul\0here \xff\xfe\nsecond line\"}";
  const std::string error(kError, sizeof kError - 1);
  national.send(peer, zmq::send_flags::sndmore);
  national.send(zmq::buffer(error), zmq::send_flags::none);
  REQUIRE(LogShows(log, "national answered with an error or an unknown message", 10s));
  REQUIRE(LogShows(log, "nul\\u{00}here \\xFF\\xFE\\nsecond line", 5s));
  const std::string text = ReadAll(log);
  CHECK(text.find('\0') == std::string::npos);
  CHECK(text.find('\xff') == std::string::npos);
  CHECK(text.find("\nsecond line") == std::string::npos);
}
