// stationd and scanner-dock as real processes on 127.0.0.1: many guns at
// once, re-docks, half-sent files, bad rows, a daemon that is not there yet,
// hostile messages.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "core/iso_time.h"
#include "wire/dock.h"
#include "tests/support/figures.h"
#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::string Spool(const TempDir& dir, const std::string& name) {
  fs::create_directories(dir.Path(name));
  return dir.Path(name);
}

// A DEALER speaking the batch protocol by hand, for what scanner-dock never sends.
class RawClient {
 public:
  explicit RawClient(const std::string& endpoint) : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, 5000);
    socket_.connect(endpoint);
  }
  // Sends `frames` and returns the decoded reply (bounded wait).
  Result<BatchAck> Send(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    zmq::message_t reply;
    if (!socket_.recv(reply)) return Status::Unavailable("no reply within 5 s");
    return DecodeBatchAck(reply.to_string_view());
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

}  // namespace

TEST_CASE("eight guns docking at once land every scan exactly once", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  constexpr int kGuns = 8, kFiles = 5, kRows = 500;
  std::vector<std::string> spools;
  for (int g = 0; g < kGuns; ++g) {
    spools.push_back(Spool(dir, "spool" + std::to_string(g)));
    for (int f = 0; f < kFiles; ++f) {
      GunFileSpec spec{"PDA-" + std::to_string(g), "C" + std::to_string(g), "571001",
                       "20261124-" + std::to_string(f), kRows, static_cast<std::uint64_t>(g * 100 + f)};
      WriteFileAtomically(spools.back() + "/batch-" + std::to_string(f) + ".csv", MakeGunFile(spec));
    }
  }
  std::vector<ChildProcess> docks;
  for (const std::string& spool : spools) {
    docks.push_back(Spawn({DockPath(), "--insecure", "--station", station.endpoint, "--spool", spool, "--once",
                                         "--part-rows", "200", "--log-level", "warn"},
                                        dir.Path("dock.log")));
  }
  for (ChildProcess& dock : docks) CHECK(dock.Wait(60s) == 0);
  const std::int64_t stored = CountScans(dir.Path("data"));
  PrintFigures("[many guns] guns=%d scans sent=%d stored=%lld\n", kGuns, kGuns * kFiles * kRows,
              static_cast<long long>(stored));
  CHECK(stored == kGuns * kFiles * kRows);
  for (const std::string& spool : spools) {
    CHECK(FilesIn(spool, ".csv").empty());
    CHECK(FilesIn(spool + "/done", ".csv").size() == kFiles);
  }
  CHECK(QueryInt(dir.Path("data"), "SELECT count(*) FROM (SELECT DISTINCT device, batch, seq FROM scans_full)") == stored);
}

TEST_CASE("a re-docked gun is acknowledged again and stored once", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  std::string spool = Spool(dir, "spool");
  std::string text = MakeGunFile({"PDA-1", "C1", "571001", "b1", 300, 7});
  WriteFileAtomically(spool + "/b1.csv", text);
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);
  WriteFileAtomically(spool + "/b1.csv", text);  // the gun docks again with the same batch
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);

  CHECK(CountScans(dir.Path("data")) == 300);
  auto first = ReadJson(spool + "/done/b1.csv.ack.json");
  auto second = ReadJson(spool + "/done/b1.csv.2.ack.json");
  CHECK(first["accepted"] == 300);
  CHECK(first["duplicates"] == 0);
  CHECK(second["accepted"] == 0);
  CHECK(second["duplicates"] == 300);
}

TEST_CASE("a file half-sent when the agent is killed is finished by the next run, nothing doubled",
          "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  std::string spool = Spool(dir, "spool");
  constexpr int kRows = 30000;
  WriteFileAtomically(spool + "/big.csv", MakeGunFile({"PDA-2", "C2", "571001", "big", kRows, 9}));
  auto dock = Spawn({DockPath(), "--insecure", "--station", station.endpoint, "--spool", spool, "--part-rows", "100",
                                   "--window", "1", "--log-level", "warn"},
                                  dir.Path("dock.log"));
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (CountScans(dir.Path("data")) < 1000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2ms);
  }
  dock.Kill();
  const std::int64_t before = CountScans(dir.Path("data"));
  PrintFigures("[half-sent] scans stored when the agent was killed: %lld of %d\n", static_cast<long long>(before),
              kRows);
  REQUIRE(before > 0);
  REQUIRE(before < kRows);
  REQUIRE(fs::exists(spool + "/big.csv"));  // not acknowledged whole, so still in the spool

  REQUIRE(DockOnce(station.endpoint, spool, 60s) == 0);
  CHECK(CountScans(dir.Path("data")) == kRows);
  auto ack = ReadJson(spool + "/done/big.csv.ack.json");
  CHECK(ack["accepted"].get<int>() + ack["duplicates"].get<int>() == kRows);
  CHECK(ack["duplicates"].get<int>() >= before);
}

