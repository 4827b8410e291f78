// national-sim as a real process, the reference for the national side of the
// link (docs/protocol.md): uploads stored once before they are acked (also
// many at once, in one commit), manifests served in pages and again when
// they change, mail delivered once, bad requests refused without stopping
// good ones, and the fault switches doing what they say.

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "scanner/manifest.h"
#include "wire/national.h"
#include "wire/upload.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

using namespace station;
using namespace station::test;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct RunningNational {
  ChildProcess process;
  std::string endpoint;
};

RunningNational StartNational(const TempDir& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{NATIONAL_SIM_PATH, "--insecure", "--listen", "tcp://127.0.0.1:*", "--data-dir",
                                dir.Path("nat")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  RunningNational n{Spawn(argv, dir.Path("national.log")), ""};
  auto deadline = SteadyClock::now() + 10s;
  while (SteadyClock::now() < deadline) {
    std::ifstream in(dir.Path("nat/national-sim.json"));
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (!j.is_discarded() && j.value("pid", 0) == n.process.pid()) {
      n.endpoint = j.value("listen", std::string());
      return n;
    }
    if (!n.process.Running()) throw std::runtime_error("national-sim exited at start; see national.log");
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
  socket.set(zmq::sockopt::maxmsgsize, int64_t{64} << 20);
  socket.connect(endpoint);
  return socket;
}

// Sends one message of `frames` (a DEALER: no delimiter).
void Send(zmq::socket_t& socket, const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    socket.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

// One whole reply: its frames, the first decoded as JSON.
struct Reply {
  std::vector<std::string> frames;
  nlohmann::json header;
};
Result<Reply> Receive(zmq::socket_t& socket) {
  Reply r;
  for (;;) {
    zmq::message_t frame;
    if (!socket.recv(frame)) return Status::Unavailable("no reply");
    r.frames.push_back(frame.to_string());
    if (!frame.more()) break;
  }
  r.header = nlohmann::json::parse(r.frames[0], nullptr, false);
  return r;
}

Result<Reply> Call(zmq::socket_t& socket, const std::vector<std::string>& frames) {
  Send(socket, frames);
  return Receive(socket);
}

Result<UploadAck> Upload(zmq::socket_t& socket, const std::string& req, const std::string& body) {
  auto reply = Call(socket, {EncodeUploadHeader({req, "571001"}), body});
  if (!reply.ok()) return reply.status();
  return DecodeUploadAck(reply->frames[0]);
}

// A sync reply with its manifest frame read back.
struct Synced {
  SyncReply reply;
  int frames = 0;
  Manifest manifest;
};
Result<Synced> Sync(zmq::socket_t& socket, const std::string& req, const std::string& station,
                    std::int64_t manifest_after, std::int64_t mail_after) {
  auto reply = Call(socket, {EncodeSyncRequest({req, station, manifest_after, mail_after, {}})});
  if (!reply.ok()) return reply.status();
  auto decoded = DecodeSyncReply(reply->frames[0]);
  if (!decoded.ok()) return decoded.status();
  Synced synced{std::move(*decoded), static_cast<int>(reply->frames.size()), {}};
  if (synced.frames == 2) {
    auto manifest = ReadManifest(reply->frames[1]);
    if (!manifest.ok()) return manifest.status();
    synced.manifest = std::move(*manifest);
  }
  return synced;
}

Result<PostAck> Post(zmq::socket_t& socket, const std::string& req, const std::string& from, const std::string& to,
                     const std::string& msg_id, const std::string& body) {
  auto reply = Call(socket, {EncodePostRequest({req, from, to, msg_id, "missing_digest"}), body});
  if (!reply.ok()) return reply.status();
  return DecodePostAck(reply->frames[0]);
}

nlohmann::json Query(const TempDir& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{NATIONAL_SIM_PATH, "query", "--data-dir", dir.Path("nat"), "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = RunCommand(argv, 10s);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

// A manifest row for `dest`; `n` makes the waybill (carrier format: two
// letters and 13 digits).
ManifestRow Row(const std::string& dest, std::int64_t n, std::int64_t weight_g = 1000) {
  ManifestRow row;
  row.waybill = "ZT" + std::to_string(7730000000000 + n);
  row.origin_station = "310001";
  row.dest_station = dest;
  row.dispatched_at = "2026-11-23T22:10:00+08:00";
  row.bag = "BG3100010123";
  row.declared_weight_g = weight_g;
  row.recipient_phone = "13812345678";
  row.recipient_district = "西湖区";
  return row;
}

void WriteManifest(const std::string& path, const std::vector<ManifestRow>& rows, const std::string& extra = "") {
  std::string csv;
  AppendManifestCsvHeader(csv);
  for (const ManifestRow& row : rows) AppendManifestRow(csv, row);
  std::ofstream(path, std::ios::binary) << csv << extra;
}

std::int64_t Elapsed(SteadyClock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since).count();
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
  CHECK(bad->req == "u3");
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
  // Syncs are not uploads: they do not count towards --exit-after.
  REQUIRE(Sync(socket, "s1", "571001", 0, 0).ok());
  auto ack = Upload(socket, "u2", Body(10, 1));
  REQUIRE(ack.ok());
  CHECK(national.process.Wait(5s) == 3);
  CHECK(Query(dir)["stations"]["571001"]["scans"] == 3);
}

TEST_CASE("20 uploads sent at once are all acked, in order, and stored exactly once", "[integration][national]") {
  TempDir dir;
  auto national = StartNational(dir);
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 10000);
  // Sent without waiting, so they queue up and are read as one group; the
  // first five go twice, as resends in the same group.
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back("u" + std::to_string(i));
    Send(socket, {EncodeUploadHeader({sent.back(), "571001"}), Body(1 + i * 500, 500)});
  }
  for (int i = 0; i < 5; ++i) {
    sent.push_back("again" + std::to_string(i));
    Send(socket, {EncodeUploadHeader({sent.back(), "571001"}), Body(1 + i * 500, 500)});
  }
  int stored = 0, duplicates = 0;
  for (const std::string& req : sent) {
    auto reply = Receive(socket);
    REQUIRE(reply.ok());
    auto ack = DecodeUploadAck(reply->frames[0]);
    REQUIRE(ack.ok());
    CHECK(ack->ok);
    CHECK(ack->req == req);  // answered in the order they were sent
    stored += ack->stored;
    duplicates += ack->duplicates;
    if (req.rfind("again", 0) == 0) CHECK(ack->duplicates == 500);
  }
  CHECK(stored == 10000);
  CHECK(duplicates == 2500);
  auto counts = Query(dir);
  CHECK(counts["stations"]["571001"]["scans"] == 10000);
  CHECK(counts["stations"]["571001"]["duplicates_seen"] == 2500);
}

TEST_CASE("sync serves a station's manifest in pages of 5,000 and no other station's rows",
          "[integration][national]") {
  TempDir dir;
  std::vector<ManifestRow> rows;
  std::set<std::string> ours;
  for (int i = 0; i < 12000; ++i) {
    rows.push_back(Row("571001", i));
    ours.insert(rows.back().waybill);
    if (i % 1000 == 0) rows.push_back(Row("200001", 100000 + i));  // interleaved: not for 571001
  }
  std::filesystem::create_directories(dir.Path("nat"));
  WriteManifest(dir.Path("m.csv"), rows);
  auto national = StartNational(dir, {"--manifest", dir.Path("m.csv")});
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 10000);

  std::int64_t cursor = 0;
  std::set<std::string> served;
  const bool expected_more[] = {true, true, false};
  const std::size_t expected_rows[] = {5000, 5000, 2000};
  for (int page = 0; page < 3; ++page) {
    INFO("page " << page);
    auto synced = Sync(socket, "s" + std::to_string(page), "571001", cursor, 0);
    REQUIRE(synced.ok());
    REQUIRE(synced->reply.ok);
    CHECK(synced->frames == 2);
    CHECK(synced->reply.manifest_more == expected_more[page]);
    CHECK(synced->manifest.problems.empty());
    CHECK(synced->manifest.rows.size() == expected_rows[page]);
    CHECK(synced->reply.manifest_to > cursor);
    CHECK(synced->reply.now_ms > 1700000000000);
    cursor = synced->reply.manifest_to;
    for (const ManifestRow& row : synced->manifest.rows) {
      CHECK(row.dest_station == "571001");
      CHECK(served.insert(row.waybill).second);  // never twice
    }
  }
  CHECK(served == ours);

  // Nothing new: the header row only, and the cursor stays where it is.
  auto idle = Sync(socket, "s3", "571001", cursor, 0);
  REQUIRE(idle.ok());
  CHECK(idle->reply.manifest_to == cursor);
  CHECK_FALSE(idle->reply.manifest_more);
  CHECK(idle->frames == 2);
  CHECK(idle->manifest.rows.empty());

  auto other = Sync(socket, "o1", "200001", 0, 0);
  REQUIRE(other.ok());
  CHECK(other->manifest.rows.size() == 12);
  CHECK_FALSE(other->reply.manifest_more);

  auto counts = Query(dir, {"--station", "571001"});
  CHECK(counts["stations"].size() == 1);
  CHECK(counts["stations"]["571001"]["manifest_rows"] == 12000);
}

TEST_CASE("manifest-add beside a running national-sim: the next sync serves only new and changed rows",
          "[integration][national]") {
  TempDir dir;
  std::filesystem::create_directories(dir.Path("nat"));
  WriteManifest(dir.Path("a.csv"), {Row("571001", 1), Row("571001", 2), Row("571001", 3)});
  auto national = StartNational(dir, {"--manifest", dir.Path("a.csv")});
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 5000);
  auto before = Sync(socket, "s1", "571001", 0, 0);
  REQUIRE(before.ok());
  REQUIRE(before->manifest.rows.size() == 3);
  const std::int64_t cursor = before->reply.manifest_to;

  // Row 1 as held, row 2 re-weighed, row 4 new; line 5 names a bad station.
  WriteManifest(dir.Path("b.csv"), {Row("571001", 1), Row("571001", 2, 2500), Row("571001", 4)},
                "ZT7730000000005,310001,57100X,2026-11-23T22:10:00+08:00,,,,\n");
  auto added = RunCommand({NATIONAL_SIM_PATH, "manifest-add", "--data-dir", dir.Path("nat"), dir.Path("b.csv"),
                           "--json"},
                          30s);
  INFO(added.err);
  CHECK(added.exit_code == 1);  // a row was rejected; the others are loaded all the same
  auto report = nlohmann::json::parse(added.out, nullptr, false);
  REQUIRE_FALSE(report.is_discarded());
  CHECK(report["added"] == 1);
  CHECK(report["changed"] == 1);
  CHECK(report["unchanged"] == 1);
  REQUIRE(report["rejected"].size() == 1);
  CHECK(report["rejected"][0]["line"] == 5);
  CHECK_THAT(report["rejected"][0]["reason"].get<std::string>(), Catch::Contains("dest_station"));

  auto after = Sync(socket, "s2", "571001", cursor, 0);
  REQUIRE(after.ok());
  REQUIRE(after->manifest.rows.size() == 2);
  CHECK(after->manifest.rows[0].waybill == Row("571001", 2).waybill);
  CHECK(after->manifest.rows[0].declared_weight_g == 2500);
  CHECK(after->manifest.rows[1].waybill == Row("571001", 4).waybill);
  CHECK_FALSE(after->reply.manifest_more);
  CHECK(after->reply.manifest_to > cursor);
  // A station starting from nothing gets each waybill once, as now held.
  auto fresh = Sync(socket, "s3", "571001", 0, 0);
  REQUIRE(fresh.ok());
  CHECK(fresh->manifest.rows.size() == 4);

  // The same file again changes nothing; text output names the bad line.
  auto again = RunCommand({NATIONAL_SIM_PATH, "manifest-add", "--data-dir", dir.Path("nat"), dir.Path("b.csv")}, 30s);
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.out, Catch::Contains("0 added, 0 changed, 3 unchanged, 1 rejected"));
  CHECK_THAT(again.out, Catch::Contains("b.csv:5: "));
  WriteManifest(dir.Path("c.csv"), {Row("571001", 6)});
  auto clean = RunCommand({NATIONAL_SIM_PATH, "manifest-add", "--data-dir", dir.Path("nat"), dir.Path("c.csv")}, 30s);
  CHECK(clean.exit_code == 0);
  CHECK(Query(dir)["stations"]["571001"]["manifest_rows"] == 5);
}

