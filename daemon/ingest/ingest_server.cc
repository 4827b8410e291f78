#include "core/clock.h"
#include "daemon/ingest/ingest_server.h"

#include <poll.h>

#include <chrono>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "wire/dock.h"
#include "wire/request_id.h"

namespace station {
namespace {

constexpr std::size_t kMaxFrames = 4;  // routing id, [empty delimiter from REQ], header, body

// The first line of a refused body, kept in quarantine so the clerk can see
// which gun sent it.
std::string FirstLineOf(std::string_view body) {
  std::size_t nl = body.find('\n');
  std::string_view line = body.substr(0, std::min<std::size_t>(nl, 300));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::string(line);
}

// The quarantine rule, decided here and only here (docs/protocol.md,
// "Refusals and quarantine"). A message refused before its body is read
// (who sent it, its frame count, its header) leaves no quarantine row: it
// is logged and answered, and there is nothing of a gun's file to show. A
// message whose body was read and refused whole (too large, unreadable,
// for another station, from another gun) leaves one row, kind 'batch',
// holding the body's first line, which names the gun if it is one.
void RefuseUnread(IngestItem& item, Status why) {
  item.refusal = std::move(why);
  item.refused_raw.reset();
}

void RefuseRead(IngestItem& item, std::string_view body, Status why) {
  item.refusal = std::move(why);
  item.refused_raw = FirstLineOf(body);
}

}  // namespace

IngestServer::IngestServer(zmq::context_t& context, Store& store, IngestOptions options, IngestHooks hooks)
    : store_(store),
      options_(std::move(options)),
      socket_(context, zmq::socket_type::router),
      hooks_(std::move(hooks)),
      disk_(options_.disk) {}

Result<std::unique_ptr<IngestServer>> IngestServer::Start(zmq::context_t& context, Store& store,
                                                          const IngestOptions& options, IngestHooks hooks) {
  std::unique_ptr<IngestServer> server(new IngestServer(context, store, options, std::move(hooks)));
  zmq::socket_t& s = server->socket_;
  try {
    // RELIABILITY.md §3a. LINGER 0: SQLite is the durable queue, not libzmq.
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::router_mandatory, 1);  // an ack to a gone dock fails loudly
    // libzmq drops a connection whose frame exceeds MAXMSGSIZE without a
    // word to the sender (RELIABILITY.md V9). Allow twice the body limit so
    // a merely oversized batch still gets a readable refusal; only a frame
    // past that is cut off, to bound memory.
    s.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(2 * options.max_message_bytes + 64 * 1024));
    s.set(zmq::sockopt::rcvhwm, 16);  // bounds what one peer can queue (RELIABILITY.md §3a)
    s.set(zmq::sockopt::sndhwm, 1000);
    s.set(zmq::sockopt::heartbeat_ivl, 5000);
    s.set(zmq::sockopt::heartbeat_timeout, 15000);
    s.set(zmq::sockopt::heartbeat_ttl, 15000);
    s.set(zmq::sockopt::handshake_ivl, 10000);
    // TCP keepalive backs up the ZMTP heartbeats on half-open links (RELIABILITY.md §3).
    s.set(zmq::sockopt::tcp_keepalive, 1);
    s.set(zmq::sockopt::tcp_keepalive_idle, 60);
    s.set(zmq::sockopt::tcp_keepalive_intvl, 10);
    s.set(zmq::sockopt::tcp_keepalive_cnt, 6);
    security::ApplyServerSecurity(s, options.security);
    if (options.security.curve) server->handshakes_ = security::HandshakeWatch::Attach(context, s, "dock port");
    s.bind(options.endpoint);
    server->endpoint_ = s.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("bind ingest " + options.endpoint, e.what());
  }
  return server;
}

