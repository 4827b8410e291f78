// Lookups of surplus parcels at national (docs/protocol.md, "Lookup"), with
// real processes on 127.0.0.1: a parcel national manifested to station B
// that arrives at station A is surplus at A's first reconciliation, A's
// uplink asks national about it, and A's next run finds it misrouted to B;
// a parcel national does not know stays surplus; many surplus parcels go in
// lookups of at most 500 while national loses replies. And national-sim's
// answers to lookups, good and bad, on a bare connection.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "scanner/manifest.h"
#include "wire/national.h"
#include "tests/support/child_process.h"
#include "tests/support/figures.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr const char* kStationA = "571001";
constexpr const char* kStationB = "200001";
// National manifested it to B; it arrives at A.
constexpr const char* kToB = "ZT7730000000051";
// National manifested it to A; it arrives at A, as it should.
constexpr const char* kToA = "ZT7730000000011";
// National knows nothing of it.
constexpr const char* kUnknown = "ZT7730000000061";

ManifestRow Row(const std::string& waybill, const std::string& dest) {
  ManifestRow row;
  row.waybill = waybill;
  row.origin_station = "310001";
  row.dest_station = dest;
  row.dispatched_at = "2020-01-01T08:00:00+08:00";  // long past any grace period
  row.bag = "BG3100010005";
  row.declared_weight_g = 1200;
  row.recipient_phone = "13812345678";
  row.recipient_district = "西湖区";
  return row;
}

std::string ManifestCsv(const std::vector<ManifestRow>& rows) {
  std::string csv;
  AppendManifestCsvHeader(csv);
  for (const ManifestRow& row : rows) AppendManifestRow(csv, row);
  return csv;
}

std::vector<std::string> LinkFlags(const std::string& national) {
  return {"--national", national, "--national-heartbeat-ms", "200", "--national-reconnect-max-ms", "1000",
          "--reconcile-every-s", "0", "--log-level", "info"};
}

// Arrival scans of `waybills` at A, docked with scanner-dock.
int DockArrivals(const RunningStation& station, const TempDir& dir, const std::vector<std::string>& waybills) {
  std::string text = std::string("# device=PDA-0042 courier=C1001 station=") + kStationA +
                     " batch=20261124-0001\nseq,waybill,type,time,peer_station,bag,weight_g,reason,note\n";
  int seq = 0;
  for (const std::string& w : waybills) {
    text += std::to_string(++seq) + "," + w + ",arrival,2026-11-24T07:58:12+08:00,310001,,,,\n";
  }
  const std::string spool = dir.Path("spool");
  fs::create_directories(spool);
  WriteFileAtomically(spool + "/arrivals.csv", text);
  return DockOnce(station.endpoint, spool, 30s);
}

nlohmann::json RunJson(const std::vector<std::string>& argv) {
  auto r = RunCommand(argv, 60s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  return j;
}

nlohmann::json Reconcile(const std::string& data) {
  return RunJson({StationctlPath(), "--data-dir", data, "reconcile", "--json"});
}

std::int64_t DiscrepancyCount(const std::string& data, const std::string& kind, const std::string& waybill,
                              const std::string& state) {
  return QueryInt(data, "SELECT count(*) FROM discrepancies WHERE kind = '" + kind + "' AND waybill = '" + waybill +
                            "' AND state = '" + state + "'");
}

// A bare station end of the link, each reply awaited at most 5 s.
class BareLink {
 public:
  explicit BareLink(const std::string& endpoint) : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, 5000);
    socket_.connect(endpoint);
  }
  // Sends `frames` as one message; the reply's frames (none on timeout).
  std::vector<std::string> Call(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    std::vector<std::string> reply;
    for (bool more = true; more;) {
      zmq::message_t frame;
      if (!socket_.recv(frame)) return {};
      more = frame.more();
      reply.push_back(frame.to_string());
    }
    return reply;
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

}  // namespace