TEST_CASE("a posted message reaches its recipient's sync once", "[integration][national]") {
  TempDir dir;
  auto national = StartNational(dir);
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 5000);
  const std::string body = "缺失清单 d-1\n\"waybills\": [\"ZT7730012345678\"]";

  auto posted = Post(socket, "p1", "200001", "571001", "d-20261124-1", body);
  REQUIRE(posted.ok());
  CHECK(posted->ok);
  CHECK(posted->req == "p1");
  CHECK(posted->msg_id == "d-20261124-1");
  CHECK(posted->seq == 1);
  CHECK_FALSE(posted->duplicate);
  auto resent = Post(socket, "p2", "200001", "571001", "d-20261124-1", body);
  REQUIRE(resent.ok());
  CHECK(resent->ok);
  CHECK(resent->duplicate);
  CHECK(resent->seq == 1);
  auto second = Post(socket, "p3", "200001", "571001", "d-20261124-2", "second");
  REQUIRE(second.ok());
  CHECK(second->seq == 2);
  // Each mailbox counts on its own; the same msg_id from another sender is another message.
  auto elsewhere = Post(socket, "p4", "200001", "310001", "d-20261124-3", "to another");
  REQUIRE(elsewhere.ok());
  CHECK(elsewhere->seq == 1);
  auto other_sender = Post(socket, "p5", "310001", "571001", "d-20261124-1", "same id, other sender");
  REQUIRE(other_sender.ok());
  CHECK_FALSE(other_sender->duplicate);
  CHECK(other_sender->seq == 3);

  auto synced = Sync(socket, "s1", "571001", 0, 0);
  REQUIRE(synced.ok());
  REQUIRE(synced->reply.mail.size() == 3);
  CHECK_FALSE(synced->reply.mail_more);
  const MailItem& m = synced->reply.mail[0];
  CHECK(m.seq == 1);
  CHECK(m.from == "200001");
  CHECK(m.msg_id == "d-20261124-1");
  CHECK(m.kind == "missing_digest");
  CHECK(m.body == body);
  CHECK(m.posted_ms > 1700000000000);
  CHECK(synced->reply.mail[2].from == "310001");

  auto caught_up = Sync(socket, "s2", "571001", 0, 3);
  REQUIRE(caught_up.ok());
  CHECK(caught_up->reply.mail.empty());
  auto partly = Sync(socket, "s3", "571001", 0, 1);
  REQUIRE(partly.ok());
  REQUIRE(partly->reply.mail.size() == 2);
  CHECK(partly->reply.mail[0].seq == 2);

  auto counts = Query(dir);
  CHECK(counts["stations"]["571001"]["mailbox"]["held"] == 3);
  CHECK(counts["stations"]["571001"]["mailbox"]["latest_seq"] == 3);
  CHECK(counts["stations"]["310001"]["mailbox"]["held"] == 1);
  CHECK(counts["stations"]["571001"]["scans"] == 0);
}

