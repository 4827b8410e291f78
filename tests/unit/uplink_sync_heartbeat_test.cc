// The sync heartbeat without a socket: a sync every heartbeat even while one
// is unanswered, the link down only after silence of everything, and late
// replies applied without moving a cursor back.

#include <catch2/catch.hpp>

#include "daemon/storage/store.h"
#include "daemon/uplink/link_context.h"
#include "daemon/uplink/sync_heartbeat.h"
#include "daemon/uplink/uplink_store.h"
#include "tests/support/temp_dir.h"
#include "wire/national.h"

using namespace station;
using std::chrono::milliseconds;
using station::test::TempDir;

namespace {

// Records the syncs sent, as a connected DEALER would queue them.
class FakeSender final : public RequestSender {
 public:
  std::string NextReq(const char* prefix) override { return prefix + std::to_string(++serial_); }
  std::uint64_t serial() const override { return serial_; }
  bool Send(const std::string& header, const std::string*) override {
    auto sync = DecodeSyncRequest(header);
    REQUIRE(sync.ok());
    sent.push_back(*sync);
    return true;
  }
  std::vector<SyncRequest> sent;

 private:
  std::uint64_t serial_ = 0;
};

struct Link {
  Link() {
    REQUIRE(Store::Open(dir.Path("station.db")).ok());  // creates and migrates it
    auto opened = UplinkStore::Open(dir.Path("station.db"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    options.heartbeat_ms = 1000;
    options.reply_timeout_ms = 10'000;
  }
  SyncHeartbeat Heartbeat() { return SyncHeartbeat({options, code, *store, sender, status, jitter}, UplinkCursors{}); }

  TempDir dir;
  UplinkOptions options;
  std::string code = "571001";
  std::unique_ptr<UplinkStore> store;
  FakeSender sender;
  UplinkStatus status;
  Jitter jitter;
};

SyncReply Reply(const std::string& req, std::int64_t manifest_to) {
  SyncReply reply;
  reply.req = req;
  reply.ok = true;
  reply.manifest_to = manifest_to;
  return reply;
}

}  // namespace

TEST_CASE("a sync unanswered is replaced half a heartbeat later, not after the reply timeout",
          "[uplink][heartbeat]") {
  Link link;
  SyncHeartbeat heartbeat = link.Heartbeat();
  auto& sent = link.sender.sent;
  const auto t0 = SteadyClock::now();
  // Before any answer, how long national takes is unknown: a heartbeat.
  heartbeat.SendIfDue(t0, {});
  heartbeat.SendIfDue(t0 + milliseconds(999), {});
  REQUIRE(sent.size() == 1);
  heartbeat.OnReply(Reply(sent[0].req, 0), "", t0 + milliseconds(10));  // answered in 10 ms
  const auto t1 = t0 + milliseconds(1000);
  heartbeat.SendIfDue(t1, {"u1", "u2"});
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].uploads == std::vector<std::string>{"u1", "u2"});
  CHECK(heartbeat.AskedIn(sent[1].req) == std::vector<std::string>{"u1", "u2"});
  heartbeat.SendIfDue(t1 + milliseconds(499), {});
  CHECK(sent.size() == 2);
  // Its reply was lost: a new sync follows it up, and so on every 500 ms.
  for (int half = 1; half <= 6; ++half) heartbeat.SendIfDue(t1 + milliseconds(500 * half), {});
  CHECK(sent.size() == 8);
  // Answered: back to one a heartbeat.
  heartbeat.OnReply(Reply(sent.back().req, 0), "", t1 + milliseconds(3010));
  heartbeat.SendIfDue(t1 + milliseconds(3500), {});
  CHECK(sent.size() == 8);
  heartbeat.SendIfDue(t1 + milliseconds(4000), {});
  CHECK(sent.size() == 9);
}

TEST_CASE("the link is down only after the heartbeat timeout without any reply at all", "[uplink][heartbeat]") {
  Link link;
  SyncHeartbeat heartbeat = link.Heartbeat();
  const auto t0 = SteadyClock::now();
  CHECK(heartbeat.HeartbeatTimeoutMs() == 3000);
  CHECK(heartbeat.Contact(t0));  // comes up
  CHECK_FALSE(heartbeat.Contact(t0 + milliseconds(10)));
  // Any reply counts (an upload's, a post's): contact at 2.5 s.
  heartbeat.Contact(t0 + milliseconds(2500));
  CHECK_FALSE(heartbeat.Silent(t0 + milliseconds(5500)));
  CHECK(heartbeat.Silent(t0 + milliseconds(5501)));
  heartbeat.LinkDown();
  CHECK_FALSE(heartbeat.link_up());
  CHECK_FALSE(heartbeat.Silent(t0 + milliseconds(9000)));  // down already
  // The heartbeat goes on while down: a sync each second.
  heartbeat.SendIfDue(t0 + milliseconds(6000), {});
  heartbeat.SendIfDue(t0 + milliseconds(7000), {});
  CHECK(link.sender.sent.size() == 2);
  CHECK(heartbeat.Contact(t0 + milliseconds(7100)));
}

TEST_CASE("a late reply to a replaced sync is applied, and the cursor never moves back", "[uplink][heartbeat]") {
  Link link;
  SyncHeartbeat heartbeat = link.Heartbeat();
  auto& sent = link.sender.sent;
  const auto t0 = SteadyClock::now();
  heartbeat.SendIfDue(t0, {});
  heartbeat.SendIfDue(t0 + milliseconds(1000), {});
  REQUIRE(sent.size() == 2);
  heartbeat.OnReply(Reply(sent[1].req, 40), "", t0 + milliseconds(1010));
  heartbeat.OnReply(Reply(sent[0].req, 25), "", t0 + milliseconds(1020));  // the older one, late
  auto cursors = link.store->Load();
  REQUIRE(cursors.ok());
  CHECK(cursors->manifest_seq == 40);
  heartbeat.SendIfDue(t0 + milliseconds(2000), {});
  REQUIRE(sent.size() == 3);
  CHECK(sent[2].manifest_after == 40);
}

TEST_CASE("on a link slower than the heartbeat a sync is replaced only after twice its usual answer time",
          "[uplink][heartbeat]") {
  Link link;
  SyncHeartbeat heartbeat = link.Heartbeat();
  auto& sent = link.sender.sent;
  auto now = SteadyClock::now();
  heartbeat.SendIfDue(now, {});
  now += milliseconds(2500);  // answered 2.5 s after it was sent
  heartbeat.OnReply(Reply(sent[0].req, 0), "", now);
  // sent[0] was answered in 2.5 s: the next sync waits 5 s for its answer.
  heartbeat.SendIfDue(now, {});
  const std::size_t after = sent.size();
  heartbeat.SendIfDue(now + milliseconds(4900), {});
  CHECK(sent.size() == after);
  heartbeat.SendIfDue(now + milliseconds(5000), {});
  CHECK(sent.size() == after + 1);
}
