#include "daemon/uplink/uplink.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <random>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "scanner/identifiers.h"
#include "scanner/manifest.h"
#include "wire/upload.h"

namespace station {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMaxBackoffMs = 60'000;
constexpr int kPostsInFlight = 16;
// A surplus waybill national did not know is asked again after this long:
// a manifest may reach national after the parcel reached us.
constexpr std::int64_t kLookupAgainMs = 24 * 3600 * 1000;

// One upload sent and not yet settled.
struct InFlight {
  std::string req;
  std::int64_t last_id = 0;  // it holds the scans with id in (previous upload's last_id, last_id]
  int count = 0;
  std::string body;
  std::uint64_t send_order = 0;  // when it was last sent
  SteadyClock::time_point resend_at;
  int timeout_ms = 0;      // reply timeout, doubling with each resend
  int backoff_ms = 1000;   // wait after a refusal, doubling
  bool refused = false;    // answered "not now": wait for resend_at
  bool acked = false;
};

}  // namespace

struct Uplink::Loop {
  zmq::context_t& context;
  std::string station;
  UplinkOptions options;
  std::unique_ptr<UplinkStore> store;
  std::unique_ptr<zmq::socket_t> socket;
  std::unique_ptr<zmq::socket_t> monitor;
  int monitor_serial = 0;
  SteadyClock::time_point next_auth_log{};
  // libzmq gives up on a connection whose key was refused (a protocol
  // error ends the session, no reconnect); so do we, for a while, then try
  // afresh with a new socket: the key may have been enrolled meanwhile.
  std::optional<SteadyClock::time_point> reconnect_at;
  int auth_backoff_ms = 2000;
  std::mt19937 rng{std::random_device{}()};

  UplinkCursors cursors;
  std::int64_t sent_upto = 0;  // the last scan id handed to an upload
  std::int64_t newest_id = 0;  // the newest scan committed, as last read
  std::deque<InFlight> in_flight;
  struct Post {
    std::string msg_id;
    SteadyClock::time_point resend_at;
  };
  std::map<std::string, Post> posts;  // by req
  SteadyClock::time_point next_posts_check{};
  std::uint64_t serial = 0;  // for req ids and the send order
  bool link_up = false;
  SteadyClock::time_point last_contact{};
  SteadyClock::time_point last_sync_sent{};
  // One sync in flight at a time: on a link slower than the heartbeat, a
  // new sync each heartbeat would queue page after page behind each other.
  // It is given up (and sent again) only after the reply timeout or when
  // the link goes down.
  std::string sync_req;             // the sync in flight, "" when none
  bool sync_more = false;           // national said "more": sync again at once
  // Lookups of surplus parcels (docs/protocol.md, "Lookup"), with the sync's
  // discipline: one in flight, given up and sent again after the reply
  // timeout or when the link goes down. A refusal backs off 1 s to 60 s.
  std::string lookup_req;           // the lookup in flight, "" when none
  std::size_t lookup_asked = 0;     // how many waybills it asks about
  SteadyClock::time_point next_lookup{};  // when to look at the lookup queue again
  int lookup_backoff_ms = 1000;
  std::int64_t lookups_queued_run = -1;  // the reconciliation run whose surplus was queued last
  SteadyClock::time_point next_refresh{};
  UplinkStatus status;

  Loop(zmq::context_t& c, std::string s, UplinkOptions o, std::unique_ptr<UplinkStore> st)
      : context(c), station(std::move(s)), options(std::move(o)), store(std::move(st)) {}

  int HeartbeatTimeoutMs() const { return std::max(3 * options.heartbeat_ms, 3000); }