TEST_CASE("bad requests are refused, naming what is wrong, and good traffic carries on", "[integration][national]") {
  TempDir dir;
  auto national = StartNational(dir);
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 5000);

  SECTION("a post body too big") {
    auto big = Post(socket, "p1", "200001", "571001", "m1", std::string(kMaxPostBody + 1, 'x'));
    REQUIRE(big.ok());
    CHECK_FALSE(big->ok);
    CHECK(big->req == "p1");
    CHECK(big->msg_id == "m1");
    CHECK(big->code == "InvalidArgument");
    CHECK_THAT(big->error, Catch::Contains("65536"));
  }
  SECTION("a post to a bad station code") {
    auto reply = Call(socket, {R"({"type":"post","v":1,"req":"p2","station":"571001","to":"5710","msg_id":"m2",)"
                               R"("kind":"k"})",
                               "hello"});
    REQUIRE(reply.ok());
    CHECK(reply->header["type"] == "post_ack");
    CHECK(reply->header["ok"] == false);
    CHECK(reply->header["code"] == "InvalidArgument");
    CHECK_THAT(reply->header["error"].get<std::string>(), Catch::Contains("\"to\""));
  }
  SECTION("a post body that is not UTF-8") {
    auto bad = Post(socket, "p3", "200001", "571001", "m3", "caf\xe9");
    REQUIRE(bad.ok());
    CHECK(bad->code == "InvalidArgument");
    CHECK_THAT(bad->error, Catch::Contains("UTF-8"));
  }
  SECTION("a post without its body frame") {
    auto reply = Call(socket, {EncodePostRequest({"p4", "200001", "571001", "m4", "k"})});
    REQUIRE(reply.ok());
    CHECK(reply->header["type"] == "post_ack");
    CHECK(reply->header["code"] == "InvalidArgument");
  }
  SECTION("a sync with a body frame") {
    auto reply = Call(socket, {EncodeSyncRequest({"s1", "571001", 0, 0, {}}), "body"});
    REQUIRE(reply.ok());
    CHECK(reply->frames.size() == 1);  // a refusal has no manifest frame
    CHECK(reply->header["type"] == "sync_ack");
    CHECK(reply->header["req"] == "s1");
    CHECK(reply->header["code"] == "InvalidArgument");
  }
  SECTION("an unknown type") {
    auto reply = Call(socket, {R"({"type":"frobnicate","v":1,"req":"x1"})", "body"});
    REQUIRE(reply.ok());
    CHECK(reply->frames.size() == 1);
    CHECK(reply->header["type"] == "error");
    CHECK(reply->header["v"] == 1);
    CHECK(reply->header["req"] == "x1");
    CHECK(reply->header["ok"] == false);
    CHECK(reply->header["code"] == "InvalidArgument");
    CHECK_THAT(reply->header["error"].get<std::string>(), Catch::Contains("frobnicate"));
  }
  SECTION("a header that is not JSON, or has no type") {
    for (const char* header : {"not json at all", R"({"v":1,"req":"x2"})", ""}) {
      auto reply = Call(socket, {header});
      REQUIRE(reply.ok());
      CHECK(reply->header["type"] == "error");
      CHECK(reply->header["code"] == "InvalidArgument");
    }
  }
  SECTION("a header longer than 4096 bytes") {
    std::string header = R"({"type":"sync","v":1,"req":"s9","station":"571001","pad":")" + std::string(5000, 'x') +
                         "\"}";
    auto reply = Call(socket, {header});
    REQUIRE(reply.ok());
    CHECK(reply->header["type"] == "sync_ack");
    CHECK(reply->header["req"] == "s9");
    CHECK_THAT(reply->header["error"].get<std::string>(), Catch::Contains("4096"));
  }
  // Whatever was refused, the next good requests are served, and nothing
  // refused was stored.
  auto posted = Post(socket, "good-1", "200001", "571001", "ok-1", "fine");
  REQUIRE(posted.ok());
  CHECK(posted->ok);
  CHECK(posted->seq == 1);
  auto synced = Sync(socket, "good-2", "571001", 0, 0);
  REQUIRE(synced.ok());
  CHECK(synced->reply.ok);
  CHECK(synced->reply.mail.size() == 1);
  auto uploaded = Upload(socket, "good-3", Body(1, 2));
  REQUIRE(uploaded.ok());
  CHECK(uploaded->stored == 2);
}