TEST_CASE("a gun pulled out mid-way sends part of its batch first, then the whole", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  std::string spool = Spool(dir, "spool");
  std::string whole = MakeGunFile({"PDA-3", "C3", "571001", "b3", 400, 11});
  // Cut after the 250th row's line break: what a pulled gun leaves.
  std::size_t cut = 0;
  for (int lines = 0; lines < 2 + 250; ++lines) cut = whole.find('\n', cut) + 1;
  WriteFileAtomically(spool + "/b3.csv", whole.substr(0, cut));
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);
  CHECK(CountScans(dir.Path("data")) == 250);
  WriteFileAtomically(spool + "/b3.csv", whole);
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);
  CHECK(CountScans(dir.Path("data")) == 400);
  auto second = ReadJson(spool + "/done/b3.csv.2.ack.json");
  CHECK(second["accepted"] == 150);
  CHECK(second["duplicates"] == 250);
}

TEST_CASE("a batch with 10% bad rows of every kind: good rows stored, each bad row quarantined with its reason",
          "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  std::string spool = Spool(dir, "spool");
  std::string text =
      "# device=PDA-4 courier=C4 station=571001 batch=mixed\n"
      "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  const std::string overlong(600, 'x');
  const char* kinds[] = {"check digit", "unknown type", "bad time", "missing field", "overlong note", "broken quoting"};
  int bad = 0;
  for (int seq = 1; seq <= 1200; ++seq) {
    std::string waybill = WaybillFor(static_cast<std::uint64_t>(seq) * 7919);
    if (seq % 10 != 0) {
      text += std::to_string(seq) + "," + waybill + ",arrival,2026-11-24T07:58:12+08:00,310001,,,,\n";
      continue;
    }
    switch (bad++ % 6) {
      case 0: text += std::to_string(seq) + ",EE123456786CN,arrival,2026-11-24T07:58:12+08:00,,,,,\n"; break;
      case 1: text += std::to_string(seq) + "," + waybill + ",beamed,2026-11-24T07:58:12+08:00,,,,,\n"; break;
      case 2: text += std::to_string(seq) + "," + waybill + ",arrival,24/11/2026 07:58,,,,,\n"; break;
      case 3: text += std::to_string(seq) + "," + waybill + ",problem,2026-11-24T07:58:12+08:00,,,,,\n"; break;
      case 4: text += std::to_string(seq) + "," + waybill + ",signed,2026-11-24T07:58:12+08:00,,,,," + overlong + "\n"; break;
      case 5: text += std::to_string(seq) + "," + waybill + ",signed,2026-11-24T07:58:12+08:00,,,,,\"王\"五\n"; break;
    }
  }
  WriteFileAtomically(spool + "/mixed.csv", text);
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);

  CHECK(CountScans(dir.Path("data")) == 1080);
  auto listing = RunCommand({StationctlPath(), "--data-dir", dir.Path("data"), "quarantine", "--json", "--limit",
                             "1000"},
                            10s);
  REQUIRE(listing.exit_code == 0);
  auto rows = nlohmann::json::parse(listing.out);
  REQUIRE(rows.size() == 120);
  std::map<std::string, int> by_reason;
  for (const auto& row : rows) {
    CHECK(row["device"] == "PDA-4");
    if (row["seq"].get<int>() != 0) CHECK(row["line"].get<int>() == row["seq"].get<int>() + 2);
    else CHECK(row["line"].get<int>() > 2);  // broken quoting: the seq could not be read
    const std::string reason = row["reason"];
    if (reason.find("check digit") != std::string::npos) ++by_reason["check digit"];
    else if (reason.find("unknown scan type") != std::string::npos) ++by_reason["unknown type"];
    else if (reason.find("time") != std::string::npos) ++by_reason["bad time"];
    else if (reason.find("missing field") != std::string::npos) ++by_reason["missing field"];
    else if (reason.find("characters") != std::string::npos) ++by_reason["overlong note"];
    else if (reason.find("quoting") != std::string::npos) ++by_reason["broken quoting"];
  }
  for (const char* kind : kinds) {
    INFO(kind);
    CHECK(by_reason[kind] == 20);
  }
  auto status = RunCommand({StationctlPath(), "--data-dir", dir.Path("data"), "status", "--json"}, 10s);
  REQUIRE(status.exit_code == 0);
  auto s = nlohmann::json::parse(status.out);
  CHECK(s["scans"] == 1080);
  CHECK(s["quarantine"]["invalid"] == 120);
  auto table = RunCommand({StationctlPath(), "--data-dir", dir.Path("data"), "quarantine"}, 10s);
  CHECK_THAT(table.out, Catch::Contains("unknown scan type 'beamed'"));
  // --limit 0 lists them all, as for alerts (it listed nothing before).
  auto all = RunCommand({StationctlPath(), "--data-dir", dir.Path("data"), "quarantine", "--json", "--limit", "0"}, 10s);
  REQUIRE(all.exit_code == 0);
  CHECK(nlohmann::json::parse(all.out).size() == 120);
  auto first = RunCommand({StationctlPath(), "--data-dir", dir.Path("data"), "quarantine", "--json", "--limit", "5"}, 10s);
  REQUIRE(first.exit_code == 0);
  CHECK(nlohmann::json::parse(first.out).size() == 5);
}

