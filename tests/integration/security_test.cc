// Security with real processes on 127.0.0.1 (issue 6; RELIABILITY.md T9,
// T10, T11, T16): stationd, national-sim and scanner-dock as shipped, with
// CURVE keys made and enrolled through stationctl keys, and raw clients
// where a test needs to behave badly.

#include <sys/stat.h>

#include <csignal>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "wire/upload.h"
#include "wire/national.h"
#include "wire/dock.h"
#include "security/key_file.h"
#include "security/link_security.h"
#include "tests/support/figures.h"
#include "tests/support/gun_files.h"
#include "tests/support/gun_keys.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/text_file.h"
#include "tests/support/wait.h"

namespace station::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// scanner-dock --once with the gun's key against a secure stationd.
RunResult DockAs(const std::string& endpoint, const std::string& station_data, const GunKeys& gun,
                 const std::string& spool) {
  return RunCommand({DockPath(), "--station", endpoint, "--station-key", station_data + "/keys/station.key", "--key",
                     gun.secret_file, "--spool", spool, "--once", "--give-up-s", "20", "--log-level", "warn"},
                    40s);
}

void PutFile(const std::string& spool, const std::string& name, const std::string& text) {
  std::filesystem::create_directories(spool);
  WriteFileAtomically(spool + "/" + name + ".csv", text);
}

}  // namespace

TEST_CASE("an unenrolled gun is refused, an enrolled one docks, a revoked one is cut off and refused (T9 T11)",
          "[integration][security]") {
  TempDir dir;
  const std::string data = dir.Path("data"), log = dir.Path("stationd.log");
  auto station = StartStationd(data, "571001", log, nullptr, "tcp://127.0.0.1:*", {kSecure});
  REQUIRE(std::filesystem::exists(data + "/keys/station.key"));
  const GunKeys g1 = CreateGunKeys(dir.Path("guns"), "PDA-0001");
  const GunKeys g2 = CreateGunKeys(dir.Path("guns"), "PDA-0002");
  const std::size_t log_before = LogLength(log);
  Enroll(data, g1.public_file, "gun", "PDA-0001");
  REQUIRE(WaitForKeysInForce(log, log_before, 1));

  // T9 (a): a key nobody enrolled. The dock says so and keeps its file.
  PutFile(dir.Path("spool2"), "b1", ThreeScans("PDA-0002", "20261201-0001", 100));
  auto refused = DockAs(station.endpoint, data, g2, dir.Path("spool2"));
  CHECK(refused.exit_code == 3);
  CHECK_THAT(refused.err, Catch::Contains("refused this gun"));
  CHECK(FilesIn(dir.Path("spool2"), ".csv").size() == 1);
  CHECK(CountScans(data) == 0);
  CHECK(LogHas(log, "is not enrolled"));

  // The enrolled gun docks.
  PutFile(dir.Path("spool1"), "b1", ThreeScans("PDA-0001", "20261201-0001", 200));
  auto docked = DockAs(station.endpoint, data, g1, dir.Path("spool1"));
  INFO(docked.err);
  CHECK(docked.exit_code == 0);
  CHECK(CountScans(data, "device = 'PDA-0001'") == 3);

  // T11: a dock that stays connected; its key is revoked under it.
  const std::string live_spool = dir.Path("spool-live"), dock_log = dir.Path("dock-live.log");
  PutFile(live_spool, "b2", ThreeScans("PDA-0001", "20261201-0002", 300));
  auto live = Spawn({DockPath(), "--station", station.endpoint, "--station-key", data + "/keys/station.key", "--key",
                     g1.secret_file, "--spool", live_spool, "--log-level", "info"},
                    dock_log);
  REQUIRE(WaitFor([&] { return CountScans(data) == 6; }, 15s));
  auto revoke = RunStationctl(data, {"keys", "revoke", "PDA-0001", "--by", "it-admin"});
  const auto revoked_at = SteadyClock::now();  // the revocation is in keys.db
  INFO(revoke.err);
  REQUIRE(revoke.exit_code == 0);
  const bool closed = WaitFor([&] { return LogHas(log, "closed 1 connection(s) of gun PDA-0001"); }, 10s);
  INFO("stationd's log:\n" << ReadText(log) << "\ndock's log:\n" << ReadText(dock_log));
  CHECK(closed);
  const auto closed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - revoked_at).count();
  CHECK(closed_ms < 2000);  // docs/operations.md: within 2 s
  // The dock reconnects at once and meets ZAP's 400.
  CHECK(WaitFor([&] { return LogHas(dock_log, "refused this gun's key (ZAP 400)"); }, 10s));
  PutFile(live_spool, "b3", ThreeScans("PDA-0001", "20261201-0003", 400));
  std::this_thread::sleep_for(2s);
  CHECK(CountScans(data) == 6);
  CHECK(FilesIn(live_spool, ".csv") == std::vector<std::string>{"b3.csv"});
  live.Signal(SIGTERM);
  CHECK(live.Wait(5s) != ChildProcess::kTimedOut);
  PrintFigures("[T11] revoked gun's open connection closed %lld ms after stationctl keys revoke\n",
               static_cast<long long>(closed_ms));

  auto listed = RunStationctl(data, {"keys", "list", "--json"});
  REQUIRE(listed.exit_code == 0);
  auto keys = nlohmann::json::parse(listed.out)["keys"];
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["name"] == "PDA-0001");
  CHECK(keys[0]["state"] == "revoked");
  CHECK(keys[0]["revoked_by"] == "it-admin");
  // A revoked key is never taken back; a new pair for the same gun is.
  auto again = RunStationctl(data, {"keys", "enroll", g1.public_file, "--gun", "PDA-0001"});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, Catch::Contains("revoked"));
  const GunKeys renewed = CreateGunKeys(dir.Path("guns-new"), "PDA-0001");
  const std::size_t log_renewed = LogLength(log);
  Enroll(data, renewed.public_file, "gun", "PDA-0001");
  REQUIRE(WaitForKeysInForce(log, log_renewed, 1));
  auto resent = DockAs(station.endpoint, data, renewed, live_spool);
  INFO(resent.err);
  CHECK(resent.exit_code == 0);
  CHECK(CountScans(data) == 9);
}

