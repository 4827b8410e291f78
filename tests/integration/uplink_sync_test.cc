// What the national link brings a station besides uploads (docs/protocol.md,
// "Sync" and "Post"), with real processes on 127.0.0.1: national-sim's
// manifest reaches stationd in pages, only this station's rows, and again
// when rows change; mail posted by one stationd reaches another once, across
// a SIGKILL of the recipient, a re-post by the sender and a raw resend; and
// the manifest over a link slower than the heartbeat.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "daemon/storage/run_file.h"
#include "sql/sqlite.h"
#include "scanner/manifest.h"
#include "wire/national.h"
#include "tests/support/child_process.h"
#include "tests/support/delay_proxy.h"
#include "tests/support/figures.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Fast link settings, as in uplink_test.cc: a sync every 200 ms.
std::vector<std::string> LinkFlags(const std::string& national) {
  return {"--national", national, "--national-heartbeat-ms", "200", "--national-reconnect-max-ms", "1000",
          "--log-level", "info"};
}

double SecondsSince(SteadyClock::time_point start) { return std::chrono::duration<double>(SteadyClock::now() - start).count(); }

// The station database of `data_dir`, read-only (stationd may be running:
// WAL lets a reader in beside it).
sql::Db OpenStation(const std::string& data_dir) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  REQUIRE(db.ok());
  return std::move(*db);
}

std::int64_t NationalInt(const std::string& national_data, const std::string& query) {
  sql::OpenOptions options;
  options.read_only = true;
  auto db = sql::Db::Open(national_data + "/national.db", options);
  REQUIRE(db.ok());
  auto v = db->QueryInt(query.c_str());
  REQUIRE(v.ok());
  return *v;
}

nlohmann::json StatusJson(const std::string& data_dir) {
  auto r = RunCommand({StationctlPath(), "--data-dir", data_dir, "status", "--json"}, 20s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  return j["national"];
}

nlohmann::json NationalQuery(const std::string& national_data) {
  auto r = RunCommand({NationalSimPath(), "query", "--data-dir", national_data, "--json"}, 10s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  return j["stations"];
}

// --- Manifest ---------------------------------------------------------------

// A manifest row for `dest`; `n` makes the waybill (two letters, 13 digits).
ManifestRow Row(const std::string& dest, std::int64_t n, std::int64_t weight_g = 1000) {
  ManifestRow row;
  row.waybill = "ZT" + std::to_string(7730000000000 + n);
  row.origin_station = dest == "310001" ? "200001" : "310001";
  row.dest_station = dest;
  row.dispatched_at = "2026-11-23T22:10:00+08:00";
  row.bag = "BG3100010123";
  row.declared_weight_g = weight_g;
  row.recipient_phone = "13812345678";
  row.recipient_district = "西湖区";
  return row;
}

void WriteManifest(const std::string& path, const std::vector<ManifestRow>& rows) {
  std::string csv;
  AppendManifestCsvHeader(csv);
  for (const ManifestRow& row : rows) AppendManifestRow(csv, row);
  std::ofstream(path, std::ios::binary) << csv;
}

// A row of the station's manifest table as stored.
struct HeldRow {
  std::string origin, dest, dispatched_at, bag, phone, district, source;
  std::int64_t dispatched_ms = 0, weight_g = -1, received_ms = 0;
};

std::map<std::string, HeldRow> StationManifest(const std::string& data_dir) {
  sql::Db db = OpenStation(data_dir);
  auto stmt = sql::Stmt::Prepare(db,
                                 "SELECT waybill, origin_station, dest_station, dispatched_at, dispatched_ms, bag,"
                                 " coalesce(declared_weight_g, -1), recipient_phone, recipient_district, source,"
                                 " received_ms FROM manifest");
  REQUIRE(stmt.ok());
  std::map<std::string, HeldRow> rows;
  REQUIRE(stmt->ForEachRow([&](const sql::Stmt& r) {
                rows[r.ColumnText(0)] = {r.ColumnText(1), r.ColumnText(2), r.ColumnText(3), r.ColumnText(5),
                                         r.ColumnText(7), r.ColumnText(8), r.ColumnText(9), r.ColumnInt(4),
                                         r.ColumnInt(6),  r.ColumnInt(10)};
              })
              .ok());
  return rows;
}

// The station holds exactly `expected`: each row as national sent it and
// marked as from national, and no other row.
void CheckHeldAsSent(const std::map<std::string, HeldRow>& held, const std::map<std::string, ManifestRow>& expected) {
  CHECK(held.size() == expected.size());
  int missing = 0, different = 0, foreign = 0;
  std::string first_different;
  for (const auto& [waybill, row] : expected) {
    auto it = held.find(waybill);
    if (it == held.end()) {
      ++missing;
      continue;
    }
    const HeldRow& h = it->second;
    if (h.origin != row.origin_station || h.dest != row.dest_station || h.dispatched_at != row.dispatched_at ||
        h.bag != row.bag || h.weight_g != row.declared_weight_g.value_or(-1) || h.phone != row.recipient_phone ||
        h.district != row.recipient_district || h.source != "national" || h.dispatched_ms <= 0 || h.received_ms <= 0) {
      if (different++ == 0) first_different = waybill;
    }
  }
  for (const auto& [waybill, h] : held) {
    if (!expected.count(waybill)) ++foreign;
  }
  CHECK(missing == 0);
  INFO("first row held otherwise than sent: " << first_different);
  CHECK(different == 0);
  CHECK(foreign == 0);
}

// How many "sync served" lines in national-sim's log carried manifest rows.
int SyncsServedWithRows(const std::string& log_path) {
  std::ifstream in(log_path);
  int served = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("sync served") != std::string::npos && line.find("manifest_rows=0 ") == std::string::npos) ++served;
  }
  return served;
}

