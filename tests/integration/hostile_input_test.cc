// RELIABILITY.md T12, hostile input, with real processes on 127.0.0.1
// against a secure stationd (CURVE, keys enrolled in keys.db). An enrolled
// gun sends what scanner-dock never would, someone without a key sprays raw
// bytes at the CURVE port, and an honest gun docks all the while.
//
// What T12 asks and how this test holds it:
// - no crash or hang: stationd runs to the end and answers the clerk;
// - every hostile message libzmq delivers is answered with a refusal that
//   names what was wrong, within 50 ms, measured per message from its
//   first frame sent to its reply. Asserted: the p99 over every reply of
//   at least kMinRounds rounds (over 100 replies), so that one reply kept
//   waiting for a CPU by the rest of a shared 2-core machine does not
//   fail it, while a kind of message stationd is slow to answer, sent
//   every round, does; and every single reply within 4x the bound, to
//   catch a stall. Under ASan at -O0 the bound is 10x;
//   on a machine so loaded that the honest gun's own p99 before the attack
//   is over 12.5 ms, the bound is 4x that p99 instead (printed);
//   STATION_T12_REPLY_BOUND_MS sets it for a slower machine. The one
//   message of 8 MiB is bounded by 1 s (10 s under ASan) instead: its time
//   is that of moving 8 MiB through CURVE, not of stationd's answer;
// - a frame past ZMQ_MAXMSGSIZE costs its connection, no reply (V9), and
//   the gun's next message, once reconnected, is answered;
// - the honest gun's files are stored, every row exactly once;
// - stationd's memory grows by less than 50 MB.
// - the honest gun's dock-to-ack p99 (kHonestBatches batches, one at a
//   time) during the attack is within 2x its p99 without the attack,
//   measured in the same run, against the same stationd: half of the
//   baseline before the attack, with scanner-dock beside it as during
//   the attack, half after it, so that a change in the load of the
//   machine over the run weighs on both figures alike. The baseline's p99 counts as at
//   least 2 ms (10 ms under ASan), so that a 0.3 ms baseline does not
//   make 0.7 ms a failure.

#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "scanner/batch_file.h"
#include "core/iso_time.h"
#include "wire/dock.h"
#include "security/key_file.h"
#include "security/link_security.h"
#include "tests/integration/hostile_clients.h"
#include "tests/support/child_process.h"
#include "tests/support/figures.h"
#include "tests/support/asan.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// stationd's memory growth bound of T12. AddressSanitizer keeps freed
// memory in quarantine (256 MB by default) and adds shadow memory, so an
// instrumented stationd grows by far more for the same work: the bound is
// the real build's, with room for ASan when it is on (as uplink_test.cc).
constexpr long kMaxRssGrowthKb = (kUnderAsan ? 400 : 50) * 1024;