TEST_CASE("a gun sending another gun's batch is refused and logged, the file stays in its spool (T10)",
          "[integration][security]") {
  TempDir dir;
  const std::string data = dir.Path("data"), log = dir.Path("stationd.log");
  auto station = StartStationd(data, "571001", log, nullptr, "tcp://127.0.0.1:*", {kSecure});
  const GunKeys g1 = CreateGunKeys(dir.Path("guns"), "PDA-0001");
  const std::size_t log_before = LogLength(log);
  Enroll(data, g1.public_file, "gun", "PDA-0001");
  REQUIRE(WaitForKeysInForce(log, log_before, 1));
  PutFile(dir.Path("spool"), "stolen", ThreeScans("PDA-0009", "20261201-0001", 500));
  auto r = DockAs(station.endpoint, data, g1, dir.Path("spool"));
  CHECK(r.exit_code == 3);
  CHECK(CountScans(data) == 0);
  CHECK(FilesIn(dir.Path("spool"), ".csv").size() == 1);
  CHECK(LogHas(log, "security: gun PDA-0001 sent a batch claiming device PDA-0009; refused"));
  // The clerk sees the refusal in quarantine, with the file's first line.
  auto q = RunStationctl(data, {"quarantine", "--json"});
  REQUIRE(q.exit_code == 0);
  CHECK_THAT(q.out, Catch::Contains("a gun may send only its own batches"));
  CHECK(QueryInt(data, "SELECT count(*) FROM quarantine WHERE kind = 'batch' AND device = 'PDA-0001'") == 1);
}

