#include "daemon/uplink/uplink.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/log_text.h"
#include "daemon/uplink/link_context.h"
#include "daemon/uplink/national_connection.h"
#include "daemon/uplink/outbox_posts.h"
#include "daemon/uplink/surplus_lookups.h"
#include "daemon/uplink/sync_heartbeat.h"
#include "daemon/uplink/upload_window.h"
#include "wire/national.h"
#include "wire/upload.h"

namespace station {

using std::chrono::milliseconds;

// The uplink thread's state: the connection to national, the four
// protocols over it, and what they share. Members are built in the order
// written; each protocol holds references to those above it.
struct Uplink::Loop {
  Loop(zmq::context_t& context, std::string station_code, UplinkOptions link_options,
       std::unique_ptr<UplinkStore> uplink_store, const UplinkCursors& cursors, std::int64_t newest_id)
      : station(std::move(station_code)),
        options(std::move(link_options)),
        store(std::move(uplink_store)),
        connection(context, options, status, jitter),
        uploads(Context(), cursors, newest_id),
        heartbeat(Context(), cursors),
        posts(Context()),
        lookups(Context()) {}

  LinkContext Context() { return {options, station, *store, connection, status, jitter}; }

  bool Wait(int wake_fd);
  void Hurry(SteadyClock::time_point now);
  void Turn(SteadyClock::time_point now);
  void ReceiveReplies(SteadyClock::time_point now);
  void Dispatch(const NationalReply& reply, SteadyClock::time_point now);
  void OnContact(SteadyClock::time_point now);
  // No answer at all for the heartbeat timeout: the link is shown down,
  // and everything in flight waits for its own reply timeout.
  void Silence();
  // The connection closed (or the socket failed): whatever was in flight
  // on it is gone, and goes again as soon as the link is back.
  void ConnectionLost(const std::string& why, SteadyClock::time_point now);
  void Recover(const zmq::error_t& error);
  UplinkStatus Snapshot();