TEST_CASE("national-sim --refuse 100 answers every request Unavailable and stores nothing", "[integration][national][fault]") {
  TempDir dir;
  auto national = StartNational(dir, {"--refuse", "100"});
  zmq::context_t context;
  zmq::socket_t socket = Connect(context, national.endpoint, 5000);

  auto upload = Upload(socket, "u1", Body(1, 3));
  REQUIRE(upload.ok());
  CHECK_FALSE(upload->ok);
  CHECK(upload->req == "u1");
  CHECK(upload->code == "Unavailable");
  CHECK(upload->error == "refused on purpose (--refuse)");
  auto post = Post(socket, "p1", "200001", "571001", "m1", "hello");
  REQUIRE(post.ok());
  CHECK_FALSE(post->ok);
  CHECK(post->code == "Unavailable");
  CHECK(post->msg_id == "m1");
  auto sync = Call(socket, {EncodeSyncRequest({"s1", "571001", 0, 0, {}})});
  REQUIRE(sync.ok());
  CHECK(sync->header["type"] == "sync_ack");
  CHECK(sync->header["ok"] == false);
  CHECK(sync->header["code"] == "Unavailable");
  CHECK(sync->header["error"] == "refused on purpose (--refuse)");

  national.process.Stop(5s);
  auto counts = Query(dir, {"--station", "571001"});
  CHECK(counts["stations"]["571001"]["scans"] == 0);
  CHECK(counts["stations"]["571001"]["mailbox"]["held"] == 0);
  CHECK(Query(dir)["stations"].empty());
}