namespace {

constexpr std::size_t kMaxMessageBytes = 128 * 1024;  // stationd --max-message-bytes
// ingest_server.cc: ZMQ_MAXMSGSIZE is twice the body limit and 64 KiB.
constexpr std::size_t kMaxMsgSize = 2 * kMaxMessageBytes + 64 * 1024;
int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// T12's 50 ms (see the top of the file), and for the 8 MiB message.
const double kReplyBoundMs = EnvInt("STATION_T12_REPLY_BOUND_MS", kUnderAsan ? 500 : 50);
const double kBulkReplyBoundMs = kUnderAsan ? 10000 : 1000;
constexpr std::size_t kBulkBytes = 1 << 20;  // a message this large is "bulk"
// The honest gun's measured batches, in each phase, and the floor of its baseline p99.
constexpr int kHonestBatches = 300, kHonestRows = 20;
constexpr double kBaselineFloorMs = kUnderAsan ? 10 : 2;
const char* const kStation = "571001";

double MsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

std::int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int PortOf(const std::string& endpoint) { return std::atoi(endpoint.substr(endpoint.rfind(':') + 1).c_str()); }

// A gun key pair made and enrolled the clerk's way, with stationctl.
struct GunKey {
  std::string public_file;
  std::string secret_file;
};

GunKey CreateAndEnroll(const std::string& data_dir, const std::string& key_dir, const std::string& gun) {
  fs::create_directories(key_dir);
  auto created = RunCommand({StationctlPath(), "keys", "create", gun, "--out", key_dir}, 20s);
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  GunKey key{key_dir + "/" + gun + ".key", key_dir + "/" + gun + ".key_secret"};
  auto enrolled = RunStationctl(data_dir, {"keys", "enroll", key.public_file, "--gun", gun});
  INFO(enrolled.err);
  REQUIRE(enrolled.exit_code == 0);
  return key;
}


std::string Preamble(const std::string& device, const std::string& batch, const std::string& courier = "C9001") {
  return "# device=" + device + " courier=" + courier + " station=571001 batch=" + batch +
         "\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
}

// One row "seq,waybill,arrival,TIME,310001,,,," for a waybill number.
std::string ArrivalRow(int seq, std::uint64_t waybill, std::int64_t time_ms) {
  return std::to_string(seq) + "," + WaybillFor(waybill) + ",arrival," + FormatIsoInstant(time_ms) + ",310001,,,,\n";
}

// A hostile message, and what its reply must say. The list is sent over
// and over while the honest gun docks; `round` counts from 0.
struct Hostile {
  std::string what;
  std::vector<std::string> frames;
  std::function<void(const BatchAck&, int round)> check;
};

// The reply refuses the message whole with `code`, naming `expect`.
std::function<void(const BatchAck&, int)> Refused(const std::string& code, const std::string& expect) {
  return [code, expect](const BatchAck& ack, int) {
    CHECK_FALSE(ack.ok);
    CHECK(ack.code == code);
    CHECK_THAT(ack.error, Catch::Contains(expect));
  };
}

std::string Describe(const HostileGun::Reply& reply) {
  if (!reply.answered) return "NO REPLY";
  if (!reply.ack.ok()) return "unreadable reply: " + reply.ack.status().ToString();
  const BatchAck& ack = *reply.ack;
  if (!ack.ok) return ack.code + ": " + ack.error.substr(0, 70);
  return "ok accepted=" + std::to_string(ack.accepted) + " duplicates=" + std::to_string(ack.duplicates) +
         " rejected=" + std::to_string(ack.rejected.size()) + " conflicts=" + std::to_string(ack.conflicts.size());
}

// The honest gun's batches of one phase, one at a time, each timed from its
// first frame sent to its ack; `failed` counts those not acknowledged whole.
struct HonestRun {
  std::vector<double> ms;
  int failed = 0;
};

HonestRun SendHonest(HostileGun& gun, const std::string& phase, std::uint64_t first_waybill, int batches,
                     HonestRun run = {}) {
  for (int b = 0; b < batches; ++b) {
    std::string body = Preamble("PDA-HONEST", phase + "-" + std::to_string(b));
    for (int r = 0; r < kHonestRows; ++r) {
      body += ArrivalRow(r + 1, first_waybill + static_cast<std::uint64_t>(b * kHonestRows + r), NowUnixMs() - 60'000);
    }
    auto reply = gun.Send({EncodeBatchHeader({phase + "-" + std::to_string(b), 0}), body}, 10s);
    if (!reply.answered || !reply.ack.ok() || !reply.ack->ok || reply.ack->accepted != kHonestRows) {
      ++run.failed;
      continue;
    }
    run.ms.push_back(reply.ms);
  }
  return run;
}

double P99(std::vector<double> ms) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  return ms[static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(ms.size()))) - 1];
}

std::size_t BytesOf(const std::vector<std::string>& frames) {
  std::size_t n = 0;
  for (const std::string& f : frames) n += f.size();
  return n;
}

}  // namespace