// The port of a "tcp://127.0.0.1:<port>" endpoint.
int PortOf(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

// --- Mail -------------------------------------------------------------------

// Queues a message in a station's outbox beside a running stationd (WAL; a
// write waits out stationd's own through the busy timeout).
void QueueMessage(const std::string& data_dir, const std::string& msg_id, const std::string& to,
                  const std::string& kind, const std::string& body) {
  sql::OpenOptions options;
  options.create = false;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  REQUIRE(db.ok());
  auto ins = sql::Stmt::Prepare(*db,
                                "INSERT INTO outbox (msg_id, to_station, kind, body, created_ms)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)");
  REQUIRE(ins.ok());
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  REQUIRE(ins->Bind(1, msg_id).Bind(2, to).Bind(3, kind).Bind(4, body).Bind(5, now_ms).Run().ok());
}

// Sets a posted message back to waiting: what a SIGKILL of the sender between
// national's commit and its own leaves behind.
void Unpost(const std::string& data_dir, const std::string& msg_id) {
  sql::OpenOptions options;
  options.create = false;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  REQUIRE(db.ok());
  auto up = sql::Stmt::Prepare(*db, "UPDATE outbox SET posted_ms = NULL WHERE msg_id = ?1");
  REQUIRE(up.ok());
  REQUIRE(up->Bind(1, msg_id).Run().ok());
  REQUIRE(db->Changes() == 1);
}

std::int64_t OutboxWaiting(const std::string& data_dir) {
  return QueryInt(data_dir, "SELECT count(*) FROM outbox WHERE posted_ms IS NULL AND refused IS NULL");
}

std::int64_t PostedMs(const std::string& data_dir, const std::string& msg_id) {
  return QueryInt(data_dir, "SELECT coalesce(posted_ms, 0) FROM outbox WHERE msg_id = '" + msg_id + "'");
}

struct InboxItem {
  std::int64_t seq = 0;
  std::string from, msg_id, kind, body;
  std::int64_t posted_ms = 0, received_ms = 0;
};

// The station's inbox by seq.
std::vector<InboxItem> Inbox(const std::string& data_dir) {
  sql::Db db = OpenStation(data_dir);
  auto stmt = sql::Stmt::Prepare(
      db, "SELECT seq, from_station, msg_id, kind, body, posted_ms, received_ms FROM inbox ORDER BY seq");
  REQUIRE(stmt.ok());
  std::vector<InboxItem> items;
  REQUIRE(stmt->ForEachRow([&](const sql::Stmt& r) {
                items.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), r.ColumnText(3), r.ColumnText(4),
                                 r.ColumnInt(5), r.ColumnInt(6)});
              })
              .ok());
  return items;
}