  const std::string station;
  const UplinkOptions options;
  std::unique_ptr<UplinkStore> store;
  UplinkStatus status;
  Jitter jitter;
  NationalConnection connection;
  UploadWindow uploads;
  SyncHeartbeat heartbeat;
  OutboxPosts posts;
  SurplusLookups lookups;
};

// Waits up to 50 ms for a reply, a monitor event or a wake-up. true when
// woken (the caller drains `wake_fd`).
bool Uplink::Loop::Wait(int wake_fd) {
  void* monitor = connection.monitor_handle();
  zmq::pollitem_t items[3] = {{connection.socket_handle(), 0, ZMQ_POLLIN, 0},
                              {nullptr, wake_fd, ZMQ_POLLIN, 0},
                              {monitor, monitor ? 0 : -1, ZMQ_POLLIN, 0}};
  zmq::poll(items, monitor ? 3 : 2, milliseconds(50));
  return items[1].revents & ZMQ_POLLIN;
}

// The clerk asked: retry now rather than at the end of a backoff.
void Uplink::Loop::Hurry(SteadyClock::time_point now) {
  if (!heartbeat.link_up()) connection.Connect();
  heartbeat.Hurry();
  uploads.Hurry(now);
}

// One turn of the loop, in the order the protocols take their turns.
void Uplink::Loop::Turn(SteadyClock::time_point now) {
  connection.ReadMonitor([this, now] { ConnectionLost("connection closed", now); });
  connection.ReconnectIfDue(now);
  ReceiveReplies(now);
  uploads.Refresh(now);
  if (heartbeat.Silent(now)) Silence();
  heartbeat.SendIfDue(now, uploads.Unanswered(kSyncUploadsAsked));
  if (heartbeat.link_up()) {
    uploads.Send(now);
    posts.Send(now);
    lookups.Send(now);
  }
  uploads.Advance();
}

void Uplink::Loop::ReceiveReplies(SteadyClock::time_point now) {
  while (auto reply = connection.Receive()) {
    OnContact(now);
    Dispatch(*reply, now);
  }
}

void Uplink::Loop::Dispatch(const NationalReply& reply, SteadyClock::time_point now) {
  const std::string_view text = reply.header.to_string_view();
  const std::string type = LinkMessageType(text);
  if (type == "upload_ack") {
    auto ack = DecodeUploadAck(text);
    if (ack.ok()) uploads.OnAck(*ack, now);
  } else if (type == "sync_ack") {
    auto sync = DecodeSyncReply(text);
    if (sync.ok()) {
      if (sync->ok) uploads.OnSyncAnswer(heartbeat.AskedIn(sync->req), sync->uploads, now);
      heartbeat.OnReply(*sync, reply.body_text(), now);
    } else {
      spdlog::error("unreadable sync reply from national: {}", LogText(sync.status().ToString()));
    }
  } else if (type == "lookup_ack") {
    auto lookup = DecodeLookupReply(text);
    if (lookup.ok()) {
      lookups.OnReply(*lookup, reply.body_text(), now);
    } else {
      spdlog::error("unreadable lookup reply from national: {}", LogText(lookup.status().ToString()));
    }
  } else if (type == "post_ack") {
    auto ack = DecodePostAck(text);
    if (ack.ok()) posts.OnAck(*ack);
  } else {
    spdlog::error("national answered with an error or an unknown message: {}", LogText(text, 300));
  }
}

void Uplink::Loop::OnContact(SteadyClock::time_point now) {
  if (!heartbeat.Contact(now)) return;
  connection.OnLinkUp();
  spdlog::info("national link up endpoint={} waiting={}", options.endpoint, uploads.waiting());
}

void Uplink::Loop::Silence() {
  spdlog::warn("national link down (no answer to anything for {} ms); {} uploads in flight wait for their replies",
               heartbeat.HeartbeatTimeoutMs(), uploads.in_flight());
  status.link_changed_ms = NowMs();
  heartbeat.LinkDown();
}

void Uplink::Loop::ConnectionLost(const std::string& why, SteadyClock::time_point now) {
  if (heartbeat.link_up()) {
    spdlog::warn("national link down ({}); {} uploads in flight go again when it is back", LogText(why), uploads.in_flight());
    status.link_changed_ms = NowMs();
  }
  heartbeat.ConnectionLost();
  uploads.ConnectionLost(now);
  posts.Forget();
  lookups.Forget();
}

void Uplink::Loop::Recover(const zmq::error_t& error) {
  spdlog::error("uplink socket error: {}; reconnecting", error.what());
  ConnectionLost(error.what(), SteadyClock::now());
  try {
    connection.Connect();
  } catch (const zmq::error_t&) {
    std::this_thread::sleep_for(milliseconds(1000));
  }
}

UplinkStatus Uplink::Loop::Snapshot() {
  status.configured = true;
  status.endpoint = options.endpoint;
  status.link_up = heartbeat.link_up();
  status.last_upload_ms = uploads.last_upload_ms();
  status.uploaded_upto = uploads.uploaded_upto();
  status.newest_scan_id = std::max(uploads.newest_id(), uploads.uploaded_upto());
  status.backlog = status.newest_scan_id - uploads.uploaded_upto();
  if (status.backlog == 0) status.oldest_waiting_ms = 0;
  return status;
}

Result<std::unique_ptr<Uplink>> Uplink::Start(zmq::context_t& context, const std::string& station,
                                             const std::string& station_db, const UplinkOptions& options,
                                             const std::string& vfs) {
  auto store = UplinkStore::Open(station_db, vfs);
  if (!store.ok()) return store.status();
  auto cursors = (*store)->Load();
  if (!cursors.ok()) return cursors.status();
  auto newest = (*store)->MaxScanId();
  if (!newest.ok()) return newest.status();
  std::unique_ptr<Uplink> uplink(new Uplink());
  uplink->loop_ = std::make_unique<Loop>(context, station, options, std::move(*store), *cursors, *newest);
  Loop& loop = *uplink->loop_;
  if (Status s = loop.store->CountSetAside(loop.status.set_aside, loop.status.set_aside_reason); !s.ok()) return s;
  try {
    loop.connection.Connect();
  } catch (const zmq::error_t& e) {
    return Status::InvalidArgument("--national " + options.endpoint, e.what());
  }
  uplink->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (uplink->wake_fd_ < 0) return Status::IOError("eventfd", std::strerror(errno));
  uplink->Publish(loop.Snapshot());
  uplink->thread_ = std::thread([u = uplink.get()] { u->Run(); });
  return uplink;
}

Uplink::~Uplink() {
  stop_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Uplink::Wake(bool now) {
  if (now) hurry_ = true;
  std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

UplinkStatus Uplink::Report() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Uplink::Publish(const UplinkStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  status_ = status;
}

void Uplink::Run() {
  Loop& loop = *loop_;
  spdlog::info("uplink started national={} uploaded_upto={} waiting={}", loop.options.endpoint,
               loop.uploads.uploaded_upto(), loop.uploads.waiting());
  while (!stop_) {
    try {
      const bool woken = loop.Wait(wake_fd_);
      if (stop_) break;
      const auto now = SteadyClock::now();
      if (woken) {
        std::uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof(count));
        loop.uploads.RefreshSoon();  // new scans: read the newest id now
      }
      if (hurry_.exchange(false)) loop.Hurry(now);
      loop.Turn(now);
      Publish(loop.Snapshot());
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      loop.Recover(e);
    }
  }
  spdlog::info("uplink stopped uploaded_upto={}", loop.uploads.uploaded_upto());
}

}  // namespace station