TEST_CASE("T12: hostile input to a secure stationd is refused in time while an honest gun docks",
          "[integration][security][hostile][timing]") {
  TempDir dir;
  const std::string data = dir.Path("data");
  const std::string guns = dir.Path("gun-keys");
  fs::create_directories(data);
  // Both keys are enrolled before stationd starts, so it lets them in at once.
  const GunKey hostile_key = CreateAndEnroll(data, guns, "PDA-HOSTILE");
  const GunKey legit_key = CreateAndEnroll(data, guns, "PDA-LEGIT");
  const GunKey honest_key = CreateAndEnroll(data, guns, "PDA-HONEST");

  auto station = StartStationd(data, kStation, dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               {kSecure, "--max-message-bytes", std::to_string(kMaxMessageBytes)});
  const std::string station_key = data + "/keys/station.key";
  REQUIRE(fs::exists(station_key));
  const pid_t pid = station.process.pid();
  const long rss_start_kb = RssKb(pid);
  REQUIRE(rss_start_kb > 0);
  RssSampler rss(pid);

  // What the hostile gun sends, built before the clock starts.
  const std::int64_t now = NowUnixMs();
  const std::int64_t day = 86'400'000;
  const std::string good_rows = ArrivalRow(1, 900001, now - 60'000);
  std::vector<std::string> many_frames(10'000, "x");
  many_frames[0] = EncodeBatchHeader({"ten-thousand-frames", 0});
  std::vector<std::string> small_frames(2048, std::string(4096, 's'));  // 8 MiB
  small_frames[0] = EncodeBatchHeader({"eight-mib-small-frames", 0});
  std::string rows_past_limit = Preamble("PDA-HOSTILE", "rows");
  rows_past_limit.reserve(rows_past_limit.size() + 2 * (kMaxBatchRows + 1));
  for (std::size_t i = 0; i <= kMaxBatchRows; ++i) rows_past_limit += "x\n";
  REQUIRE(rows_past_limit.size() < kMaxMessageBytes);  // the row limit must refuse it, not the body limit
  const std::string dup_first = Preamble("PDA-HOSTILE", "dup-1") + ArrivalRow(1, 910001, now - 60'000) +
                                ArrivalRow(2, 910002, now - 60'000) + ArrivalRow(3, 910003, now - 60'000);
  const std::string dup_other = Preamble("PDA-HOSTILE", "dup-1") + ArrivalRow(1, 920001, now - 60'000) +
                                ArrivalRow(2, 920002, now - 60'000) + ArrivalRow(3, 920003, now - 60'000);
  // A note that is not UTF-8, and a waybill with a broken sequence in it.
  const std::string bad_utf8_rows = Preamble("PDA-HOSTILE", "u4") + "1," + WaybillFor(930001) + ",signed," +
                                    FormatIsoInstant(now - 60'000) + ",,,,,\xff\xfe\n" + "2,ZT77\xc3\x28" +
                                    "30012345,arrival," + FormatIsoInstant(now - 60'000) + ",310001,,,,\n";
  const std::vector<Hostile> hostile = {
      {"10,000-frame multipart", many_frames, Refused("InvalidArgument", "two frames")},
      {"8 MiB in 2,048 frames of 4 KiB", small_frames, Refused("InvalidArgument", "two frames")},
      {"header JSON nested 100,000 deep",
       {std::string(100'000, '[') + std::string(100'000, ']'), Preamble("PDA-HOSTILE", "deep") + good_rows},
       Refused("InvalidArgument", "batch header")},
      {"invalid UTF-8 in the header JSON",
       {std::string("{\"type\":\"batch\",\"v\":1,\"req\":\"\xff\xfe\xc3\x28\"}"),
        Preamble("PDA-HOSTILE", "u1") + good_rows},
       Refused("InvalidArgument", "batch header: not valid JSON")},
      {"invalid UTF-8 in the body's comment line",
       {EncodeBatchHeader({"utf8-comment", 0}),
        "# device=PDA-HOSTILE\xff\xfe courier=C9001 station=571001 batch=u2\n"
        "seq,waybill,type,time,peer_station,bag,weight_g,reason,note\n" +
            good_rows},
       Refused("InvalidArgument", "batch comment line: device")},
      {"invalid UTF-8 in the body's header row",
       {EncodeBatchHeader({"utf8-header-row", 0}),
        "# device=PDA-HOSTILE courier=C9001 station=571001 batch=u3\n"
        "seq,way\xc3\x28"
        "bill,type,time,peer_station,bag,weight_g,reason,note\n" +
            good_rows},
       Refused("InvalidArgument", "header row: column 'waybill' is missing")},
      {"invalid UTF-8 in the body's rows",
       {EncodeBatchHeader({"utf8-rows", 0}), bad_utf8_rows},
       [](const BatchAck& ack, int) {
         // The message is sound, its two rows are not: each refused by name.
         CHECK(ack.ok);
         CHECK(ack.accepted == 0);
         REQUIRE(ack.rejected.size() == 2);
         CHECK_THAT(ack.rejected[0].reason, Catch::Contains("not valid UTF-8"));
         CHECK_THAT(ack.rejected[1].reason, Catch::StartsWith("waybill"));
       }},
      {"50,001 rows in one message", {EncodeBatchHeader({"rows", 0}), rows_past_limit},
       Refused("InvalidArgument", "more than 50000 rows")},
      {"body past --max-message-bytes, under MAXMSGSIZE",
       {EncodeBatchHeader({"big-body", 0}), Preamble("PDA-HOSTILE", "big") + std::string(kMaxMessageBytes, 'b')},
       Refused("InvalidArgument", "larger than 131072 bytes")},
      {"a batch claiming another gun's device",
       {EncodeBatchHeader({"impostor", 0}), Preamble("PDA-LEGIT", "impostor") + good_rows},
       Refused("PermissionDenied", "a gun may send only its own batches")},
      {"same (device, batch, seq), different body",
       {EncodeBatchHeader({"dup-other", 0}), dup_other},
       [](const BatchAck& ack, int) {
         // Reported as conflicts; the stored scans are kept (checked at the end).
         CHECK(ack.ok);
         CHECK(ack.accepted == 0);
         CHECK(ack.duplicates == 0);
         CHECK(ack.conflicts.size() == 3);
       }},
      {"same batch under another courier",
       {EncodeBatchHeader({"dup-courier", 0}), Preamble("PDA-HOSTILE", "dup-1", "C9999") + ArrivalRow(4, 910004, now)},
       Refused("Conflict", "courier")},
      {"gun clock off: +1 day and -1 year",
       {EncodeBatchHeader({"clock", 0}), Preamble("PDA-HOSTILE", "clock") + ArrivalRow(1, 940001, now + day) +
                                             ArrivalRow(2, 940002, now - 365 * day - 3'600'000)},
       [](const BatchAck& ack, int round) {
         // Not refused: stored (then resends are duplicates), flagged below.
         CHECK(ack.ok);
         CHECK(ack.accepted == (round == 0 ? 2 : 0));
         CHECK(ack.duplicates == (round == 0 ? 0 : 2));
       }},
  };

  // A legitimate gun: 2 files of 2,000 rows in each phase, docked by
  // scanner-dock beside the measured honest gun. Parts of 250 rows keep
  // each body well under the small --max-message-bytes.
  constexpr int kLegitFiles = 4, kLegitRows = 2000;
  const std::string spool = dir.Path("spool"), base_spool = dir.Path("spool-baseline");
  fs::create_directories(spool);
  fs::create_directories(base_spool);
  for (int f = 0; f < kLegitFiles; ++f) {
    WriteFileAtomically((f < kLegitFiles / 2 ? base_spool : spool) + "/legit-" + std::to_string(f) + ".csv",
                        MakeGunFile({"PDA-LEGIT", "C2001", kStation, "legit-" + std::to_string(f), kLegitRows,
                                     static_cast<std::uint64_t>(700 + f)}));
  }
  auto dock_args = [&](const std::string& from) {
    return std::vector<std::string>{DockPath(), "--station", station.endpoint, "--station-key", station_key, "--key",
                                    legit_key.secret_file, "--spool", from, "--once", "--part-rows", "250",
                                    "--log-level", "warn"};
  };

  auto hostile_secret = security::ReadSecretKeyFile(hostile_key.secret_file);
  REQUIRE(hostile_secret.ok());
  auto server_key = security::ReadPublicKey(station_key);
  REQUIRE(server_key.ok());
  HostileGun gun(station.endpoint, {true, *server_key, *hostile_secret});
  auto honest_secret = security::ReadSecretKeyFile(honest_key.secret_file);
  REQUIRE(honest_secret.ok());
  HostileGun honest(station.endpoint, {true, *server_key, *honest_secret});

  // 0. The baseline: the honest gun with scanner-dock beside it, no attack.
  auto base_dock = Spawn(dock_args(base_spool), dir.Path("dock-baseline.log"));
  HonestRun baseline = SendHonest(honest, "base", 800'000, kHonestBatches / 2);
  CHECK(base_dock.Wait(60s) == 0);
  // A machine so loaded that the honest gun's own p99 is over a quarter of
  // T12's 50 ms cannot show 50 ms for anything: the bound is then 4x that
  // p99 (printed with the figures), still one stationd slow on hostile
  // messages fails.
  const double reply_bound_ms = std::max(kReplyBoundMs, 4 * P99(baseline.ms));

  // Go: someone without a key sprays the CURVE port, the honest gun docks,
  // the hostile gun sends.
  constexpr std::uint64_t kSpraySeed = 12;
  SprayResult spray;
  std::thread spray_thread([&] { spray = SprayRawBytes(PortOf(station.endpoint), 16, 64 * 1024, kSpraySeed); });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } join_spray{spray_thread};
  const auto start = SteadyClock::now();
  auto dock = Spawn(dock_args(spool), dir.Path("dock.log"));
  double dock_ms = -1;
  auto note_dock = [&] {
    if (dock_ms < 0 && !dock.Running()) dock_ms = MsSince(start);
  };

  // 1. A frame of twice ZMQ_MAXMSGSIZE: libzmq drops the connection and
  // the gun is told nothing (V9). Once the drop is seen, no reply can come
  // on that connection; a short wait makes sure none came before it.
  REQUIRE(gun.SendFrames({EncodeBatchHeader({"oversized", 0}), std::string(2 * kMaxMsgSize, 'x')}).ok());
  for (auto until = SteadyClock::now() + 5s; gun.disconnects() == 0 && SteadyClock::now() < until;) gun.PollEvents(10ms);
  const bool dropped = gun.disconnects() > 0;
  const double dropped_ms = MsSince(start);
  CHECK(dropped);
  CHECK_FALSE(gun.Await(SteadyClock::now(), 200ms).answered);

  // The gun's next message, after libzmq reconnects, is answered: the
  // first copy of dup-1, which a hostile message below then contradicts.
  auto next = gun.Send({EncodeBatchHeader({"dup-first", 0}), dup_first}, 10s);
  const bool next_answered = next.answered;
  CHECK(next_answered);
  REQUIRE(next.ack.ok());
  CHECK(next.ack->ok);
  CHECK(next.ack->accepted == 3);
  gun.PollEvents(0ms);
  CHECK(gun.handshakes() >= 2);  // it did connect again
  std::printf("[T12] %-48s connection dropped after %.1f ms, no reply; the next message answered in %.1f ms\n",
              "frame of 2x MAXMSGSIZE", dropped_ms, next.ms);

  // 2. The messages libzmq delivers, one after another, each answered;
  // the list again and again while the honest gun and the dock send (at
  // least once, at most kMaxRounds times).
  constexpr int kMinRounds = 8, kMaxRounds = 40;
  std::vector<double> replies_ms;  // every reply but the bulk one's
  HonestRun attacked;
  std::atomic<bool> honest_done{false};
  std::thread honest_thread([&] {
    attacked = SendHonest(honest, "attack", 900'000, kHonestBatches);
    honest_done = true;
  });
  Joiner join_honest{honest_thread};
  std::vector<double> slowest(hostile.size(), 0.0);
  std::vector<std::string> first_reply(hostile.size());
  int sent = 1, answered = next.answered ? 1 : 0, rounds = 0;
  double slowest_ms = 0;
  std::string slowest_what;
  for (; rounds < kMaxRounds; ++rounds) {
    note_dock();
    if (rounds >= kMinRounds && dock_ms >= 0 && honest_done) break;
    for (std::size_t i = 0; i < hostile.size(); ++i) {
      const Hostile& h = hostile[i];
      INFO(h.what << " (round " << rounds << ")");
      auto reply = gun.Send(h.frames, 10s);
      ++sent;
      note_dock();
      if (rounds == 0) first_reply[i] = Describe(reply);
      CHECK(reply.answered);
      if (!reply.answered) continue;
      ++answered;
      slowest[i] = std::max(slowest[i], reply.ms);
      if (reply.ms > slowest_ms) {
        slowest_ms = reply.ms;
        slowest_what = h.what;
      }
      const bool bulk = BytesOf(h.frames) >= kBulkBytes;
      if (!bulk) replies_ms.push_back(reply.ms);
      CHECK(reply.ms < (bulk ? kBulkReplyBoundMs : 4 * reply_bound_ms));
      REQUIRE(reply.ack.ok());
      h.check(*reply.ack, rounds);
    }
  }
  const double hostile_ms = MsSince(start);
  if (honest_thread.joinable()) honest_thread.join();
  const double replies_p99 = P99(replies_ms);
  PrintFigures("[T12] hostile replies: p99 %.1f ms over %zu replies in %d rounds (bound %.0f ms; the 8 MiB message "
               "apart, bound %.0f ms)\n",
               replies_p99, replies_ms.size(), rounds, reply_bound_ms, kBulkReplyBoundMs);
  CHECK(replies_p99 <= reply_bound_ms);
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    std::printf("[T12] %-48s slowest %7.1f ms  %s\n", hostile[i].what.c_str(), slowest[i], first_reply[i].c_str());
  }

  // The honest gun finished, every row stored once.
  const int dock_exit = dock.Wait(60s);
  note_dock();
  CHECK(dock_exit == 0);
  if (spray_thread.joinable()) spray_thread.join();
  const long rss_max_kb = std::max(rss.Stop(), RssKb(pid));
  const long rss_growth_kb = rss_max_kb - rss_start_kb;

  // stationd is alive, and its ingest thread, which also serves the
  // control socket, answers the clerk.
  CHECK(station.process.Running());
  auto status = RunStationctl(data, {"status", "--json"});
  REQUIRE(status.exit_code == 0);
  auto s = nlohmann::json::parse(status.out, nullptr, false);
  REQUIRE_FALSE(s.is_discarded());
  CHECK(s["daemon"]["running"] == true);
  CHECK(s["national"].contains("configured"));  // stationd answered uplink_status on its control socket

  const std::int64_t legit_stored = CountScans(data, "device = 'PDA-LEGIT'");
  CHECK(legit_stored == kLegitFiles * kLegitRows);
  const std::int64_t legit_distinct =
      QueryInt(data, "SELECT count(*) FROM (SELECT DISTINCT batch, seq FROM scans_full WHERE device = 'PDA-LEGIT')");
  CHECK(legit_distinct == legit_stored);
  CHECK(FilesIn(base_spool + "/done", ".csv").size() == kLegitFiles / 2);
  CHECK(FilesIn(spool + "/done", ".csv").size() == kLegitFiles / 2);
  CHECK(CountScans(data, "batch = 'impostor'") == 0);

  // The rest of the baseline, the attack over.
  baseline = SendHonest(honest, "after", 850'000, kHonestBatches - kHonestBatches / 2, std::move(baseline));

  // The honest gun: every batch acknowledged whole, in both phases, and
  // its p99 under attack within 2x its own baseline.
  CHECK(baseline.failed == 0);
  CHECK(attacked.failed == 0);
  CHECK(CountScans(data, "device = 'PDA-HONEST'") == 2 * kHonestBatches * kHonestRows);
  const double base_p99 = P99(baseline.ms), attack_p99 = P99(attacked.ms);
  const double allowed_p99 = 2 * std::max(base_p99, kBaselineFloorMs);
  PrintFigures("[T12] honest gun dock-to-ack p99: %.2f ms without the attack, %.2f ms during it (%zu and %zu batches "
               "of %d rows; bound 2x max(baseline, %.0f ms) = %.2f ms); hostile reply bound %.0f ms, 8 MiB %.0f ms\n",
               base_p99, attack_p99, baseline.ms.size(), attacked.ms.size(), kHonestRows, kBaselineFloorMs,
               allowed_p99, reply_bound_ms, kBulkReplyBoundMs);
  CHECK(attack_p99 <= allowed_p99);

  // The hostile gun's scans: dup-1 as first sent, and both clock-off rows.
  CHECK(CountScans(data, "device = 'PDA-HOSTILE' AND batch = 'dup-1'") == 3);
  CHECK(CountScans(data, "device = 'PDA-HOSTILE' AND batch = 'dup-1' AND waybill IN ('" + WaybillFor(910001) + "', '" +
                             WaybillFor(910002) + "', '" + WaybillFor(910003) + "')") == 3);
  CHECK(CountScans(data, "device = 'PDA-HOSTILE' AND batch = 'clock'") == 2);
  CHECK(CountScans(data, "device = 'PDA-HOSTILE'") == 5);
  // scans.clock_flag comes with schema 7; asserted when this build has it.
  const bool has_clock_flag =
      QueryInt(data, "SELECT count(*) FROM pragma_table_info('scans') WHERE name = 'clock_flag'") == 1;
  if (has_clock_flag) {
    CHECK(CountScans(data, "waybill = '" + WaybillFor(940001) + "' AND clock_flag = 'future'") == 1);
    CHECK(CountScans(data, "waybill = '" + WaybillFor(940002) + "' AND clock_flag = 'past'") == 1);
  }

  PrintFigures(
      "[T12] hostile messages=%d answered=%d in %d rounds, slowest reply=%.1f ms (%s; T12 asks < 50 ms); oversized "
      "frame %zu B: dropped=%s next answered=%s; raw spray connections=%d closed by stationd=%d bytes=%lld; legit "
      "rows=%d stored=%lld dock done in %.0f ms (hostile for %.0f ms) exit=%d; rss start=%ld kB growth=%ld kB; "
      "clock_flag %s\n",
      sent, answered, rounds, slowest_ms, slowest_what.c_str(), 2 * kMaxMsgSize, dropped ? "yes" : "no",
      next_answered ? "yes" : "no", spray.connections, spray.closed_by_station, spray.bytes, kLegitFiles * kLegitRows,
      static_cast<long long>(legit_stored), dock_ms, hostile_ms, dock_exit, rss_start_kb, rss_growth_kb,
      has_clock_flag ? "checked" : "absent, not checked");
  CHECK(answered == sent);
  CHECK(spray.connected == spray.connections);
  CHECK(rss_growth_kb < kMaxRssGrowthKb);
  CHECK(station.process.Stop(10s) == 0);
}