TEST_CASE("a client without CURVE, or with a key nobody enrolled, gets nothing in (T9 a b)",
          "[integration][security]") {
  TempDir dir;
  const std::string data = dir.Path("data"), log = dir.Path("stationd.log");
  auto station = StartStationd(data, "571001", log, nullptr, "tcp://127.0.0.1:*", {kSecure});
  const std::string body = ThreeScans("PDA-0001", "20261201-0001", 600);
  const std::string header = EncodeBatchHeader({"r1", 0});
  zmq::context_t context(1);

  // (b) the NULL mechanism: no handshake with a CURVE server, no reply.
  zmq::socket_t plain(context, zmq::socket_type::dealer);
  plain.set(zmq::sockopt::linger, 0);
  plain.connect(station.endpoint);
  plain.send(zmq::buffer(header), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  plain.send(zmq::buffer(body), zmq::send_flags::dontwait);
  zmq::pollitem_t item{plain.handle(), 0, ZMQ_POLLIN, 0};
  CHECK(zmq::poll(&item, 1, 1500ms) == 0);

  // (a) a CURVE client with the right server key and a stranger's key:
  // ZAP answers 400 and the client's monitor says so.
  auto server_key = security::ReadPublicKey(data + "/keys/station.key");
  REQUIRE(server_key.ok());
  auto stranger = security::NewCurveKeyPair();
  REQUIRE(stranger.ok());
  zmq::socket_t curve(context, zmq::socket_type::dealer);
  curve.set(zmq::sockopt::linger, 0);
  security::ApplyClientSecurity(curve, {true, *server_key, *stranger});
  REQUIRE(zmq_socket_monitor(curve.handle(), "inproc://t9-monitor", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0);
  zmq::socket_t monitor(context, zmq::socket_type::pair);
  monitor.set(zmq::sockopt::linger, 0);
  monitor.connect("inproc://t9-monitor");
  curve.connect(station.endpoint);
  curve.send(zmq::buffer(header), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  curve.send(zmq::buffer(body), zmq::send_flags::dontwait);
  zmq::pollitem_t watch{monitor.handle(), 0, ZMQ_POLLIN, 0};
  REQUIRE(zmq::poll(&watch, 1, 5000ms) == 1);
  zmq::message_t event;
  REQUIRE(monitor.recv(event));
  std::uint16_t id = 0;
  std::uint32_t value = 0;
  std::memcpy(&id, event.data(), sizeof id);
  std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof value);
  CHECK(id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  CHECK(value == 400);
  zmq::pollitem_t reply{curve.handle(), 0, ZMQ_POLLIN, 0};
  CHECK(zmq::poll(&reply, 1, 500ms) == 0);
  CHECK(CountScans(data) == 0);
  CHECK(LogHas(log, "is not enrolled"));
  // libzmq drops both silently; stationd's log says they happened.
  CHECK(WaitFor([&] { return LogHas(log, "failed handshake(s) on the dock port"); }, 5s));
  CHECK(station.process.Running());
}

namespace {

// One request to national as the holder of `own`, and its reply header.
nlohmann::json AskNational(zmq::context_t& context, const std::string& endpoint, const std::string& national_key,
                           const security::CurveKeyPair& own, const std::string& header, const std::string* body) {
  zmq::socket_t s(context, zmq::socket_type::dealer);
  s.set(zmq::sockopt::linger, 0);
  security::ApplyClientSecurity(s, {true, national_key, own});
  s.connect(endpoint);
  s.send(zmq::buffer(header), body ? zmq::send_flags::sndmore : zmq::send_flags::none);
  if (body) s.send(zmq::buffer(*body), zmq::send_flags::none);
  zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, 5000ms) != 1) return nlohmann::json{{"timeout", true}};
  zmq::message_t reply;
  (void)s.recv(reply);
  return nlohmann::json::parse(reply.to_string_view(), nullptr, false);
}

}  // namespace

TEST_CASE("at national a station speaks only as itself, and a revoked station is cut off (T10 T11)",
          "[integration][security]") {
  TempDir dir;
  const std::string nat = dir.Path("national"), nat_log = dir.Path("national.log");
  const std::string data = dir.Path("hz"), log = dir.Path("stationd.log");
  auto national = StartNational(nat, nat_log, "tcp://127.0.0.1:*", {kSecure});
  REQUIRE(national.public_key.size() == 40);
  auto station = StartStationd(data, "571001", log, nullptr, "tcp://127.0.0.1:*",
                               {kSecure, "--national", national.endpoint, "--national-key", nat + "/keys/national.key",
                                "--national-heartbeat-ms", "200"});
  // Not yet enrolled at national: the clerk's status says why nothing goes up.
  CHECK(WaitFor(
      [&] {
        auto r = RunStationctl(data, {"status", "--json"});
        return r.out.find("national refused this station's key") != std::string::npos;
      },
      10s));
  Enroll(nat, data + "/keys/station.key", "station", "571001");
  const GunKeys gun = CreateGunKeys(dir.Path("guns"), "PDA-0001");
  const std::size_t log_before = LogLength(log);
  Enroll(data, gun.public_file, "gun", "PDA-0001");
  REQUIRE(WaitForKeysInForce(log, log_before, 1));
  PutFile(dir.Path("spool"), "b1", ThreeScans("PDA-0001", "20261201-0001", 700));
  REQUIRE(DockAs(station.endpoint, data, gun, dir.Path("spool")).exit_code == 0);
  // The station retries with a fresh socket (backing off from 2 s) and uploads.
  auto held_at_national = [&] {
    auto r = RunCommand({NationalSimPath(), "query", "--data-dir", nat, "--json"}, 10s);
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return !j.is_discarded() && j["stations"].contains("571001") ? j["stations"]["571001"]["scans"].get<int>() : 0;
  };
  CHECK(WaitFor([&] { return held_at_national() == 3; }, 20s));

  // Station 571001's own key, used to claim to be 310001.
  auto own = security::ReadSecretKeyFile(data + "/keys/station.key_secret");
  REQUIRE(own.ok());
  zmq::context_t context(1);
  std::string body = kUploadColumns;
  body += "\n";
  UploadedScan scan;
  scan.id = 1;
  scan.device = "PDA-7";
  scan.batch = "20261201-0001";
  scan.seq = 1;
  scan.waybill = WaybillFor(800);
  scan.type = "arrival";
  scan.time = "2026-12-01T08:00:00+08:00";
  scan.received_ms = 1;
  AppendUploadRow(body, scan);
  auto upload = AskNational(context, national.endpoint, national.public_key, *own,
                            EncodeUploadHeader({"u1", "310001"}), &body);
  CHECK(upload["ok"] == false);
  CHECK(upload["code"] == "PermissionDenied");
  CHECK_THAT(upload.value("error", ""), Catch::Contains("this connection is station 571001"));
  PostRequest post;
  post.req = "p1";
  post.station = "310001";
  post.to = "571001";
  post.msg_id = "forged-1";
  post.kind = "problem_alert";
  const std::string post_body = "{}";
  auto posted = AskNational(context, national.endpoint, national.public_key, *own, EncodePostRequest(post), &post_body);
  CHECK(posted["code"] == "PermissionDenied");
  SyncRequest sync;
  sync.req = "s1";
  sync.station = "310001";  // reading another station's mail
  auto synced = AskNational(context, national.endpoint, national.public_key, *own, EncodeSyncRequest(sync), nullptr);
  CHECK(synced["code"] == "PermissionDenied");
  CHECK(LogHas(nat_log, "security: station 571001 sent a upload claiming to be station 310001; refused"));
  CHECK(LogHas(nat_log, "security: station 571001 sent a post claiming to be station 310001; refused"));
  CHECK(held_at_national() == 3);
  // Speaking as itself works on the same key.
  sync.station = "571001";
  auto own_sync = AskNational(context, national.endpoint, national.public_key, *own, EncodeSyncRequest(sync), nullptr);
  CHECK(own_sync["ok"] == true);

  // T11 at national: revoking the station closes its live link.
  auto revoke = RunStationctl(nat, {"keys", "revoke", "571001"});
  REQUIRE(revoke.exit_code == 0);
  CHECK(WaitFor([&] { return LogHas(nat_log, "closed 1 connection(s) of station 571001"); }, 10s));
  CHECK(WaitFor(
      [&] {
        auto r = RunStationctl(data, {"status", "--json"});
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        return !j.is_discarded() && j["national"].value("link_up", true) == false;
      },
      15s));
  CHECK(national.process.Running());
  CHECK(station.process.Running());
}

TEST_CASE("startup guards: a readable secret key, a forced synchronous, a non-loopback --insecure are refused (T16)",
          "[integration][security]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  {
    auto first = StartStationd(data, "571001", dir.Path("first.log"), nullptr, "tcp://127.0.0.1:*", {kSecure});
    first.process.Signal(SIGTERM);
    REQUIRE(first.process.Wait(5s) == 0);
  }
  REQUIRE(::chmod((data + "/keys/station.key_secret").c_str(), 0644) == 0);
  auto loose = RunCommand({StationdPath(), "--station", "571001", "--data-dir", data, "--ingest", "tcp://127.0.0.1:*"},
                          10s);
  CHECK(loose.exit_code == 1);
  CHECK_THAT(loose.err, Catch::Contains("station.key_secret") && Catch::Contains("readable by group or others"));
  // A station that ran before and lost its secret key does not make a new one quietly.
  std::filesystem::rename(data + "/keys/station.key_secret", data + "/keys/station.key_secret.bak");
  auto lost = RunCommand({StationdPath(), "--station", "571001", "--data-dir", data, "--ingest", "tcp://127.0.0.1:*"},
                         10s);
  CHECK(lost.exit_code == 1);
  CHECK_THAT(lost.err, Catch::Contains("is missing, but this station has run before"));
  CHECK_FALSE(std::filesystem::exists(data + "/keys/station.key_secret"));

  const GunKeys gun = CreateGunKeys(dir.Path("guns"), "PDA-0001");
  REQUIRE(::chmod(gun.secret_file.c_str(), 0604) == 0);
  auto dock = RunCommand({DockPath(), "--station", "tcp://127.0.0.1:1", "--station-key", data + "/keys/station.key",
                          "--key", gun.secret_file, "--spool", dir.Path("spool"), "--once"},
                         10s);
  CHECK(dock.exit_code == 2);
  CHECK_THAT(dock.err, Catch::Contains("readable by group or others"));
  auto keyless = RunCommand({DockPath(), "--station", "tcp://127.0.0.1:1", "--spool", dir.Path("spool"), "--once"},
                            10s);
  CHECK(keyless.exit_code == 2);
  CHECK_THAT(keyless.err, Catch::Contains("--station-key and --key are required"));

  const std::string nat = dir.Path("national");
  {
    auto n = StartNational(nat, dir.Path("national.log"), "tcp://127.0.0.1:*", {kSecure});
    n.process.Signal(SIGTERM);
    REQUIRE(n.process.Wait(5s) == 0);
  }
  REQUIRE(::chmod((nat + "/keys/national.key_secret").c_str(), 0640) == 0);
  auto nat_loose = RunCommand({NationalSimPath(), "--listen", "tcp://127.0.0.1:*", "--data-dir", nat}, 10s);
  CHECK(nat_loose.exit_code == 1);
  CHECK_THAT(nat_loose.err, Catch::Contains("readable by group or others"));

  {
    std::ofstream conf(dir.Path("stationd.conf"));
    conf << "station = 571001\ndata-dir = " << dir.Path("data2") << "\nsynchronous = NORMAL\n";
  }
  auto forced = RunCommand({StationdPath(), "--config", dir.Path("stationd.conf")}, 10s);
  CHECK(forced.exit_code == 2);
  CHECK_THAT(forced.err, Catch::Contains("synchronous"));

  const std::vector<std::vector<std::string>> refused = {
      {"--insecure", "--ingest", "tcp://0.0.0.0:7701"},
      {"--insecure", "--national", "tcp://10.1.2.3:7800"},
      {"--national", "tcp://127.0.0.1:7800"},  // no --national-key
      {"--control", "tcp://127.0.0.1:7702"},
  };
  for (const auto& flags : refused) {
    std::vector<std::string> argv{StationdPath(), "--station", "571001", "--data-dir", dir.Path("data3")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = RunCommand(argv, 10s);
    INFO(flags.front() << " ... " << flags.back() << " -> " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--insecure allows only") || Catch::Contains("--national-key") ||
                          Catch::Contains("must be ipc://"));
  }
}

}  // namespace station::test