std::int64_t InboxCount(const std::string& data_dir) { return QueryInt(data_dir, "SELECT count(*) FROM inbox"); }

// How often each msg_id is in the inbox.
std::map<std::string, int> InboxByMsgId(const std::vector<InboxItem>& items) {
  std::map<std::string, int> counts;
  for (const InboxItem& m : items) ++counts[m.msg_id];
  return counts;
}

// A station's end of the link, raw: one post, a bounded wait for its ack.
Result<PostAck> RawPost(const std::string& endpoint, const PostRequest& request, const std::string& body) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, 5000);
  socket.connect(endpoint);
  socket.send(zmq::buffer(EncodePostRequest(request)), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body), zmq::send_flags::none);
  zmq::message_t header;
  if (!socket.recv(header)) return Status::Unavailable("no post_ack within 5 s");
  std::string text = header.to_string();
  while (header.more()) (void)socket.recv(header);
  return DecodePostAck(text);
}

}  // namespace

TEST_CASE("national-sim's manifest reaches stationd: this station's rows only, in pages, and again when changed",
          "[integration][uplink]") {
  TempDir dir;
  const std::string data = dir.Path("station"), nat = dir.Path("national");
  // 12,000 rows for 571001 (three pages of at most 5,000), with rows for
  // 310001 between them that must stay at national.
  constexpr int kOurs = 12000;
  std::vector<ManifestRow> rows;
  std::map<std::string, ManifestRow> ours;
  for (int i = 0; i < kOurs; ++i) {
    rows.push_back(Row("571001", i));
    ours[rows.back().waybill] = rows.back();
    if (i % 500 == 0) rows.push_back(Row("310001", 100000 + i));
  }
  const std::size_t theirs = rows.size() - kOurs;
  WriteManifest(dir.Path("m1.csv"), rows);

  auto national = StartNational(nat, dir.Path("national.log"), "tcp://127.0.0.1:*", {"--manifest", dir.Path("m1.csv")});
  const auto start = SteadyClock::now();
  auto station = StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               LinkFlags(national.endpoint));
  const bool arrived = WaitFor([&] { return QueryInt(data, "SELECT count(*) FROM manifest") >= kOurs; }, 20s);
  const double first_s = SecondsSince(start);
  INFO("stationd log: " << dir.Path("stationd.log") << ", national log: " << dir.Path("national.log"));
  REQUIRE(arrived);  // a sync reply carries at most 5,000 rows: this took three pages

  auto held = StationManifest(data);
  CheckHeldAsSent(held, ours);
  CHECK(QueryInt(data, "SELECT count(*) FROM manifest WHERE dest_station != '571001'") == 0);
  CHECK(QueryInt(data, "SELECT count(*) FROM quarantine WHERE kind = 'manifest'") == 0);
  // The cursor is national's last sequence number for this station, stored
  // with the rows: a restart asks for nothing twice.
  const std::int64_t national_last = NationalInt(nat, "SELECT max(seq) FROM manifest WHERE dest_station = '571001'");
  CHECK(QueryInt(data, "SELECT manifest_seq FROM uplink_state") == national_last);
  CHECK(StatusJson(data)["manifest_rows"] == kOurs);
  auto counts = NationalQuery(nat);
  CHECK(counts["571001"]["manifest_rows"] == kOurs);
  CHECK(counts["310001"]["manifest_rows"] == theirs);
  const std::int64_t first_received = QueryInt(data, "SELECT max(received_ms) FROM manifest");

  // manifest-add beside both running processes: rows 0-99 as held, rows
  // 100-199 re-weighed and so is the last row served (the highest sequence
  // number), 1,000 new rows for 571001 and 5 for 310001.
  std::vector<ManifestRow> update;
  std::set<std::string> changed;
  for (int i = 0; i < 100; ++i) update.push_back(Row("571001", i));
  std::vector<int> reweighed;
  for (int i = 100; i < 200; ++i) reweighed.push_back(i);
  reweighed.push_back(kOurs - 1);
  for (int i : reweighed) {
    update.push_back(Row("571001", i, 2500));
    changed.insert(update.back().waybill);
    ours[update.back().waybill] = update.back();
  }
  for (int i = kOurs; i < kOurs + 1000; ++i) {
    update.push_back(Row("571001", i));
    ours[update.back().waybill] = update.back();
  }
  for (int i = 0; i < 5; ++i) update.push_back(Row("310001", 200000 + i));
  WriteManifest(dir.Path("m2.csv"), update);
  auto added = RunCommand({NationalSimPath(), "manifest-add", "--data-dir", nat, dir.Path("m2.csv"), "--json"}, 30s);
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  auto report = nlohmann::json::parse(added.out, nullptr, false);
  REQUIRE_FALSE(report.is_discarded());
  CHECK(report["added"] == 1005);
  CHECK(report["changed"] == 101);
  CHECK(report["unchanged"] == 100);
  CHECK(report["rejected"].empty());

  const auto second_start = SteadyClock::now();
  const bool updated = WaitFor(
      [&] {
        return QueryInt(data, "SELECT count(*) = 13000 AND sum(declared_weight_g = 2500) = 101 FROM manifest") == 1;
      },
      20s);
  const double second_s = SecondsSince(second_start);
  REQUIRE(updated);
  held = StationManifest(data);
  CheckHeldAsSent(held, ours);
  // Exactly the changed and the new rows were written again; the rest kept
  // the receive time of their first sync.
  std::set<std::string> rewritten;
  for (const auto& [waybill, h] : held) {
    if (h.received_ms > first_received) rewritten.insert(waybill);
  }
  CHECK(rewritten.size() == changed.size() + 1000);
  for (const std::string& waybill : changed) CHECK(rewritten.count(waybill) == 1);
  CHECK(QueryInt(data, "SELECT count(*) FROM manifest WHERE dest_station != '571001'") == 0);
  CHECK(QueryInt(data, "SELECT manifest_seq FROM uplink_state") ==
        NationalInt(nat, "SELECT max(seq) FROM manifest WHERE dest_station = '571001'"));
  CHECK(StatusJson(data)["manifest_rows"] == kOurs + 1000);
  counts = NationalQuery(nat);
  CHECK(counts["571001"]["manifest_rows"] == kOurs + 1000);
  CHECK(counts["310001"]["manifest_rows"] == theirs + 5);
  PrintFigures(
      "[manifest sync] %d rows at the station %.2f s after stationd started; 1,101 new and changed rows"
      " %.2f s after manifest-add\n",
      kOurs, first_s, second_s);
}

