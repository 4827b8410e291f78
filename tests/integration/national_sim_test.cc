// national-sim as a real process: uploads stored once and acknowledged,
// resends counted, the fault switches doing what they say.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "scanner/upload_wire.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;

namespace {

struct RunningNational {
  ChildProcess process;
  std::string endpoint;
};

RunningNational StartNational(const TempDir& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{NATIONAL_SIM_PATH, "--listen", "tcp://127.0.0.1:*", "--data-dir", dir.Path("nat")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunningNational n{Spawn(argv, dir.Path("national.log")), ""};
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(dir.Path("nat/national-sim.json"));
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (!j.is_discarded() && j.value("pid", 0) == n.process.pid()) {
      n.endpoint = j.value("listen", std::string());
      return n;
    }
    std::this_thread::sleep_for(5ms);
  }
  throw std::runtime_error("national-sim did not come up");
}

std::string Body(int first_id, int count) {
  std::string body = std::string(kUploadColumns) + "\n";
  for (int i = 0; i < count; ++i) {
    UploadedScan s;
    s.id = first_id + i;
    s.device = "PDA-1";
    s.batch = "b1";
    s.seq = first_id + i;
    s.courier = "C1";
    s.waybill = "ZT77300123456" + std::to_string(10 + i);
    s.type = "arrival";
    s.time = "2026-11-24T07:58:12+08:00";
    s.received_ms = 1795478292000;
    AppendUploadRow(body, s);
  }
  return body;
}

// A station's end of the link, with a bounded wait for each reply.
zmq::socket_t Connect(zmq::context_t& context, const std::string& endpoint, int timeout_ms) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
  socket.connect(endpoint);
  return socket;
}

Result<UploadAck> Upload(zmq::socket_t& socket, const std::string& req, const std::string& body) {
  std::string header = EncodeUploadHeader({req, "571001"});
  socket.send(zmq::buffer(header), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body), zmq::send_flags::none);
  zmq::message_t reply;
  if (!socket.recv(reply)) return Status::Unavailable("no reply");
  return DecodeUploadAck(reply.to_string_view());
}

nlohmann::json Query(const TempDir& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{NATIONAL_SIM_PATH, "query", "--data-dir", dir.Path("nat"), "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = RunCommand(argv, 10s);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("national-sim stores an upload once and counts the resend", "[integration][national]") {
  TempDir dir;
  auto national = StartNational(dir);
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 5000);

  auto first = Upload(socket, "u1", Body(1, 3));
  REQUIRE(first.ok());
  CHECK(first->ok);
  CHECK(first->req == "u1");
  CHECK(first->stored == 3);
  CHECK(first->last_id == 3);
  auto again = Upload(socket, "u2", Body(1, 3));
  REQUIRE(again.ok());
  CHECK(again->stored == 0);
  CHECK(again->duplicates == 3);

  auto counts = Query(dir);
  CHECK(counts["stations"]["571001"]["scans"] == 3);
  CHECK(counts["stations"]["571001"]["duplicates_seen"] == 3);
  auto history = Query(dir, {"--waybill", "ZT7730012345610"});
  REQUIRE(history["scans"].size() == 1);
  CHECK(history["scans"][0]["station"] == "571001");

  auto bad = Upload(socket, "u3", "not,a,body\n");
  REQUIRE(bad.ok());
  CHECK_FALSE(bad->ok);
  CHECK(bad->code == "InvalidArgument");
}

TEST_CASE("national-sim's fault switches: replies dropped after storing, exit after N", "[integration][national]") {
  TempDir dir;
  {
    auto national = StartNational(dir, {"--drop-replies", "100"});
    zmq::context_t context;
    zmq::socket_t socket = Connect(context, national.endpoint, 500);
    CHECK_FALSE(Upload(socket, "u1", Body(1, 2)).ok());  // no answer...
    national.process.Stop(5s);
  }
  CHECK(Query(dir)["stations"]["571001"]["scans"] == 2);  // ...but stored

  auto national = StartNational(dir, {"--exit-after", "1"});
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 5000);
  auto ack = Upload(socket, "u2", Body(10, 1));
  REQUIRE(ack.ok());
  CHECK(national.process.Wait(5s) == 3);
  CHECK(Query(dir)["stations"]["571001"]["scans"] == 3);
}