  void Connect() {
    reconnect_at.reset();
    monitor.reset();
    socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    socket->set(zmq::sockopt::linger, 0);
    socket->set(zmq::sockopt::immediate, 1);
    socket->set(zmq::sockopt::sndhwm, std::max(4 * options.window, 256));
    socket->set(zmq::sockopt::maxmsgsize, int64_t{64} << 20);
    socket->set(zmq::sockopt::heartbeat_ivl, 10 * options.heartbeat_ms);
    socket->set(zmq::sockopt::heartbeat_timeout, 30 * options.heartbeat_ms);
    socket->set(zmq::sockopt::heartbeat_ttl, 30 * options.heartbeat_ms);
    socket->set(zmq::sockopt::reconnect_ivl, 1000);
    socket->set(zmq::sockopt::reconnect_ivl_max, options.reconnect_max_ms);
    socket->set(zmq::sockopt::tcp_keepalive, 1);
    socket->set(zmq::sockopt::tcp_keepalive_idle, 60);
    socket->set(zmq::sockopt::tcp_keepalive_intvl, 10);
    socket->set(zmq::sockopt::tcp_keepalive_cnt, 6);
    security::ApplyClientSecurity(*socket, options.security);
    // The monitor is connected before the socket connects (RELIABILITY V13).
    const std::string monitor_endpoint = "inproc://uplink-monitor-" + std::to_string(++monitor_serial);
    if (zmq_socket_monitor(socket->handle(), monitor_endpoint.c_str(),
                           ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
      monitor = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
      monitor->set(zmq::sockopt::linger, 0);
      monitor->connect(monitor_endpoint);
    }
    socket->connect(options.endpoint);
  }

  std::string NextReq(const char* prefix) { return prefix + std::to_string(++serial); }

  // false when it could not be queued (no connection yet, or the queue is full).
  bool Send(const std::string& header, const std::string* body) {
    try {
      auto flags = body ? zmq::send_flags::dontwait | zmq::send_flags::sndmore : zmq::send_flags::dontwait;
      if (!socket->send(zmq::buffer(header), flags)) return false;
      if (body) socket->send(zmq::buffer(*body), zmq::send_flags::dontwait);
      return true;
    } catch (const zmq::error_t& e) {
      spdlog::debug("uplink send failed error=\"{}\"", e.what());
      return false;
    }
  }

  int Jitter(int ms) {
    std::uniform_int_distribution<int> d(-ms / 5, ms / 5);
    return ms + d(rng);
  }

  void SendUpload(InFlight& item, SteadyClock::time_point now) {
    item.req = NextReq("u");
    item.send_order = serial;
    item.refused = false;
    item.resend_at = now + milliseconds(Jitter(item.timeout_ms));
    // Not queued (no connection): its timer sends it again.
    if (!Send(EncodeUploadHeader({item.req, station}), &item.body)) item.resend_at = now + milliseconds(100);
  }

  void SendSync(SteadyClock::time_point now) {
    sync_req = NextReq("s");
    last_sync_sent = now;
    sync_more = false;
    SyncRequest request{sync_req, station, cursors.manifest_seq, cursors.mail_seq};
    // Not queued: no connection yet (ZMQ_IMMEDIATE). Try again in 100 ms
    // rather than a heartbeat later, so a link that comes back (or that the
    // clerk's upload reconnected) is found at once. Costs nothing on the wire.
    if (!Send(EncodeSyncRequest(request), nullptr)) {
      sync_req.clear();
      last_sync_sent = now - milliseconds(options.heartbeat_ms) + milliseconds(100);
    }
  }

  // Whether a sync is due: none in flight and a heartbeat passed (or
  // national has more), or the one in flight is past the reply timeout.
  bool SyncDue(SteadyClock::time_point now) const {
    if (!sync_req.empty()) return now - last_sync_sent >= milliseconds(options.reply_timeout_ms);
    return (sync_more && link_up) || now - last_sync_sent >= milliseconds(options.heartbeat_ms);
  }

  void LinkDown(const std::string& why) {
    if (link_up) {
      spdlog::warn("national link down ({}); {} uploads in flight go back to waiting", why, in_flight.size());
      status.link_changed_ms = NowMs();
    }
    link_up = false;
    // Everything in flight is sent again from the cursor once the link is back.
    in_flight.clear();
    sent_upto = cursors.uploaded_upto;
    posts.clear();
    sync_req.clear();
    lookup_req.clear();
    next_lookup = {};  // ask again as soon as the link is back
  }

  void Contact(SteadyClock::time_point now) {
    last_contact = now;
    status.last_contact_ms = NowMs();
    if (!link_up) {
      link_up = true;
      auth_backoff_ms = 2000;
      if (status.last_error.rfind("national refused this station's key", 0) == 0) status.last_error.clear();
      status.link_changed_ms = status.last_contact_ms;
      spdlog::info("national link up endpoint={} waiting={}", options.endpoint, newest_id - cursors.uploaded_upto);
    }
  }

  // Replies come back in the order national received the requests, so an
  // upload still unanswered when a later request is answered has lost its
  // reply or its request: it is sent again now rather than at its timeout.
  void FastResend(std::uint64_t answered_order, SteadyClock::time_point now) {
    for (InFlight& f : in_flight) {
      if (!f.acked && !f.refused && f.send_order < answered_order) {
        ++status.resends;
        SendUpload(f, now);
      }
    }
  }

  void OnUploadAck(const UploadAck& ack, SteadyClock::time_point now) {
    auto it = std::find_if(in_flight.begin(), in_flight.end(), [&](const InFlight& f) { return f.req == ack.req; });
    if (it == in_flight.end()) return;  // an answer to an earlier send of an upload already settled
    const std::uint64_t order = it->send_order;
    if (!ack.ok) {
      status.last_error = ack.code + ": " + ack.error;
      it->refused = true;
      it->resend_at = now + milliseconds(Jitter(it->backoff_ms));
      it->backoff_ms = std::min(it->backoff_ms * 2, kMaxBackoffMs);
      spdlog::warn("national refused an upload of {} scans ({}); trying again in about {} ms", it->count,
                   status.last_error, it->backoff_ms / 2);
    } else {
      it->acked = true;
      std::string().swap(it->body);
      status.uploaded_this_run += ack.stored;
      status.last_error.clear();
    }
    FastResend(order, now);
  }

  void OnSyncAck(const SyncReply& reply, const zmq::message_t* manifest_csv, SteadyClock::time_point now) {
    if (reply.req == sync_req) sync_req.clear();
    // An older sync's answer (one given up after the reply timeout) is still
    // good: replies come in the order of the requests, so it is not older
    // than what was applied, unless the cursor is already past it.
    if (reply.manifest_to < cursors.manifest_seq) return;
    if (!reply.ok) {
      status.last_error = reply.code + ": " + reply.error;
      return;
    }
    Manifest manifest;
    if (manifest_csv && manifest_csv->size() > 0) {
      auto read = ReadManifest(manifest_csv->to_string_view());
      if (!read.ok()) {
        spdlog::error("national sent a manifest this station cannot read: {}", read.status().ToString());
        status.last_error = "manifest from national: " + read.status().message();
        return;
      }
      manifest = std::move(*read);
    }
    if (manifest.rows.empty() && manifest.problems.empty() && reply.mail.empty() &&
        reply.manifest_to <= cursors.manifest_seq) {
      return;  // nothing new: no write
    }
    auto applied = store->ApplySync(manifest, reply.manifest_to, reply.mail, NowMs());
    if (!applied.ok()) {
      spdlog::error("could not store what national sent: {}", applied.status().ToString());
      return;  // the cursors did not move: it comes again with the next sync
    }
    cursors.manifest_seq = std::max(cursors.manifest_seq, reply.manifest_to);
    for (const MailItem& m : reply.mail) cursors.mail_seq = std::max(cursors.mail_seq, m.seq);
    const int rows = applied->manifest.stored + applied->manifest.updated;
    status.manifest_rows_received += rows;
    status.mail_received += applied->mail_new;
    if (rows > 0 || applied->mail_new > 0 || !applied->manifest.rejected.empty()) {
      spdlog::info("from national: manifest new={} updated={} rejected={} mail={}", applied->manifest.stored,
                   applied->manifest.updated, applied->manifest.rejected.size(), applied->mail_new);
    }
    sync_more = reply.manifest_more || reply.mail_more;
    (void)now;
  }

  void OnPostAck(const PostAck& ack) {
    auto it = posts.find(ack.req);
    if (it == posts.end()) return;
    if (ack.ok) {
      if (Status s = store->MarkPosted(it->second.msg_id, NowMs()); !s.ok()) {
        spdlog::error("could not mark message {} posted: {}", it->second.msg_id, s.ToString());
      }
    } else if (ack.code == "InvalidArgument") {
      // Sending it again would be refused again, and hold up the messages
      // behind it: set it aside with the reason.
      status.last_error = ack.code + ": " + ack.error;
      spdlog::error("national refused message {} for good ({}); it stays in the outbox, marked refused",
                    it->second.msg_id, status.last_error);
      if (Status s = store->MarkRefused(it->second.msg_id, status.last_error); !s.ok()) {
        spdlog::error("could not mark message {} refused: {}", it->second.msg_id, s.ToString());
      }
    } else {
      status.last_error = ack.code + ": " + ack.error;
      next_posts_check = SteadyClock::now() + milliseconds(Jitter(5000));
    }
    posts.erase(it);
  }

  // Queues the surplus of a reconciliation run not yet seen (also the
  // latest one after a restart), then sends the oldest waiting lookups.
  void SendLookup(SteadyClock::time_point now) {
    if (now < next_lookup) return;
    if (!lookup_req.empty()) {
      spdlog::warn("national did not answer lookup {} within {} ms; asking again", lookup_req,
                   options.reply_timeout_ms);
      lookup_req.clear();
    }
    next_lookup = now + milliseconds(options.heartbeat_ms);
    const std::int64_t now_ms = NowMs();
    auto run = store->LatestReconcileRun();
    if (run.ok() && *run > lookups_queued_run) {
      if (Status s = store->QueueLookups(now_ms, now_ms - kLookupAgainMs); !s.ok()) {
        spdlog::error("could not queue surplus parcels for lookup at national: {}", s.ToString());
        return;
      }
      lookups_queued_run = *run;
    }
    auto waiting = store->WaitingLookups(static_cast<int>(kMaxLookupWaybills));
    if (!waiting.ok()) {
      spdlog::error("cannot read the lookups waiting: {}", waiting.status().ToString());
      return;
    }
    // National refuses a whole lookup for one number it cannot read, and
    // would again each time: such a number (none should be stored) is set
    // aside as not found, to be asked again after a day.
    std::vector<std::string> unreadable;
    auto bad = [&](const std::string& w) {
      auto normal = NormalizeWaybill(w);
      if (normal.ok() && *normal == w) return false;
      unreadable.push_back(w);
      return true;
    };
    waiting->erase(std::remove_if(waiting->begin(), waiting->end(), bad), waiting->end());
    if (!unreadable.empty()) {
      spdlog::error("{} surplus waybills are not valid numbers and are not looked up at national, e.g. '{}'",
                    unreadable.size(), unreadable.front());
      if (auto set_aside = store->ApplyLookup({}, {}, unreadable, now_ms); !set_aside.ok()) {
        spdlog::error("could not set them aside: {}", set_aside.status().ToString());
      }
    }
    if (waiting->empty()) return;
    LookupRequest request{NextReq("l"), station, std::move(*waiting)};
    if (!Send(EncodeLookupRequest(request), nullptr)) {
      next_lookup = now + milliseconds(100);
      return;
    }
    lookup_req = request.req;
    lookup_asked = request.waybills.size();
    next_lookup = now + milliseconds(options.reply_timeout_ms);
    if (Status s = store->MarkLookupsSent(request.waybills, now_ms); !s.ok()) {
      spdlog::error("could not record lookup {} as sent: {}", request.req, s.ToString());  // a note only
    }
  }

  void OnLookupAck(const LookupReply& reply, const zmq::message_t* manifest_csv, SteadyClock::time_point now) {
    const bool current = reply.req == lookup_req;
    if (current) lookup_req.clear();
    if (!reply.ok) {
      status.last_error = reply.code + ": " + reply.error;
      if (!current) return;  // an earlier send's refusal: the resend decides
      spdlog::warn("national refused a lookup ({}); asking again in about {} ms", status.last_error,
                   lookup_backoff_ms);
      next_lookup = now + milliseconds(Jitter(lookup_backoff_ms));
      lookup_backoff_ms = std::min(lookup_backoff_ms * 2, kMaxBackoffMs);
      return;
    }
    lookup_backoff_ms = 1000;
    // An answer to an earlier send is as good: national's rows are the same.
    Manifest rows;
    if (manifest_csv && manifest_csv->size() > 0) {
      auto read = ReadManifest(manifest_csv->to_string_view());
      if (!read.ok()) {
        spdlog::error("national answered a lookup with a manifest this station cannot read: {}",
                      read.status().ToString());
        status.last_error = "lookup manifest from national: " + read.status().message();
        return;  // not marked answered: asked again after the reply timeout
      }
      rows = std::move(*read);
    }
    auto applied = store->ApplyLookup(rows, reply.found, reply.not_found, NowMs());
    if (!applied.ok()) {
      spdlog::error("could not store national's answer to a lookup: {}", applied.status().ToString());
      return;
    }
    spdlog::info("lookup answered by national: found={} not_found={} manifest new={} updated={} rejected={}",
                 reply.found.size(), reply.not_found.size(), applied->stored, applied->updated,
                 applied->rejected.size());
    // The next waybills waiting, if any, at once; unless national left some
    // of these unanswered, which would only bring the same question back.
    if (current && reply.found.size() + reply.not_found.size() >= lookup_asked) next_lookup = now;
  }

  void ReceiveReplies(SteadyClock::time_point now) {
    for (;;) {
      zmq::message_t header, body;
      if (!socket->recv(header, zmq::recv_flags::dontwait)) return;
      // The rest of a message is already here once its first frame is
      // (ZeroMQ delivers messages whole). Frames beyond the second are not
      // ours to read: they are drained and dropped.
      bool has_body = false;
      for (bool more = header.more(); more;) {
        zmq::message_t part;
        (void)socket->recv(part, zmq::recv_flags::none);
        more = part.more();
        if (!has_body) {
          body = std::move(part);
          has_body = true;
        }
      }
      Contact(now);
      const std::string_view text = header.to_string_view();
      const std::string type = LinkMessageType(text);
      if (type == "upload_ack") {
        auto ack = DecodeUploadAck(text);
        if (ack.ok()) OnUploadAck(*ack, now);
      } else if (type == "sync_ack") {
        auto reply = DecodeSyncReply(text);
        if (reply.ok()) {
          OnSyncAck(*reply, has_body ? &body : nullptr, now);
        } else {
          spdlog::error("unreadable sync reply from national: {}", reply.status().ToString());
        }
      } else if (type == "lookup_ack") {
        auto reply = DecodeLookupReply(text);
        if (reply.ok()) {
          OnLookupAck(*reply, has_body ? &body : nullptr, now);
        } else {
          spdlog::error("unreadable lookup reply from national: {}", reply.status().ToString());
        }
      } else if (type == "post_ack") {
        auto ack = DecodePostAck(text);
        if (ack.ok()) OnPostAck(*ack);
      } else {
        spdlog::error("national answered with an error or an unknown message: {}",
                      std::string(text.substr(0, 300)));
      }
    }
  }

  void ReadMonitor() {
    if (!monitor) return;
    for (;;) {
      zmq::message_t event, address;
      if (!monitor->recv(event, zmq::recv_flags::dontwait)) return;
      if (event.more()) (void)monitor->recv(address, zmq::recv_flags::dontwait);
      std::uint16_t id = 0;
      if (event.size() >= sizeof(id)) std::memcpy(&id, event.data(), sizeof(id));
      std::uint32_t value = 0;
      if (event.size() >= 6) std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof(value));
      if (id == ZMQ_EVENT_DISCONNECTED) LinkDown("connection closed");
      if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        // libzmq retries by itself; say why nothing gets through, once a
        // minute at most in the log, always in the clerk's status.
        status.last_error = "national refused this station's key (ZAP " + std::to_string(value) +
                            "): enroll keys/station.key at national, or check --national-key";
        if (SteadyClock::now() >= next_auth_log) {
          spdlog::error("{}", status.last_error);
          next_auth_log = SteadyClock::now() + std::chrono::minutes(1);
        }
        reconnect_at = SteadyClock::now() + milliseconds(Jitter(auth_backoff_ms));
        auth_backoff_ms = std::min(auth_backoff_ms * 2, kMaxBackoffMs);
      }
    }
  }

  void SendUploads(SteadyClock::time_point now) {
    for (InFlight& f : in_flight) {
      if (!f.acked && now >= f.resend_at) {
        if (!f.refused) {
          ++status.resends;
          f.timeout_ms = std::min(f.timeout_ms * 2, kMaxBackoffMs);
        }
        SendUpload(f, now);
      }
    }
    while (static_cast<int>(in_flight.size()) < options.window && sent_upto < newest_id) {
      InFlight item;
      item.body = std::string(kUploadColumns) + "\n";
      if (Status s = store->ReadUpload(sent_upto, options.upload_scans, item.body, item.count, item.last_id);
          !s.ok()) {
        spdlog::error("cannot read scans to upload: {}", s.ToString());
        return;
      }
      if (item.count == 0) {
        newest_id = sent_upto;
        return;
      }
      item.timeout_ms = options.reply_timeout_ms;
      sent_upto = item.last_id;
      in_flight.push_back(std::move(item));
      SendUpload(in_flight.back(), now);
    }
  }

  void SendPosts(SteadyClock::time_point now) {
    for (auto it = posts.begin(); it != posts.end();) {
      it = now >= it->second.resend_at ? posts.erase(it) : std::next(it);  // unanswered: offered again below
    }
    if (!posts.empty() || now < next_posts_check) return;
    next_posts_check = now + milliseconds(options.heartbeat_ms);
    auto waiting = store->WaitingPosts(kPostsInFlight);
    if (!waiting.ok()) {
      spdlog::error("cannot read the outbox: {}", waiting.status().ToString());
      return;
    }
    for (const WaitingPost& p : *waiting) {
      PostRequest request{NextReq("p"), station, p.to, p.msg_id, p.kind};
      if (!Send(EncodePostRequest(request), &p.body)) return;
      posts[request.req] = {p.msg_id, now + milliseconds(options.reply_timeout_ms)};
    }
  }

  // Moves the cursor over the acknowledged uploads at the front.
  void Advance() {
    std::int64_t upto = cursors.uploaded_upto;
    while (!in_flight.empty() && in_flight.front().acked) {
      upto = in_flight.front().last_id;
      in_flight.pop_front();
    }
    if (upto == cursors.uploaded_upto) return;
    const std::int64_t now_ms = NowMs();
    if (Status s = store->SetUploadedUpto(upto, now_ms); !s.ok()) {
      // Not fatal: those scans are held at national; a restart resends them.
      spdlog::error("could not record the upload cursor: {}", s.ToString());
    }
    cursors.uploaded_upto = upto;
    cursors.last_upload_ms = now_ms;
  }

  void Refresh(SteadyClock::time_point now) {
    if (now < next_refresh) return;
    next_refresh = now + milliseconds(500);
    if (auto newest = store->MaxScanId(); newest.ok()) newest_id = std::max(newest_id, *newest);
    auto oldest = store->OldestWaitingReceivedMs(cursors.uploaded_upto);
    status.oldest_waiting_ms = oldest.ok() && *oldest ? **oldest : 0;
  }

  UplinkStatus Snapshot() {
    status.configured = true;
    status.endpoint = options.endpoint;
    status.link_up = link_up;
    status.last_upload_ms = cursors.last_upload_ms;
    status.uploaded_upto = cursors.uploaded_upto;
    status.newest_scan_id = std::max(newest_id, cursors.uploaded_upto);
    status.backlog = status.newest_scan_id - cursors.uploaded_upto;
    if (status.backlog == 0) status.oldest_waiting_ms = 0;
    return status;
  }
};

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
  uplink->loop_ = std::make_unique<Loop>(context, station, options, std::move(*store));
  Loop& loop = *uplink->loop_;
  loop.cursors = *cursors;
  loop.sent_upto = cursors->uploaded_upto;
  loop.newest_id = *newest;
  try {
    loop.Connect();
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
               loop.cursors.uploaded_upto, loop.newest_id - loop.cursors.uploaded_upto);
  while (!stop_) {
    try {
      zmq::pollitem_t items[3] = {{loop.socket->handle(), 0, ZMQ_POLLIN, 0},
                                  {nullptr, wake_fd_, ZMQ_POLLIN, 0},
                                  {loop.monitor ? loop.monitor->handle() : nullptr, loop.monitor ? 0 : -1,
                                   ZMQ_POLLIN, 0}};
      zmq::poll(items, loop.monitor ? 3 : 2, milliseconds(50));
      if (stop_) break;
      auto now = SteadyClock::now();
      if (items[1].revents & ZMQ_POLLIN) {
        std::uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof(count));
        loop.next_refresh = {};  // new scans: read the newest id now
      }
      if (hurry_.exchange(false)) {
        // The clerk asked: retry now rather than at the end of a backoff.
        if (!loop.link_up) loop.Connect();
        loop.last_sync_sent = {};
        loop.sync_req.clear();
        for (InFlight& f : loop.in_flight) f.resend_at = std::min(f.resend_at, now);
      }
      if (loop.monitor) loop.ReadMonitor();
      if (loop.reconnect_at && now >= *loop.reconnect_at) {
        loop.reconnect_at.reset();
        loop.Connect();
      }
      loop.ReceiveReplies(now);
      loop.Refresh(now);
      if (loop.link_up && now - loop.last_contact > milliseconds(loop.HeartbeatTimeoutMs())) {
        loop.LinkDown("no answer for " + std::to_string(loop.HeartbeatTimeoutMs()) + " ms");
      }
      if (loop.SyncDue(now)) {
        loop.SendSync(now);
      }
      if (loop.link_up) {
        loop.SendUploads(now);
        loop.SendPosts(now);
        loop.SendLookup(now);
      }
      loop.Advance();
      Publish(loop.Snapshot());
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      spdlog::error("uplink socket error: {}; reconnecting", e.what());
      loop.LinkDown(e.what());
      try {
        loop.Connect();
      } catch (const zmq::error_t&) {
        std::this_thread::sleep_for(milliseconds(1000));
      }
    }
  }
  spdlog::info("uplink stopped uploaded_upto={}", loop.cursors.uploaded_upto);
}

}  // namespace station