TEST_CASE("mail between two stationds through national-sim arrives once, across a SIGKILL of the recipient",
          "[integration][uplink]") {
  TempDir dir;
  const std::string a_data = dir.Path("a"), b_data = dir.Path("b"), nat = dir.Path("national");
  const std::string a_log = dir.Path("a.log"), b_log = dir.Path("b.log");
  auto national = StartNational(nat, dir.Path("national.log"));
  auto a = StartStationd(a_data, "571001", a_log, nullptr, "tcp://127.0.0.1:*", LinkFlags(national.endpoint));
  auto b = StartStationd(b_data, "310001", b_log, nullptr, "tcp://127.0.0.1:*", LinkFlags(national.endpoint));
  INFO("logs: " << a_log << " " << b_log << " " << dir.Path("national.log"));

  // Quotes, a backslash, a newline, a tab and Chinese: all kept as written.
  const std::string body1 = "缺失清单 d-1\n\t\"waybills\": [\"ZT7730012345678\"] \\ end";
  QueueMessage(a_data, "m-1", "310001", "missing_digest", body1);
  REQUIRE(WaitFor([&] { return InboxCount(b_data) >= 1 && PostedMs(a_data, "m-1") > 0; }, 20s));
  auto inbox = Inbox(b_data);
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].seq == 1);
  CHECK(inbox[0].from == "571001");
  CHECK(inbox[0].msg_id == "m-1");
  CHECK(inbox[0].kind == "missing_digest");
  CHECK(inbox[0].body == body1);
  CHECK(inbox[0].posted_ms > 1700000000000);
  CHECK(inbox[0].received_ms >= inbox[0].posted_ms - 60000);  // same machine; allow for clock steps
  CHECK(InboxCount(a_data) == 0);
  auto a_status = StatusJson(a_data);
  CHECK(a_status["outbox_waiting"] == 0);
  CHECK(a_status["inbox"] == 0);
  auto b_status = StatusJson(b_data);
  CHECK(b_status["inbox"] == 1);
  CHECK(b_status["outbox_waiting"] == 0);

  // B is killed; A posts two more, which national holds for B meanwhile.
  b.process.Signal(SIGKILL);
  b.process.Wait(5s);
  QueueMessage(a_data, "m-2", "310001", "missing_digest", "second");
  QueueMessage(a_data, "m-3", "310001", "note", "third: 第三");
  REQUIRE(WaitFor([&] { return OutboxWaiting(a_data) == 0; }, 20s));
  auto held = NationalQuery(nat);
  CHECK(held["310001"]["mailbox"]["held"] == 3);
  CHECK(held["310001"]["mailbox"]["latest_seq"] == 3);
  CHECK(InboxCount(b_data) == 1);
  // A message written at B while it is down waits in B's outbox.
  QueueMessage(b_data, "r-1", "571001", "reply", "got m-1");
  b_status = StatusJson(b_data);
  CHECK(b_status["outbox_waiting"] == 1);
  CHECK(b_status["inbox"] == 1);

  b = StartStationd(b_data, "310001", b_log, nullptr, "tcp://127.0.0.1:*", LinkFlags(national.endpoint));
  REQUIRE(
      WaitFor([&] { return InboxCount(b_data) >= 3 && OutboxWaiting(b_data) == 0 && InboxCount(a_data) >= 1; }, 20s));
  inbox = Inbox(b_data);
  REQUIRE(inbox.size() == 3);
  CHECK(InboxByMsgId(inbox) == std::map<std::string, int>{{"m-1", 1}, {"m-2", 1}, {"m-3", 1}});
  for (std::size_t i = 0; i < inbox.size(); ++i) {
    CHECK(inbox[i].seq == static_cast<std::int64_t>(i + 1));
    CHECK(inbox[i].from == "571001");
  }
  CHECK(inbox[0].body == body1);
  CHECK(inbox[1].body == "second");
  CHECK(inbox[2].kind == "note");
  CHECK(inbox[2].body == "third: 第三");
  auto a_inbox = Inbox(a_data);
  REQUIRE(a_inbox.size() == 1);
  CHECK(a_inbox[0].from == "310001");
  CHECK(a_inbox[0].msg_id == "r-1");
  CHECK(a_inbox[0].kind == "reply");
  CHECK(a_inbox[0].body == "got m-1");

  // Resends must change nothing. First A posts m-1 again (as after a SIGKILL
  // between national's commit and its own): national answers "duplicate" and
  // A marks it posted once more.
  const std::int64_t first_posted = PostedMs(a_data, "m-1");
  Unpost(a_data, "m-1");
  REQUIRE(WaitFor([&] { return PostedMs(a_data, "m-1") > 0; }, 20s));
  CHECK(PostedMs(a_data, "m-1") >= first_posted);
  // Then a raw resend of m-2 under A's name, with another body.
  auto dup = RawPost(national.endpoint, {"dup-1", "571001", "310001", "m-2", "missing_digest"}, "not the same body");
  REQUIRE(dup.ok());
  CHECK(dup->ok);
  CHECK(dup->duplicate);
  CHECK(dup->seq == 2);
  held = NationalQuery(nat);
  CHECK(held["310001"]["mailbox"]["held"] == 3);
  CHECK(held["310001"]["mailbox"]["latest_seq"] == 3);
  // A message posted after the resends: once B has it, B has synced past
  // anything they could have caused.
  auto marker = RawPost(national.endpoint, {"marker-1", "200001", "310001", "after-resends", "note"}, "marker");
  REQUIRE(marker.ok());
  CHECK(marker->ok);
  CHECK_FALSE(marker->duplicate);
  CHECK(marker->seq == 4);
  REQUIRE(WaitFor([&] { return InboxCount(b_data) >= 4; }, 20s));
  inbox = Inbox(b_data);
  CHECK(inbox.size() == 4);
  CHECK(InboxByMsgId(inbox) == std::map<std::string, int>{{"m-1", 1}, {"m-2", 1}, {"m-3", 1}, {"after-resends", 1}});
  REQUIRE(inbox.size() >= 2);
  CHECK(inbox[1].body == "second");  // the message held stands
  CHECK(inbox.back().from == "200001");
  held = NationalQuery(nat);
  CHECK(held["310001"]["mailbox"]["held"] == 4);
  CHECK(held["571001"]["mailbox"]["held"] == 1);
  CHECK(QueryInt(b_data, "SELECT mail_seq FROM uplink_state") == 4);

  a_status = StatusJson(a_data);
  CHECK(a_status["inbox"] == 1);
  CHECK(a_status["outbox_waiting"] == 0);
  b_status = StatusJson(b_data);
  CHECK(b_status["inbox"] == 4);
  CHECK(b_status["outbox_waiting"] == 0);
  CHECK(b_status["link_up"] == true);
}