TEST_CASE("a surplus parcel national manifested to another station is looked up and found misrouted",
          "[integration][uplink][lookup]") {
  TempDir dir;
  WriteFileAtomically(dir.Path("national.csv"), ManifestCsv({Row(kToB, kStationB), Row(kToA, kStationA)}));
  auto national = StartNational(dir.Path("nat"), dir.Path("national.log"), "tcp://127.0.0.1:*",
                                {"--manifest", dir.Path("national.csv")});
  const std::string a = dir.Path("a"), b = dir.Path("b");
  auto station_a = StartStationd(a, kStationA, dir.Path("a.log"), nullptr, "tcp://127.0.0.1:*",
                                 LinkFlags(national.endpoint));
  auto station_b = StartStationd(b, kStationB, dir.Path("b.log"), nullptr, "tcp://127.0.0.1:*",
                                 LinkFlags(national.endpoint));
  // Each station's sync brings its own row only.
  REQUIRE(WaitFor([&] { return QueryInt(a, "SELECT count(*) FROM manifest") == 1; }, 20s));
  REQUIRE(WaitFor([&] { return QueryInt(b, "SELECT count(*) FROM manifest") == 1; }, 20s));

  REQUIRE(DockArrivals(station_a, dir, {kToA, kToB, kUnknown}) == 0);
  auto first = Reconcile(a);
  CHECK(first["found"]["surplus"] == 2);
  CHECK(first["found"]["misrouted"] == 0);
  CHECK(DiscrepancyCount(a, "surplus", kToB, "open") == 1);

  // The uplink asks national after that run; both answers are in within a
  // few heartbeats.
  const std::string answered = "SELECT count(*) FROM national_lookups WHERE answered_ms IS NOT NULL";
  REQUIRE(WaitFor([&] { return QueryInt(a, answered) == 2; }, 20s));
  CHECK(QueryInt(a, std::string("SELECT found FROM national_lookups WHERE waybill = '") + kToB + "'") == 1);
  CHECK(QueryInt(a, std::string("SELECT found FROM national_lookups WHERE waybill = '") + kUnknown + "'") == 0);
  CHECK(QueryInt(a, "SELECT count(*) FROM national_lookups WHERE sent_ms IS NULL") == 0);
  // National's row, kept for reconciliation, without the phone of another
  // station's recipient; B's own copy (from its sync) has it.
  CHECK(QueryInt(a, std::string("SELECT dest_station = '") + kStationB +
                        "' AND source = 'national-lookup' AND recipient_phone IS NULL FROM manifest WHERE waybill = '" +
                        kToB + "'") == 1);
  CHECK(QueryInt(b, std::string("SELECT recipient_phone = '13812345678' FROM manifest WHERE waybill = '") + kToB +
                        "'") == 1);
  auto status = RunJson({StationctlPath(), "--data-dir", a, "status", "--json"});
  CHECK(status["national"]["lookups"]["waiting"] == 0);
  CHECK(status["national"]["lookups"]["found"] == 1);
  CHECK(status["national"]["lookups"]["not_found"] == 1);

  auto second = Reconcile(a);
  CHECK(second["found"]["misrouted"] == 1);
  CHECK(second["found"]["surplus"] == 1);
  CHECK(second["resolved"] == 1);
  CHECK(DiscrepancyCount(a, "misrouted", kToB, "open") == 1);
  CHECK(QueryInt(a, std::string("SELECT dest_station = '") + kStationB +
                        "' FROM discrepancies WHERE kind = 'misrouted' AND waybill = '" + kToB + "'") == 1);
  CHECK(DiscrepancyCount(a, "surplus", kToB, "resolved") == 1);
  CHECK(DiscrepancyCount(a, "surplus", kUnknown, "open") == 1);

  // A third run queues nothing new: the unknown one is not asked again
  // within the day, the found one is no longer surplus.
  auto third = Reconcile(a);
  CHECK(third["opened"] == 0);
  std::this_thread::sleep_for(1s);  // five heartbeats, for a lookup that should not happen
  CHECK(QueryInt(a, "SELECT count(*) FROM national_lookups WHERE answered_ms IS NULL") == 0);
  CHECK(QueryInt(a, "SELECT count(*) FROM national_lookups") == 2);
}

TEST_CASE("1,200 surplus parcels are looked up 500 at most a request, through 30% of national's replies lost",
          "[integration][uplink][lookup][fault]") {
  constexpr int kKnown = 1100, kUnknownCount = 100;
  TempDir dir;
  std::vector<ManifestRow> to_b;
  std::vector<std::string> arrivals;
  for (int i = 0; i < kKnown + kUnknownCount; ++i) {
    arrivals.push_back(WaybillFor(1000 + i));
    if (i < kKnown) to_b.push_back(Row(arrivals.back(), kStationB));
  }
  WriteFileAtomically(dir.Path("national.csv"), ManifestCsv(to_b));
  auto national = StartNational(dir.Path("nat"), dir.Path("national.log"), "tcp://127.0.0.1:*",
                                {"--manifest", dir.Path("national.csv"), "--drop-replies", "30", "--seed", "7"});
  const std::string a = dir.Path("a");
  std::vector<std::string> flags = LinkFlags(national.endpoint);
  flags.insert(flags.end(), {"--national-reply-timeout-ms", "1000"});
  auto station_a = StartStationd(a, kStationA, dir.Path("a.log"), nullptr, "tcp://127.0.0.1:*", flags);
  REQUIRE(DockArrivals(station_a, dir, arrivals) == 0);
  auto first = Reconcile(a);
  CHECK(first["found"]["surplus"] == kKnown + kUnknownCount);

  const std::string answered = "SELECT count(*) FROM national_lookups WHERE answered_ms IS NOT NULL";
  REQUIRE(WaitFor([&] { return QueryInt(a, answered) == kKnown + kUnknownCount; }, 60s));
  CHECK(QueryInt(a, "SELECT count(*) FROM national_lookups WHERE found = 1") == kKnown);
  CHECK(QueryInt(a, "SELECT count(*) FROM manifest WHERE source = 'national-lookup'") == kKnown);

  // What national served, from its log: no request over the limit, and
  // resends (a dropped reply is asked again) on top of the three needed.
  std::ifstream log(dir.Path("national.log"));
  int served = 0, most = 0;
  for (std::string line; std::getline(log, line);) {
    auto at = line.find("lookup served station=571001 asked=");
    if (at == std::string::npos) continue;
    ++served;
    most = std::max(most, std::stoi(line.substr(at + std::string("lookup served station=571001 asked=").size())));
  }
  CHECK(served >= 3);
  CHECK(most == static_cast<int>(kMaxLookupWaybills));

  auto second = Reconcile(a);
  CHECK(second["found"]["misrouted"] == kKnown);
  CHECK(second["found"]["surplus"] == kUnknownCount);
  PrintFigures("[lookup] %d surplus: %d found misrouted, %d unknown; lookups served=%d (3 needed), largest=%d\n",
              kKnown + kUnknownCount, kKnown, kUnknownCount, served, most);
}

