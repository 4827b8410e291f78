// The upload window without a socket: which uploads go out and when, and
// how far the cursor in station.db moves as they are answered.

#include <catch2/catch.hpp>

#include "daemon/storage/store.h"
#include "daemon/uplink/link_context.h"
#include "daemon/uplink/upload_window.h"
#include "daemon/uplink/uplink_store.h"
#include "scanner/batch_file.h"
#include "tests/support/gun_files.h"
#include "tests/support/temp_dir.h"
#include "wire/upload.h"

using namespace station;
using std::chrono::milliseconds;
using station::test::TempDir;

namespace {

// Records what the window sends, as a connected DEALER would queue it.
class FakeSender final : public RequestSender {
 public:
  struct Sent {
    std::string req;
    std::int64_t first_id = 0, last_id = 0;  // the scans the body carries
  };

  std::string NextReq(const char* prefix) override { return prefix + std::to_string(++serial_); }
  std::uint64_t serial() const override { return serial_; }
  bool Send(const std::string& header, const std::string* body) override {
    auto decoded = DecodeUploadHeader(header);
    REQUIRE(decoded.ok());
    REQUIRE(body != nullptr);
    auto scans = ReadUploadBody(*body);
    REQUIRE(scans.ok());
    REQUIRE(!scans->empty());
    sent.push_back({decoded->req, scans->front().id, scans->back().id});
    return true;
  }

  std::vector<Sent> sent;

 private:
  std::uint64_t serial_ = 0;
};

// A station.db holding scans 1..`scans`, and everything a window is handed.
struct Station {
  Station(int scans, int upload_scans, int reply_timeout_ms) {
    {
      auto ingest = Store::Open(dir.Path("station.db"));
      REQUIRE(ingest.ok());
      const std::string text = test::MakeGunFile({"PDA-7", "C7", "571001", "b7", scans, 3});
      std::vector<IngestItem> items(1);
      items[0].req = "r";
      items[0].body = HeldBytes::Copy(text);
      auto batch = ReadBatch(items[0].body.view());
      REQUIRE(batch.ok());
      items[0].batch = std::move(*batch);
      REQUIRE((*ingest)->Save(items, 1000).ok());
    }
    auto opened = UplinkStore::Open(dir.Path("station.db"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    options.upload_scans = upload_scans;
    options.reply_timeout_ms = reply_timeout_ms;
  }

  LinkContext Link() { return {options, code, *store, sender, status, jitter}; }
  UplinkCursors Cursors() {
    auto cursors = store->Load();
    REQUIRE(cursors.ok());
    return *cursors;
  }
  UploadWindow Window() {
    auto newest = store->MaxScanId();
    REQUIRE(newest.ok());
    return UploadWindow(Link(), Cursors(), *newest);
  }

  TempDir dir;
  UplinkOptions options;
  std::string code = "571001";
  std::unique_ptr<UplinkStore> store;
  FakeSender sender;
  UplinkStatus status;
  Jitter jitter;
};

UploadAck Ok(const std::string& req, int stored) {
  UploadAck ack;
  ack.req = req;
  ack.ok = true;
  ack.stored = stored;
  return ack;
}

UploadAck Refused(const std::string& req) {
  UploadAck ack;
  ack.req = req;
  ack.code = "Unavailable";
  ack.error = "national is busy";
  return ack;
}

}  // namespace

TEST_CASE("the upload cursor moves only over a contiguous run of acknowledged uploads", "[uplink][window]") {
  Station station(30, 10, 10'000);
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].first_id == 1);
  CHECK(sent[0].last_id == 10);
  CHECK(sent[2].last_id == 30);
  CHECK(window.in_flight() == 3);

  // The second answered first: the first's reply (or request) was lost.
  // Nothing goes again until a sync asks national about it.
  window.OnAck(Ok(sent[1].req, 10), t0);
  CHECK(sent.size() == 3);
  CHECK(window.Unanswered(64) == std::vector<std::string>{sent[0].req, sent[2].req});
  window.Advance();
  CHECK(window.uploaded_upto() == 0);

  window.OnAck(Ok(sent[2].req, 10), t0);
  // National never got the first: it goes again, now.
  window.OnSyncAnswer({sent[0].req}, {}, t0);
  window.Send(t0);
  REQUIRE(sent.size() == 4);
  CHECK(sent[3].first_id == 1);
  CHECK(station.status.resends == 1);
  // The first send's answer comes late: that send was superseded.
  window.OnAck(Ok(sent[0].req, 10), t0);
  window.Advance();
  CHECK(window.uploaded_upto() == 0);
  CHECK(window.last_upload_ms() == 0);