// The bug: stationd sent a sync every heartbeat and applied only the reply
// to the latest one. When a sync took longer than a heartbeat, every reply
// came back after the next sync had gone out and was dropped: the station
// never got its manifest, and national served the same page over and over.
TEST_CASE("a sync slower than the heartbeat: the manifest arrives through a 150 ms link, each page served once",
          "[integration][uplink]") {
  TempDir dir;
  const std::string data = dir.Path("station"), nat = dir.Path("national");
  const std::string national_log = dir.Path("national.log");
  constexpr int kOurs = 12000;  // three pages of at most 5,000
  std::vector<ManifestRow> rows;
  std::map<std::string, ManifestRow> ours;
  for (int i = 0; i < kOurs; ++i) {
    rows.push_back(Row("571001", i));
    ours[rows.back().waybill] = rows.back();
  }
  WriteManifest(dir.Path("m.csv"), rows);

  auto national =
      StartNational(nat, national_log, "tcp://127.0.0.1:*", {"--manifest", dir.Path("m.csv"), "--log-level", "info"});
  // 150 ms each way: a round trip of 300 ms, longer than the 200 ms
  // heartbeat of LinkFlags.
  DelayProxy link(PortOf(national.endpoint), 150ms);
  const auto start = SteadyClock::now();
  auto station =
      StartStationd(data, "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*", LinkFlags(link.endpoint()));
  INFO("stationd log: " << dir.Path("stationd.log") << ", national log: " << national_log);
  const bool arrived = WaitFor([&] { return QueryInt(data, "SELECT count(*) FROM manifest") >= kOurs; }, 20s);
  const double arrived_s = SecondsSince(start);
  const int served = SyncsServedWithRows(national_log);
  INFO("manifest rows at the station: " << QueryInt(data, "SELECT count(*) FROM manifest") << " after " << arrived_s
                                        << " s; syncs national served with rows: " << served);
  // Three pages; one spare for a sync given up after the reply timeout on
  // a slow machine. Before the fix it was one per heartbeat.
  CHECK(served <= 4);
  REQUIRE(arrived);
  CheckHeldAsSent(StationManifest(data), ours);
  CHECK(QueryInt(data, "SELECT manifest_seq FROM uplink_state") ==
        NationalInt(nat, "SELECT max(seq) FROM manifest WHERE dest_station = '571001'"));

  // Uploads share the slow link and still go up.
  const std::string spool = dir.Path("spool");
  std::filesystem::create_directories(spool);
  constexpr int kScans = 20;
  WriteFileAtomically(spool + "/b0001.csv", MakeGunFile({"PDA-0001", "C1001", "571001", "20261124-0001", kScans, 1}));
  REQUIRE(DockOnce(station.endpoint, spool, 30s) == 0);
  const auto upload_start = SteadyClock::now();
  auto upload = RunCommand({StationctlPath(), "--data-dir", data, "upload", "--timeout", "30"}, 50s);
  const double upload_s = SecondsSince(upload_start);
  INFO(upload.out << upload.err);
  CHECK(upload.exit_code == 0);
  CHECK(NationalQuery(nat)["571001"]["scans"] == kScans);
  auto status = StatusJson(data);
  CHECK(status["link_up"] == true);
  CHECK(status["backlog"] == 0);
  // Heartbeat syncs since then found nothing new: no page was served again.
  CHECK(SyncsServedWithRows(national_log) == served);
  PrintFigures(
      "[slow link sync] %d rows at the station %.2f s after stationd started through a 150 ms one-way delay"
      " (heartbeat 200 ms); syncs served with rows=%d; %d scans uploaded in %.2f s\n",
      kOurs, arrived_s, served, kScans, upload_s);
}