TEST_CASE("national-sim answers a lookup from its whole manifest and refuses bad ones, naming the rule",
          "[integration][national][lookup]") {
  TempDir dir;
  WriteFileAtomically(dir.Path("national.csv"), ManifestCsv({Row(kToB, kStationB), Row(kToA, kStationA)}));
  auto national = StartNational(dir.Path("nat"), dir.Path("national.log"), "tcp://127.0.0.1:*",
                                {"--manifest", dir.Path("national.csv")});
  BareLink link(national.endpoint);

  SECTION("found rows whatever their destination, the phone only for the asking station's own") {
    auto reply = link.Call({EncodeLookupRequest({"l-1", kStationA, {kToB, kUnknown, kToA, kToB}})});
    REQUIRE(reply.size() == 2);
    auto header = DecodeLookupReply(reply[0]);
    REQUIRE(header.ok());
    CHECK(header->ok);
    CHECK(header->req == "l-1");
    CHECK(header->found == std::vector<std::string>{kToB, kToA});
    CHECK(header->not_found == std::vector<std::string>{kUnknown});
    auto rows = ReadManifest(reply[1]);
    REQUIRE(rows.ok());
    CHECK(rows->problems.empty());
    REQUIRE(rows->rows.size() == 2);
    CHECK(rows->rows[0].waybill == kToB);
    CHECK(rows->rows[0].dest_station == kStationB);
    CHECK(rows->rows[0].bag == "BG3100010005");
    CHECK(rows->rows[0].recipient_phone.empty());
    CHECK(rows->rows[1].waybill == kToA);
    CHECK(rows->rows[1].recipient_phone == "13812345678");
  }
  SECTION("more than 500 waybills") {
    std::vector<std::string> many;
    for (std::size_t i = 0; i <= kMaxLookupWaybills; ++i) many.push_back(WaybillFor(i + 1));
    auto reply = link.Call({EncodeLookupRequest({"l-2", kStationA, many})});
    REQUIRE(reply.size() == 1);  // a refusal has no manifest frame
    auto header = DecodeLookupReply(reply[0]);
    REQUIRE(header.ok());
    CHECK_FALSE(header->ok);
    CHECK(header->req == "l-2");
    CHECK(header->code == "InvalidArgument");
    CHECK_THAT(header->error, Catch::Contains("1 to 500 waybills, not 501"));
  }
  SECTION("malformed lookups") {
    const std::pair<std::vector<std::string>, const char*> bad[] = {
        {{R"({"type":"lookup","v":1,"req":"l-3","station":"571001","waybills":["12"]})"}, "waybills[0]"},
        {{R"({"type":"lookup","v":1,"req":"l-3","station":"571001","waybills":[]})"}, "not 0"},
        {{R"({"type":"lookup","v":1,"req":"l-3","station":"571001"})"}, "must be an array"},
        {{R"({"type":"lookup","v":1,"req":"l-3","waybills":["ZT7730000000051"]})"}, "six-digit"},
        {{EncodeLookupRequest({"l-3", kStationA, {kToB}}), "a body"}, "one frame"},
    };
    for (const auto& [frames, why] : bad) {
      auto reply = link.Call(frames);
      REQUIRE(reply.size() == 1);
      auto header = DecodeLookupReply(reply[0]);
      REQUIRE(header.ok());
      CHECK_FALSE(header->ok);
      CHECK(header->req == "l-3");
      CHECK(header->code == "InvalidArgument");
      CHECK_THAT(header->error, Catch::Contains(why));
    }
  }
  // Whatever was refused, the next lookup is served.
  auto after = link.Call({EncodeLookupRequest({"l-4", kStationB, {kToB}})});
  REQUIRE(after.size() == 2);
  auto rows = ReadManifest(after[1]);
  REQUIRE(rows.ok());
  REQUIRE(rows->rows.size() == 1);
  CHECK(rows->rows[0].recipient_phone == "13812345678");  // B asks about its own parcel
}