TEST_CASE("the agent waits for a stationd that is down and delivers when it comes up", "[integration][dock]") {
  TempDir dir;
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(FreePort());
  std::string spool = Spool(dir, "spool");
  WriteFileAtomically(spool + "/late.csv", MakeGunFile({"PDA-5", "C5", "571001", "late", 700, 5}));
  auto dock = Spawn({DockPath(), "--insecure", "--station", endpoint, "--spool", spool, "--once", "--log-level",
                                   "warn"},
                                  dir.Path("dock.log"));
  std::this_thread::sleep_for(1500ms);
  CHECK(dock.Running());  // still trying, not wedged, not given up
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"), nullptr, endpoint);
  CHECK(dock.Wait(30s) == 0);
  CHECK(CountScans(dir.Path("data")) == 700);
}

TEST_CASE("a batch for another station is refused whole and filed with its reason", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  std::string spool = Spool(dir, "spool");
  WriteFileAtomically(spool + "/wrong.csv", MakeGunFile({"PDA-6", "C6", "310001", "w", 10, 6}));
  WriteFileAtomically(spool + "/right.csv", MakeGunFile({"PDA-6", "C6", "571001", "r", 10, 6}));
  WriteFileAtomically(spool + "/garbage.csv", "this is not a batch file\n");
  CHECK(DockOnce(station.endpoint, spool, 30s) == 1);  // not everything was acknowledged
  CHECK(CountScans(dir.Path("data")) == 10);
  REQUIRE(fs::exists(spool + "/rejected/wrong.csv"));
  std::ifstream why(spool + "/rejected/wrong.csv.why");
  std::string reason((std::istreambuf_iterator<char>(why)), std::istreambuf_iterator<char>());
  CHECK_THAT(reason, Catch::Contains("310001"));
  CHECK(fs::exists(spool + "/rejected/garbage.csv.why"));
  CHECK(fs::exists(spool + "/done/right.csv"));
  // Both refusals are on record at the station, not only in the dock's folder.
  CHECK(QueryInt(dir.Path("data"), "SELECT count(*) FROM quarantine WHERE kind = 'batch'") == 2);
  CHECK(QueryInt(dir.Path("data"), "SELECT count(*) FROM quarantine WHERE raw = 'this is not a batch file'") == 1);
}

TEST_CASE("a part refused whole costs its file nothing else: the other parts are stored", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               {"--max-message-bytes", "65536"});
  std::string spool = Spool(dir, "spool");
  // Row 2 alone is larger than a message may be; the dock sends a row a part.
  const std::string huge(100'000, 'x');
  WriteFileAtomically(spool + "/b.csv",
                      GunFileWith("PDA-7", "20261201-0001",
                                  {WaybillFor(1) + ",arrival,2026-12-01T08:00:00+08:00,,,,,",
                                   WaybillFor(2) + ",arrival,2026-12-01T08:00:00+08:00,,,,," + huge,
                                   WaybillFor(3) + ",arrival,2026-12-01T08:00:00+08:00,,,,,"}));
  auto run = RunCommand({DockPath(), "--insecure", "--station", station.endpoint, "--spool", spool, "--once",
                         "--part-rows", "1", "--log-level", "warn"},
                        30s);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);  // one part refused
  CHECK(CountScans(dir.Path("data")) == 2);
  REQUIRE(fs::exists(spool + "/done/b.csv.ack.json"));
  auto ack = ReadJson(spool + "/done/b.csv.ack.json");
  CHECK(ack["accepted"] == 2);
  REQUIRE(ack["refused_parts"].size() == 1);
  CHECK_THAT(ack["refused_parts"][0].get<std::string>(), Catch::Contains("larger than 65536 bytes"));
  CHECK(QueryInt(dir.Path("data"), "SELECT count(*) FROM quarantine WHERE kind = 'batch'") == 1);
}