TEST_CASE("a message national refuses for good is set aside with its reason, and the ones behind it go on",
          "[integration][uplink]") {
  TempDir dir;
  const std::string data = dir.Path("a"), nat = dir.Path("national");
  auto national = StartNational(nat, dir.Path("national.log"));
  auto a = StartStationd(data, "571001", dir.Path("a.log"), nullptr, "tcp://127.0.0.1:*", LinkFlags(national.endpoint));
  // More refused messages than the uplink offers at once (16), so a queue
  // that kept offering them would never reach the good one behind.
  for (int i = 0; i < 20; ++i) {
    QueueMessage(data, "bad-" + std::to_string(i), "310001", "no spaces allowed!", "x");
  }
  QueueMessage(data, "good-1", "310001", "missing_digest", "after the bad ones");
  REQUIRE(WaitFor([&] { return PostedMs(data, "good-1") > 0; }, 20s));
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox WHERE refused LIKE 'InvalidArgument%'") == 20);
  CHECK(QueryInt(data, "SELECT count(*) FROM outbox WHERE refused IS NOT NULL AND posted_ms IS NOT NULL") == 0);
  CHECK(OutboxWaiting(data) == 0);
  auto status = StatusJson(data);
  CHECK(status["outbox_waiting"] == 0);
  CHECK(status["outbox_refused"] == 20);
  auto text = RunCommand({StationctlPath(), "--data-dir", data, "status"}, 20s);
  CHECK_THAT(text.out, Catch::Contains("20 refused by national"));
  // National holds only the good one.
  CHECK(NationalInt(nat, "SELECT count(*) FROM mailbox WHERE recipient = '310001'") == 1);
}