Result<std::string> IngestServer::Sender(zmq::message_t& frame) {
  if (!options_.security.curve) return std::string();
  std::string gun = security::UserIdOf(frame);
  if (gun.empty()) {
    // Cannot happen with ZAP enforced; refused all the same (fail closed).
    spdlog::warn("security: a message without an authenticated gun was refused");
    return Status::PermissionDenied("message", "not authenticated");
  }
  const std::string key = security::ClientKeyOf(frame);
  if (hooks_.sessions) hooks_.sessions->Seen(key, security::SourceFdOf(frame));
  if (hooks_.zap && !hooks_.zap->Current()->IsKeyActive(security::KeyRole::kGun, key)) {
    spdlog::warn("security: gun {} sent a message after its key {} was revoked; refused, closing its connection",
                 LogText(gun), security::ShortKey(key));
    closing_.emplace_back(key, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    return Status::PermissionDenied("gun " + gun, "its key was revoked at this station");
  }
  return gun;
}

bool IngestServer::ReceiveOne(std::vector<IngestItem>& items, std::vector<Peer>& peers,
                              std::size_t& rows) {
  std::vector<zmq::message_t> frames;
  std::size_t total_frames = 0;
  for (;;) {
    zmq::message_t frame;
    auto got = socket_.recv(frame, frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
    if (!got) return false;  // nothing waiting
    ++total_frames;
    bool more = frame.more();
    // Keep at most kMaxFrames; drain the rest so one hostile message cannot
    // hold memory or desynchronise the socket.
    if (frames.size() < kMaxFrames) frames.push_back(std::move(frame));
    if (!more) break;
  }
  IngestItem& item = items.emplace_back();
  // A REQ client puts an empty delimiter frame after its routing id and
  // expects it back before the reply; a DEALER sends none.
  const bool req_envelope = total_frames == 4 && frames[1].size() == 0;
  if (req_envelope) frames.erase(frames.begin() + 1);
  // Who sent it comes first: a revoked gun's connection is closed whatever
  // it sends, malformed or not.
  auto gun = Sender(frames.back());
  peers.push_back(Peer{std::move(frames.front()), req_envelope, gun.ok() ? *gun : std::string()});
  // Refused before the header is decoded: still echo its req when it has
  // one a client can match (docs/protocol.md, "Request ids").
  const auto refuse_unread = [&](Status why) {
    if (frames.size() >= 2) item.req = EchoableReq(frames[1].to_string_view());
    RefuseUnread(item, std::move(why));
    return true;
  };
  if (!gun.ok()) return refuse_unread(gun.status());
  if (frames.size() != 3 || total_frames != 3 + (req_envelope ? 1 : 0)) {
    return refuse_unread(Status::InvalidArgument("message", "a batch is two frames: a JSON header and a CSV body"));
  }
  auto header = DecodeBatchHeader(frames[1].to_string_view());
  if (!header.ok()) return refuse_unread(header.status());
  item.req = header->req;
  // The batch's rows point into the frame: it is kept, not copied.
  item.body = HeldBytes::Take(std::move(frames[2]), [](const zmq::message_t& m) { return m.to_string_view(); });
  ReadBody(item, header->first_line, *gun, rows);
  return true;
}

void IngestServer::ReadBody(IngestItem& item, int first_line, const std::string& gun, std::size_t& rows) {
  std::string_view body = item.body.view();
  if (body.size() > options_.max_message_bytes) {
    return RefuseRead(item, body,
                      Status::InvalidArgument("batch body", "larger than " + std::to_string(options_.max_message_bytes) +
                                                                " bytes; send it in parts"));
  }
  auto batch = ReadBatch(body, first_line);
  if (!batch.ok()) return RefuseRead(item, body, batch.status());
  if (batch->origin.station != options_.station) {
    item.batch.origin = batch->origin;
    return RefuseRead(item, body,
                      Status::InvalidArgument("batch for station " + batch->origin.station,
                                              "this is station " + options_.station));
  }
  if (options_.security.curve && batch->origin.device != gun) {
    // A gun speaks only for itself (RELIABILITY.md T10): the name comes
    // from its key, never from what the file says.
    spdlog::warn("security: gun {} sent a batch claiming device {}; refused", LogText(gun),
                 LogText(batch->origin.device));
    item.batch.origin = batch->origin;
    item.batch.origin.device = gun;  // filed under the gun that sent it, not the one it named
    return RefuseRead(item, body,
                      Status::PermissionDenied("batch of device " + batch->origin.device,
                                               "this connection is gun " + gun +
                                                   "; a gun may send only its own batches"));
  }
  rows += batch->rows.size() + batch->problems.size();
  item.batch = std::move(*batch);
}

void IngestServer::StoreAndAcknowledge(std::vector<IngestItem>& items, std::vector<Peer>& peers) {
  // Room first: a disk about to fill gets "retry later" before SQLite
  // could meet ENOSPC (RELIABILITY.md §4); DiskSpaceGuard logs the change.
  const Status room = disk_.Admit();
  Status saved = room.ok() ? store_.Save(items, NowMs()) : Status::OK();
  if (room.ok() && saved.ok() && hooks_.after_commit) hooks_.after_commit();
  for (std::size_t i = 0; i < items.size(); ++i) {
    IngestItem& item = items[i];
    if (!room.ok()) {
      // Nothing stored, nothing acknowledged; the dock keeps the file.
      item.ack = ErrorAck(item.req, room);
      spdlog::debug("batch not stored, disk space low req=\"{}\"", LogText(item.req));
    } else if (!saved.ok()) {
      // Nothing of the group was committed: say so, never acknowledge. The
      // dock keeps the file and sends it again.
      item.ack = ErrorAck(item.req, Status::Unavailable("storage failed, retry later", saved.message()));
    }
    const BatchAck& ack = item.ack;
    if (!room.ok()) {
      // Logged once when space ran low, not once a resend.
    } else if (ack.ok) {
      spdlog::info("batch stored device={} batch={} accepted={} duplicates={} rejected={} conflicts={}",
                   LogText(ack.device), LogText(ack.batch), ack.accepted, ack.duplicates, ack.rejected.size(), ack.conflicts.size());
    } else {
      spdlog::warn("batch refused gun={} req=\"{}\" code={} error=\"{}\"",
                   peers[i].gun.empty() ? "-" : LogText(peers[i].gun), LogText(ack.req), ack.code, LogText(ack.error));
    }
    std::string reply;
    try {
      reply = EncodeBatchAck(ack);
    } catch (const std::exception& e) {
      // Never let one odd reply stop the daemon: the rows are committed,
      // so say how many, without the details that would not encode.
      spdlog::error("ack not encodable req=\"{}\" error=\"{}\"", LogText(ack.req), LogText(e.what()));
      BatchAck minimal;
      minimal.req = ack.req;
      minimal.device = ack.device;
      minimal.batch = ack.batch;
      minimal.accepted = ack.accepted;
      minimal.duplicates = ack.duplicates;
      reply = EncodeBatchAck(minimal);
    }
    try {
      socket_.send(peers[i].id, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      if (peers[i].req_envelope) socket_.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      socket_.send(zmq::buffer(reply), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      // EHOSTUNREACH: the dock went away. It will resend and be told "duplicate".
      spdlog::debug("ack not delivered req=\"{}\" error=\"{}\"", LogText(ack.req), e.what());
    }
  }
  if (!saved.ok()) {
    spdlog::error("batch group not stored messages={} error=\"{}\"", items.size(), saved.ToString());
    // RELIABILITY.md §4: after an I/O error, a full disk or out of memory,
    // close and reopen the connection now (the clerk's commands use it too);
    // when that fails, the next group tries again before storing anything.
    if (Status s = store_.ReopenIfFaulted(); !s.ok()) spdlog::warn("{}; trying again with the next batch", s.ToString());
  }
}

void IngestServer::CloseRevoked() {
  for (auto it = closing_.begin(); it != closing_.end();) {
    if (std::chrono::steady_clock::now() < it->second) {
      ++it;
      continue;
    }
    if (hooks_.sessions) hooks_.sessions->Close(it->first);
    it = closing_.erase(it);
  }
}

Status IngestServer::Run(int stop_fd) {
  // The docks, the stop signal, the served sockets in their order, then
  // the handshake watch. An absent item has no socket and fd -1, which
  // poll() skips.
  std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, stop_fd, ZMQ_POLLIN, 0}};
  for (const IngestHooks::Served& served : hooks_.served) items.push_back({served.socket->handle(), 0, ZMQ_POLLIN, 0});
  items.push_back({handshakes_ ? handshakes_->socket().handle() : nullptr, handshakes_ ? 0 : -1, ZMQ_POLLIN, 0});
  std::vector<IngestItem> group;
  std::vector<Peer> peers;
  for (;;) {
    try {
      zmq::poll(items, std::chrono::milliseconds(closing_.empty() ? 1000 : 50));
      if (items[1].revents & ZMQ_POLLIN) return Status::OK();
      if (hooks_.each_pass) hooks_.each_pass();
      for (std::size_t i = 0; i < hooks_.served.size(); ++i) {
        if (items[2 + i].revents & ZMQ_POLLIN) hooks_.served[i].serve();
      }
      // Every pass, not only on an event: a count waiting for its 10 s
      // report is reported even when no more failures come.
      if (handshakes_) handshakes_->Drain(hooks_.sessions);
      CloseRevoked();
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      group.clear();
      peers.clear();
      std::size_t rows = 0;
      while (group.size() < options_.max_group_messages && rows < options_.max_group_rows &&
             ReceiveOne(group, peers, rows)) {
      }
      if (!group.empty()) {
        auto started = std::chrono::steady_clock::now();
        StoreAndAcknowledge(group, peers);
        spdlog::debug("group stored messages={} rows={} ms={:.2f}", group.size(), rows,
                      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return Status::OK();
      return Status::Unavailable("ingest socket", e.what());
    }
  }
}

}  // namespace station