TEST_CASE("a REQ client gets its reply too", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  zmq::context_t context;
  zmq::socket_t req(context, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 5000);
  req.connect(station.endpoint);
  const std::string header = EncodeBatchHeader({"req-1", 3});
  const std::string body = MakeGunFile({"PDA-9", "C9", "571001", "r", 15, 9});
  req.send(zmq::buffer(header), zmq::send_flags::sndmore);
  req.send(zmq::buffer(body), zmq::send_flags::none);
  zmq::message_t reply;
  REQUIRE(req.recv(reply));
  auto ack = DecodeBatchAck(reply.to_string_view());
  REQUIRE(ack.ok());
  CHECK(ack->ok);
  CHECK(ack->req == "req-1");
  CHECK(ack->accepted == 15);
}

TEST_CASE("malformed and oversized messages get an error reply and good traffic goes on", "[integration][dock]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  RawClient client(station.endpoint);
  const std::string good_body = MakeGunFile({"PDA-8", "C8", "571001", "g", 20, 8});

  struct Case {
    const char* what;
    std::vector<std::string> frames;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"one frame", {"hello"}, "two frames"},
      {"four frames", {EncodeBatchHeader({"a", 0}), good_body, "x"}, "two frames"},
      {"header not JSON", {"{nope", good_body}, "not valid JSON"},
      {"header deeply nested", {std::string(100000, '['), good_body}, "batch header"},
      {"wrong version", {R"({"type":"batch","v":9,"req":"x"})", good_body}, "\"v\""},
      {"body too large", {EncodeBatchHeader({"big", 0}), std::string(5u << 20, 'x')}, "larger than"},
      {"body not a batch", {EncodeBatchHeader({"junk", 0}), "\x01\x02\xff"}, "comment line"},
      {"two million rows", {EncodeBatchHeader({"rows", 0}), good_body.substr(0, good_body.find('\n', good_body.find('\n') + 1) + 1) + [] {
         std::string lines;
         for (int i = 0; i < 2000000; ++i) lines += "x\n";
         return lines;
       }()},
       "more than 50000 rows"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    auto reply = client.Send(c.frames);
    REQUIRE(reply.ok());
    CHECK_FALSE(reply->ok);
    CHECK(reply->code == "InvalidArgument");
    CHECK_THAT(reply->error, Catch::Contains(c.expect));
  }
  {
    // Past twice the limit the frame is cut off with the connection (libzmq
    // MAXMSGSIZE); no reply, and no harm to anyone else.
    RawClient hostile(station.endpoint);
    auto none = hostile.Send({EncodeBatchHeader({"huge", 0}), std::string(12u << 20, 'x')});
    CHECK_FALSE(none.ok());
  }
  // Issue: a station name where the code belongs, and bytes that are not
  // UTF-8, once crashed stationd while it encoded the reasons.
  auto odd = client.Send({EncodeBatchHeader({"odd", 3}),
                          "# device=PDA-8 courier=C8 station=571001 batch=odd\n"
                          "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n"
                          "1,ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,杭州转运中心下沙,,,,\n"
                          "2,ZT7730012345678,signed,2026-11-24T07:58:12+08:00,,,,,\xff\xfe\n"
                          "3,ZT7730012345679,arrival,2026-11-24T07:58:12+08:00,310001,,,,\n"});
  REQUIRE(odd.ok());
  CHECK(odd->ok);
  CHECK(odd->accepted == 1);
  CHECK(odd->rejected.size() == 2);
  auto listing = RunCommand({StationctlPath(), "--data-dir", dir.Path("data"), "quarantine", "--json"}, 10s);
  CHECK(listing.exit_code == 0);
  CHECK(nlohmann::json::parse(listing.out).size() >= 2);
  auto good = client.Send({EncodeBatchHeader({"good", 3}), good_body});
  REQUIRE(good.ok());
  CHECK(good->ok);
  CHECK(good->req == "good");
  CHECK(good->accepted == 20);
  CHECK(CountScans(dir.Path("data")) == 21);  // the good batch and the odd one's good row
}