TEST_CASE("national-sim --silent-after and --silent-ms: a pause, then what queued up is answered",
          "[integration][national][fault]") {
  TempDir dir;
  SECTION("after the first message") {
    auto national = StartNational(dir, {"--silent-after", "1", "--silent-ms", "1500"});
    zmq::context_t context;
    zmq::socket_t socket = Connect(context, national.endpoint, 10000);
    auto start = SteadyClock::now();
    REQUIRE(Sync(socket, "s1", "571001", 0, 0).ok());
    CHECK(Elapsed(start) < 1000);
    start = SteadyClock::now();
    auto second = Sync(socket, "s2", "571001", 0, 0);
    REQUIRE(second.ok());
    CHECK(second->reply.req == "s2");
    const std::int64_t waited = Elapsed(start);
    CHECK(waited >= 1300);
    CHECK(waited < 5000);
    start = SteadyClock::now();
    REQUIRE(Sync(socket, "s3", "571001", 0, 0).ok());  // once only
    CHECK(Elapsed(start) < 1000);
  }
  SECTION("from the start") {
    auto start = SteadyClock::now();
    auto national = StartNational(dir, {"--silent-after", "0", "--silent-ms", "800"});
    zmq::context_t context;
    zmq::socket_t socket = Connect(context, national.endpoint, 10000);
    auto upload = Upload(socket, "u1", Body(1, 1));
    REQUIRE(upload.ok());
    CHECK(upload->ok);
    CHECK(Elapsed(start) >= 700);
  }
}

TEST_CASE("national-sim refuses bad flags with a usage error", "[integration][national]") {
  TempDir dir;
  const std::vector<std::vector<std::string>> bad = {
      {"--refuse", "101"},
      {"--drop-replies", "-1"},
      {"--exit-after", "-2"},
      {"--silent-ms", "100"},
      {"--silent-after", "1"},
      {"--silent-after", "1", "--silent-ms", "0"},
      {"--waybill", "ZT7730012345678"},
      {"query", "--refuse", "5"},
      {"query", "--station", "57"},
      {"manifest-add"},
      {"frobnicate"},
  };
  for (const auto& flags : bad) {
    std::vector<std::string> argv{NATIONAL_SIM_PATH, "--data-dir", dir.Path("nat")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto r = RunCommand(argv, 10s);
    INFO(flags[0] << " -> " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("national-sim: "));
  }
  auto missing = RunCommand({NATIONAL_SIM_PATH, "--data-dir", dir.Path("nat"), "--manifest", dir.Path("none.csv"),
                             "--listen", "tcp://127.0.0.1:*"},
                            10s);
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("none.csv"));
}