  window.OnAck(Ok(sent[3].req, 10), t0);
  window.Advance();
  CHECK(window.uploaded_upto() == 30);
  CHECK(window.last_upload_ms() > 0);
  CHECK(window.in_flight() == 0);
  CHECK(window.waiting() == 0);
  CHECK(station.status.uploaded_this_run == 30);
  CHECK(station.Cursors().uploaded_upto == 30);
}

TEST_CASE("a lost upload reply is settled by national's answer to a sync, without a resend", "[uplink][window]") {
  Station station(20, 10, 10'000);
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 2);
  window.OnAck(Ok(sent[1].req, 10), t0);
  const std::vector<std::string> asked = window.Unanswered(64);
  REQUIRE(asked == std::vector<std::string>{sent[0].req});
  UploadAck held = Ok(sent[0].req, 10);
  held.last_id = 10;
  window.OnSyncAnswer(asked, {held}, t0);
  window.Send(t0 + milliseconds(20'000));  // long past any timeout: nothing is due
  CHECK(sent.size() == 2);
  CHECK(station.status.resends == 0);
  window.Advance();
  CHECK(window.uploaded_upto() == 20);
}

TEST_CASE("a sync's answer about an upload is taken only when its last_id is the upload's", "[uplink][window]") {
  Station station(20, 10, 10'000);
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  UploadAck other = Ok(sent[0].req, 10);
  other.last_id = 999;  // a reply national remembers under this req, to another upload
  window.OnSyncAnswer({sent[0].req}, {other}, t0);
  window.Advance();
  CHECK(window.uploaded_upto() == 0);
  window.Send(t0);
  REQUIRE(sent.size() == 3);  // taken as never arrived: sent again
  CHECK(sent[2].first_id == 1);
}

TEST_CASE("an unanswered upload is sent again after its reply timeout, doubling up to 60 s", "[uplink][window]") {
  Station station(5, 10, 1000);
  UploadWindow window = station.Window();
  auto now = SteadyClock::now();
  window.Send(now);
  REQUIRE(station.sender.sent.size() == 1);
  int timeout_ms = 1000;
  for (int resend = 1; resend <= 9; ++resend) {
    // Jittered by +-20 %.
    window.Send(now + milliseconds(timeout_ms * 4 / 5 - 1));
    CHECK(station.sender.sent.size() == static_cast<std::size_t>(resend));
    now += milliseconds(timeout_ms * 6 / 5);
    window.Send(now);
    REQUIRE(station.sender.sent.size() == static_cast<std::size_t>(resend + 1));
    CHECK(station.status.resends == resend);
    timeout_ms = std::min(timeout_ms * 2, 60'000);
  }
  CHECK(timeout_ms == 60'000);
  CHECK(station.sender.sent.back().first_id == 1);
  CHECK(station.sender.sent.back().last_id == 5);
}

TEST_CASE("a refused upload waits a backoff from 1 s, doubling, and is no resend", "[uplink][window]") {
  Station station(5, 10, 10'000);
  UploadWindow window = station.Window();
  auto now = SteadyClock::now();
  window.Send(now);
  auto& sent = station.sender.sent;
  int backoff_ms = 1000;
  for (int refusal = 1; refusal <= 3; ++refusal) {
    window.OnAck(Refused(sent.back().req), now);
    CHECK(station.status.last_error == "Unavailable: national is busy");
    window.Send(now + milliseconds(backoff_ms * 4 / 5 - 1));
    CHECK(sent.size() == static_cast<std::size_t>(refusal));
    now += milliseconds(backoff_ms * 6 / 5);
    window.Send(now);
    REQUIRE(sent.size() == static_cast<std::size_t>(refusal + 1));
    backoff_ms *= 2;
  }
  CHECK(station.status.resends == 0);
  window.OnAck(Ok(sent.back().req, 5), now);
  CHECK(station.status.last_error.empty());
  window.Advance();
  CHECK(window.uploaded_upto() == 5);
}

TEST_CASE("the clerk's hurry cuts a refusal's backoff short, and leaves an unanswered upload to the sync",
          "[uplink][window]") {
  Station station(20, 10, 10'000);
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 2);
  window.OnAck(Refused(sent[0].req), t0);  // the second's reply is lost
  window.Hurry(t0);
  window.Send(t0);
  REQUIRE(sent.size() == 3);
  CHECK(sent[2].first_id == 1);
  CHECK(station.status.resends == 0);
}

TEST_CASE("a refused upload is not sent again at once when a later one is answered", "[uplink][window]") {
  Station station(20, 10, 10'000);
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 2);
  window.OnAck(Refused(sent[0].req), t0);
  window.OnAck(Ok(sent[1].req, 10), t0);
  CHECK(sent.size() == 2);
  CHECK(station.status.resends == 0);
}

TEST_CASE("a closed connection sends the unanswered uploads again at once, and keeps the acknowledged",
          "[uplink][window]") {
  Station station(30, 10, 10'000);
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 3);
  window.OnAck(Ok(sent[1].req, 10), t0);

  window.ConnectionLost(t0);
  CHECK(window.in_flight() == 3);
  window.Send(t0);
  REQUIRE(sent.size() == 5);  // the first and the third, not the second
  CHECK(sent[3].first_id == 1);
  CHECK(sent[4].first_id == 21);
  CHECK(station.status.resends == 2);
  // Their timeouts did not double: the next resend is one reply timeout away.
  window.Send(t0 + milliseconds(12'001));
  CHECK(sent.size() == 7);
}

TEST_CASE("an upload refused InvalidArgument is split until the refused scan is alone, then set aside",
          "[uplink][window][poison]") {
  Station station(8, 8, 10'000);
  UploadWindow window = station.Window();
  auto now = SteadyClock::now();
  window.Send(now);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 1);
  // National refuses any upload holding scan 6; takes the others.
  std::size_t answered = 0;
  for (int turn = 0; turn < 40 && window.uploaded_upto() < 8; ++turn) {
    for (; answered < sent.size(); ++answered) {  // a split sends its halves at once: answered too
      const FakeSender::Sent s = sent[answered];
      UploadAck ack = Ok(s.req, static_cast<int>(s.last_id - s.first_id + 1));
      ack.last_id = s.last_id;
      if (s.first_id <= 6 && 6 <= s.last_id) {
        ack.ok = false;
        ack.code = "InvalidArgument";
        ack.error = "scan 6: waybill ZT1 is refused";
      }
      window.OnAck(ack, now);
    }
    window.Advance();
    now += milliseconds(70'000);  // past any backoff
    window.Send(now);
  }
  CHECK(window.uploaded_upto() == 8);
  CHECK(station.status.set_aside == 1);
  CHECK(station.status.set_aside_reason == "national refused it (InvalidArgument): scan 6: waybill ZT1 is refused");
  std::int64_t count = 0;
  std::string reason;
  REQUIRE(station.store->CountSetAside(count, reason).ok());
  CHECK(count == 1);
  CHECK(reason == station.status.set_aside_reason);
  // Halves of 8, 4, 2: each refused three times before it is split.
  std::size_t sends_of_6 = 0;
  for (const auto& s : sent) sends_of_6 += s.first_id <= 6 && 6 <= s.last_id;
  CHECK(sends_of_6 == 4 * kInvalidTries);
}

TEST_CASE("a national refusing every upload InvalidArgument gets nothing set aside, and splits stay in the window",
          "[uplink][window][poison]") {
  // A version or format national does not take: every upload refused. With
  // no upload taken since, the refusal says nothing about one scan.
  Station station(40, 10, 10'000);
  station.options.window = 3;
  UploadWindow window = station.Window();
  auto now = SteadyClock::now();
  window.Send(now);
  auto& sent = station.sender.sent;
  std::size_t answered = 0;
  for (int turn = 0; turn < 60; ++turn) {
    for (; answered < sent.size(); ++answered) {
      UploadAck ack = Refused(sent[answered].req);
      ack.code = "InvalidArgument";
      ack.error = "upload v 1 is no longer taken";
      window.OnAck(ack, now);
      CHECK(window.in_flight() <= 3);
    }
    window.Advance();
    now += milliseconds(70'000);
    window.Send(now);
  }
  CHECK(station.status.set_aside == 0);
  CHECK(window.uploaded_upto() == 0);
  std::int64_t count = -1;
  std::string reason;
  REQUIRE(station.store->CountSetAside(count, reason).ok());
  CHECK(count == 0);
}

TEST_CASE("an upload refused Unavailable is retried for as long as it takes, never set aside",
          "[uplink][window][poison]") {
  Station station(5, 10, 10'000);
  UploadWindow window = station.Window();
  auto now = SteadyClock::now();
  window.Send(now);
  auto& sent = station.sender.sent;
  for (int refusal = 0; refusal < 10; ++refusal) {
    window.OnAck(Refused(sent.back().req), now);
    now += milliseconds(80'000);
    window.Send(now);
  }
  CHECK(sent.size() == 11);
  CHECK(station.status.set_aside == 0);
  window.Advance();
  CHECK(window.uploaded_upto() == 0);
}

TEST_CASE("the window holds at most options.window uploads in flight", "[uplink][window]") {
  Station station(50, 10, 10'000);
  station.options.window = 2;
  UploadWindow window = station.Window();
  const auto t0 = SteadyClock::now();
  window.Send(t0);
  auto& sent = station.sender.sent;
  REQUIRE(sent.size() == 2);
  window.OnAck(Ok(sent[1].req, 10), t0);  // the first is still in flight
  window.Advance();
  window.Send(t0);
  CHECK(sent.size() == 2);
  window.OnAck(Ok(sent[0].req, 10), t0);
  window.Advance();
  CHECK(window.uploaded_upto() == 20);
  window.Send(t0);
  REQUIRE(sent.size() == 4);
  CHECK(sent[2].first_id == 21);
  CHECK(sent[3].last_id == 40);
}