TEST_CASE("issue 6: scans from a gun clock off are stored and flagged and an over-long field is quarantined by name",
          "[integration][dock][limits]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"));
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::int64_t day = 86'400'000;
  std::string long_note;
  for (int i = 0; i < 501; ++i) long_note += "签";
  const std::string text = GunFileWith(
      "PDA-61", "clock-1",
      {WaybillFor(1) + ",arrival," + FormatIsoInstant(now - 3'600'000) + ",310001,,,,",              // line 3
       WaybillFor(2) + ",arrival," + FormatIsoInstant(now + day) + ",310001,,,,",                    // 4: a day ahead
       WaybillFor(3) + ",arrival," + FormatIsoInstant(now - 400 * day) + ",310001,,,,",              // 5: 400 days behind
       WaybillFor(4) + ",signed," + FormatIsoInstant(now - 1'800'000) + ",,,,," + long_note,          // 6: note
       WaybillFor(5) + ",out_for_delivery," + FormatIsoInstant(now - 1'800'000) + ",,,,,",           // 7
       std::string(40, '7') + ",arrival," + FormatIsoInstant(now - 1'800'000) + ",310001,,,,",       // 8: waybill
       WaybillFor(6) + ",signed," + FormatIsoInstant(now - 600'000) + ",,,,,王五"});                 // 9
  REQUIRE(DockText(station.endpoint, dir.Path("spool"), "clock", text) == 0);

  // Every good row is stored, the clock-off ones too; only the two bad rows are not.
  CHECK(CountScans(dir.Path("data")) == 5);
  CHECK(CountScans(dir.Path("data"), "clock_flag = 'future' AND waybill = '" + WaybillFor(2) + "'") == 1);
  CHECK(CountScans(dir.Path("data"), "clock_flag = 'past' AND waybill = '" + WaybillFor(3) + "'") == 1);
  CHECK(CountScans(dir.Path("data"), "clock_flag IS NULL") == 3);

  auto status = RunStationctl(dir.Path("data"), {"status", "--json"});
  REQUIRE(status.exit_code == 0);
  auto s = nlohmann::json::parse(status.out);
  CHECK(s["scans"] == 5);
  CHECK(s["clock_flagged"]["future"] == 1);
  CHECK(s["clock_flagged"]["past"] == 1);
  CHECK(s["quarantine"]["invalid"] == 2);
  auto table = RunStationctl(dir.Path("data"), {"status"});
  CHECK_THAT(table.out, Catch::Contains("Scans with a gun clock off: 1 future, 1 past"));

  auto ahead = RunStationctl(dir.Path("data"), {"scans", WaybillFor(2), "--json"});
  REQUIRE(ahead.exit_code == 0);
  auto a = nlohmann::json::parse(ahead.out);
  REQUIRE(a["scans"].size() == 1);
  CHECK(a["scans"][0]["clock_flag"] == "future");
  auto on_time = nlohmann::json::parse(RunStationctl(dir.Path("data"), {"scans", WaybillFor(1), "--json"}).out);
  REQUIRE(on_time["scans"].size() == 1);
  CHECK(on_time["scans"][0]["clock_flag"].is_null());
  CHECK_THAT(RunStationctl(dir.Path("data"), {"scans", WaybillFor(3)}).out, Catch::Contains("[clock off: past]"));

  auto quarantine = RunStationctl(dir.Path("data"), {"quarantine", "--json"});
  REQUIRE(quarantine.exit_code == 0);
  std::map<int, std::string> reasons;
  for (const auto& row : nlohmann::json::parse(quarantine.out)) reasons[row["line"].get<int>()] = row["reason"];
  REQUIRE(reasons.size() == 2);
  CHECK(reasons[6] == "note too long: 501 characters, at most 500 allowed");
  CHECK(reasons[8] == "waybill too long: 40 bytes, at most 32 allowed");

  station.process.Signal(SIGTERM);
  REQUIRE(station.process.Wait(5s) == 0);
  std::ifstream log_file(dir.Path("stationd.log"));
  std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  CHECK_THAT(log, Catch::Contains("scans with a gun clock off, stored and flagged: device=PDA-61 batch=clock-1 "
                                  "future=1 past=1"));
}
