#include "tools/national_sim/national_server.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/log_text.h"
#include "core/utf8.h"
#include "wire/request_id.h"

namespace station::national {
namespace {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeader = 4096;
constexpr std::size_t kMaxPeek = kMaxEchoedHeaderBytes;  // type and req read even from one too long

// The reply to a message whose header cannot be read, or whose type is unknown.
std::string EncodeErrorReply(const std::string& req, const Status& why) {
  return json{{"type", "error"}, {"v", 1}, {"req", req}, {"ok", false}, {"code", CodeName(why.code())},
              {"error", why.message()}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

// The reply (upload, sync, post or lookup) that refuses request `req` for `why`.
template <typename Reply>
Reply Refusal(const std::string& req, const Status& why) {
  Reply reply;
  reply.req = req;
  reply.code = CodeName(why.code());
  reply.error = why.message();
  return reply;
}

// A sync's or lookup's body: manifest rows as CSV, with the header row.
std::string ManifestCsv(const std::vector<ManifestRow>& rows) {
  std::string csv;
  AppendManifestCsvHeader(csv);
  for (const ManifestRow& row : rows) AppendManifestRow(csv, row);
  return csv;
}

bool KnownType(const std::string& t) { return t == "upload" || t == "sync" || t == "post" || t == "lookup"; }

}  // namespace

NationalServer::NationalServer(zmq::context_t& context, NationalStore& store, const Faults& faults)
    : store_(store), faults_(faults), rng_(faults.seed), socket_(context, zmq::socket_type::router) {}

Result<std::unique_ptr<NationalServer>> NationalServer::Start(zmq::context_t& context, NationalStore& store,
                                                              const std::string& endpoint, const Faults& faults,
                                                              const security::ServerSecurity& security) {
  std::unique_ptr<NationalServer> server(new NationalServer(context, store, faults));
  server->curve_ = security.curve;
  try {
    security::ApplyServerSecurity(server->socket_, security);
    if (security.curve) server->handshakes_ = security::HandshakeWatch::Attach(context, server->socket_, "national port");
    server->socket_.set(zmq::sockopt::linger, 0);
    server->socket_.set(zmq::sockopt::router_mandatory, 1);
    server->socket_.set(zmq::sockopt::maxmsgsize, int64_t{64} << 20);
    server->socket_.set(zmq::sockopt::heartbeat_ivl, 10000);
    server->socket_.set(zmq::sockopt::heartbeat_timeout, 30000);
    server->socket_.bind(endpoint);
    server->endpoint_ = server->socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("bind " + endpoint, e.what());
  }
  return server;
}

bool NationalServer::Roll(int percent) {
  return percent > 0 && std::uniform_int_distribution<int>(0, 99)(rng_) < percent;
}

bool NationalServer::SilenceDue() const {
  return !silence_done_ && faults_.silent_after >= 0 && received_ >= faults_.silent_after;
}

bool NationalServer::ReadMessage(Request& r) {
  zmq::message_t first;
  if (!socket_.recv(first, zmq::recv_flags::dontwait)) return false;
  r.peer = std::move(first);
  r.frames = 1;
  bool more = r.peer.more();
  // A multipart message arrives whole, so the rest is there: no waiting.
  while (more) {
    zmq::message_t frame;
    (void)socket_.recv(frame);
    more = frame.more();
    if (++r.frames == 2) {
      r.header = std::move(frame);
    } else if (r.frames == 3) {
      r.body = std::move(frame);
    }
  }
  if (r.frames >= 2) {
    r.sender = security::UserIdOf(r.header);
    r.sender_key = security::ClientKeyOf(r.header);
    if (sessions_) sessions_->Seen(r.sender_key, security::SourceFdOf(r.header));
  }
  if (r.frames < 2 || r.header.size() > kMaxPeek) return true;
  json j = json::parse(r.header.data<char>(), r.header.data<char>() + r.header.size(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return true;
  if (auto t = j.find("type"); t != j.end() && t->is_string()) r.type = t->get<std::string>();
  r.req = EchoableReq(r.header.to_string_view());  // the one rule of every protocol (wire/request_id.h)
  if (auto m = j.find("msg_id"); m != j.end() && m->is_string()) r.msg_id = m->get<std::string>().substr(0, 64);
  return true;
}

void NationalServer::ReadGroup(std::vector<Request>& group) {
  std::size_t bytes = 0;
  std::int64_t uploads = 0;
  while (group.size() < kMaxGroupMessages && bytes < kMaxGroupBytes) {
    // Fault switches count messages exactly: stop reading where they act.
    if (SilenceDue()) break;
    if (faults_.exit_after > 0 && uploads_ + uploads >= faults_.exit_after) break;
    Request r;
    if (!ReadMessage(r)) break;
    ++received_;
    if (r.type == "upload") ++uploads;
    bytes += r.header.size() + r.body.size();
    group.push_back(std::move(r));
  }
}

void NationalServer::Refuse(Request& r, const Status& why) {
  if (r.type == "upload") {
    r.reply = EncodeUploadAck(Refusal<UploadAck>(r.req, why));
  } else if (r.type == "sync") {
    r.reply = EncodeSyncReply(Refusal<SyncReply>(r.req, why));
  } else if (r.type == "post") {
    PostAck ack = Refusal<PostAck>(r.req, why);
    ack.msg_id = r.msg_id;
    r.reply = EncodePostAck(ack);
  } else if (r.type == "lookup") {
    r.reply = EncodeLookupReply(Refusal<LookupReply>(r.req, why));
  } else {
    r.reply = EncodeErrorReply(r.req, why);
  }
  r.has_reply_body = false;
  // A refusal the station's people must hear of is a warning; "retry later" is routine.
  const bool bad = why.code() == Code::kInvalidArgument || why.code() == Code::kPermissionDenied;
  spdlog::log(bad ? spdlog::level::warn : spdlog::level::debug, "request refused type=\"{}\" req=\"{}\" error=\"{}\"",
              LogText(r.type), LogText(r.req), LogText(why.message()));
}

Status NationalServer::CheckSpeaker(const Request& r, const std::string& claimed) {
  if (!curve_) return Status::OK();
  if (r.sender.empty()) return Status::PermissionDenied(r.type, "not authenticated");
  if (zap_ && !zap_->Current()->IsKeyActive(security::KeyRole::kStation, r.sender_key)) {
    spdlog::warn("security: station {} sent a {} after its key was revoked; refused, closing its connection",
                 LogText(r.sender), LogText(r.type));
    if (sessions_) sessions_->Close(r.sender_key);
    return Status::PermissionDenied("station " + r.sender, "its key was revoked at national");
  }
  if (claimed != r.sender) {
    // The name comes from the key, never from the message (RELIABILITY.md T10).
    spdlog::warn("security: station {} sent a {} claiming to be station {}; refused", LogText(r.sender),
                 LogText(r.type), LogText(claimed, 40));
    return Status::PermissionDenied(r.type + " as station " + Utf8Excerpt(claimed, 40),
                                    "this connection is station " + r.sender + "; a station may speak only as itself");
  }
  return Status::OK();
}

void NationalServer::DecodeUpload(Request& r) {
  if (r.frames != 3) {
    return Refuse(r,
                  Status::InvalidArgument("upload", "two frames after the routing id: a JSON header and a CSV body"));
  }
  auto header = DecodeUploadHeader(r.header.to_string_view());
  if (!header.ok()) return Refuse(r, header.status());
  if (Status s = CheckSpeaker(r, header->station); !s.ok()) return Refuse(r, s);
  r.station = std::move(header->station);  // from here on its reply is remembered
  auto scans = ReadUploadBody(r.body.to_string_view());
  if (!scans.ok()) return Refuse(r, scans.status());
  if (Status s = CheckPoison(faults_.refuse_waybills, *scans); !s.ok()) return Refuse(r, s);
  r.scans = std::move(*scans);
  r.pending_upload = true;
}

void NationalServer::HandleSync(Request& r, std::int64_t now_ms) {
  if (r.frames != 2) return Refuse(r, Status::InvalidArgument("sync", "one frame after the routing id: the header"));
  auto request = DecodeSyncRequest(r.header.to_string_view());
  if (!request.ok()) return Refuse(r, request.status());
  if (Status s = CheckSpeaker(r, request->station); !s.ok()) return Refuse(r, s);
  auto manifest = store_.ManifestAfter(request->station, request->manifest_after, kSyncManifestRows);
  auto mail = manifest.ok() ? store_.MailAfter(request->station, request->mail_after, kSyncMailItems)
                            : Result<NationalStore::MailPage>(manifest.status());
  if (!mail.ok()) {
    spdlog::error("sync not served station={} error=\"{}\"", request->station, mail.status().ToString());
    return Refuse(r, Status::Unavailable("storage failed, retry later", mail.status().message()));
  }
  SyncReply reply;
  reply.req = request->req;
  reply.ok = true;
  reply.now_ms = now_ms;
  reply.manifest_to = manifest->last_seq;
  reply.manifest_more = manifest->more;
  reply.mail = std::move(mail->items);
  reply.mail_more = mail->more;
  reply.uploads = replies_.Answers(request->station, request->uploads);
  r.reply = EncodeSyncReply(reply);
  // Escaping can make bodies longer than the station's limit allows; send
  // fewer items and let "more" bring the rest. One item always fits.
  while (r.reply.size() > kMaxSyncReplyHeader && reply.mail.size() > 1) {
    reply.mail.resize(reply.mail.size() / 2);
    reply.mail_more = true;
    r.reply = EncodeSyncReply(reply);
  }
  r.reply_body = ManifestCsv(manifest->rows);
  r.has_reply_body = true;
  if (!manifest->rows.empty() || !reply.mail.empty()) {
    spdlog::info("sync served station={} manifest_rows={} manifest_to={} mail={} more={}", request->station,
                 manifest->rows.size(), reply.manifest_to, reply.mail.size(), reply.manifest_more || reply.mail_more);
  } else {
    spdlog::debug("sync station={} nothing new", request->station);
  }
}

void NationalServer::HandlePost(Request& r, std::int64_t now_ms) {
  if (r.frames != 3) {
    return Refuse(r, Status::InvalidArgument("post", "two frames after the routing id: a JSON header and the body"));
  }
  auto request = DecodePostRequest(r.header.to_string_view());
  if (!request.ok()) return Refuse(r, request.status());
  if (Status s = CheckSpeaker(r, request->station); !s.ok()) return Refuse(r, s);
  const std::string_view body = r.body.to_string_view();
  if (body.size() > kMaxPostBody) {
    return Refuse(r, Status::InvalidArgument("post body", "longer than " + std::to_string(kMaxPostBody) + " bytes"));
  }
  // Mail goes back out inside JSON, which would mangle invalid UTF-8.
  if (!Utf8CodePoints(body)) return Refuse(r, Status::InvalidArgument("post body", "not valid UTF-8"));
  auto posted = store_.Post(request->to, request->station, request->msg_id, request->kind, body, now_ms);
  if (!posted.ok()) {
    spdlog::error("post not stored from={} msg_id={} error=\"{}\"", request->station, request->msg_id,
                  posted.status().ToString());
    return Refuse(r, Status::Unavailable("storage failed, retry later", posted.status().message()));
  }
  PostAck ack;
  ack.req = request->req;
  ack.ok = true;
  ack.msg_id = request->msg_id;
  ack.seq = posted->seq;
  ack.duplicate = posted->duplicate;
  r.reply = EncodePostAck(ack);
  spdlog::info("post stored from={} to={} msg_id={} kind={} seq={} duplicate={}", request->station, request->to,
               request->msg_id, request->kind, posted->seq, posted->duplicate);
}

void NationalServer::HandleLookup(Request& r, std::int64_t now_ms) {
  if (r.frames != 2) return Refuse(r, Status::InvalidArgument("lookup", "one frame after the routing id: the header"));
  auto request = DecodeLookupRequest(r.header.to_string_view());
  if (!request.ok()) return Refuse(r, request.status());
  if (Status s = CheckSpeaker(r, request->station); !s.ok()) return Refuse(r, s);
  auto lookup = store_.LookUp(request->waybills, request->station);
  if (!lookup.ok()) {
    spdlog::error("lookup not served station={} error=\"{}\"", request->station, lookup.status().ToString());
    return Refuse(r, Status::Unavailable("storage failed, retry later", lookup.status().message()));
  }
  LookupReply reply;
  reply.req = request->req;
  reply.ok = true;
  reply.now_ms = now_ms;
  reply.found = std::move(lookup->found);
  reply.not_found = std::move(lookup->not_found);
  r.reply = EncodeLookupReply(reply);
  r.reply_body = ManifestCsv(lookup->rows);
  r.has_reply_body = true;
  spdlog::info("lookup served station={} asked={} found={} rows={}", request->station, request->waybills.size(),
               reply.found.size(), lookup->rows.size());
}

void NationalServer::HandleGroup(std::vector<Request>& group) {
  const std::int64_t now_ms = NowMs();
  // First what needs no storage: refusals, unreadable headers, and
  // decoding the uploads, which then share one commit.
  std::vector<NationalStore::PendingUpload> uploads;
  std::vector<Request*> uploaders;
  for (Request& r : group) {
    if (Roll(faults_.refuse_percent)) {
      Refuse(r, Status::Unavailable("refused on purpose (--refuse)"));
    } else if (r.frames < 2 || r.header.size() == 0) {
      Refuse(r, Status::InvalidArgument("message has no header frame"));
    } else if (r.header.size() > kMaxHeader && !KnownType(r.type)) {
      Refuse(r, Status::InvalidArgument("header", "longer than " + std::to_string(kMaxHeader) + " bytes"));
    } else if (r.type.empty()) {
      Refuse(r, Status::InvalidArgument("header", "not a JSON object with a string \"type\""));
    } else if (!KnownType(r.type)) {
      Refuse(r, Status::InvalidArgument("unknown message type '" + Utf8Excerpt(r.type, 40) + "'",
                                        "expected upload, sync, post or lookup"));
    } else if (r.type == "upload") {
      DecodeUpload(r);
      if (r.pending_upload) {
        uploads.push_back({r.station, &r.scans});
        uploaders.push_back(&r);
      }
    }
  }
  if (!uploads.empty()) {
    Status saved = store_.SaveUploads(uploads, now_ms);
    if (!saved.ok()) spdlog::error("uploads not stored count={} error=\"{}\"", uploads.size(), saved.ToString());
    for (std::size_t i = 0; i < uploads.size(); ++i) {
      Request& r = *uploaders[i];
      if (!saved.ok()) {
        Refuse(r, Status::Unavailable("storage failed, retry later", saved.message()));
        continue;
      }
      UploadAck ack{r.req, true, "", "", 0, uploads[i].stored, uploads[i].duplicates};
      for (const UploadedScan& s : r.scans) ack.last_id = std::max(ack.last_id, s.id);
      r.reply = EncodeUploadAck(ack);
      spdlog::info("upload stored station={} scans={} stored={} duplicates={} last_id={} group={}", r.station,
                   r.scans.size(), ack.stored, ack.duplicates, ack.last_id, uploads.size());
    }
  }
  // Then syncs, posts and lookups in arrival order (a sync after a post in
  // the same group sees it), and every reply in arrival order.
  for (Request& r : group) {
    if (r.reply.empty() && r.type == "sync") HandleSync(r, now_ms);
    if (r.reply.empty() && r.type == "post") HandlePost(r, now_ms);
    if (r.reply.empty() && r.type == "lookup") HandleLookup(r, now_ms);
    if (r.type == "upload") ++uploads_;
    SendReply(r);
  }
}

void NationalServer::SendReply(Request& r) {
  // After the commit: what was stored stays stored, only the answer is
  // lost, as on a real network; a sync may ask for it again.
  if (r.type == "upload" && !r.station.empty()) replies_.Remember(r.station, r.req, r.reply);
  if (Roll(faults_.drop_replies_percent)) {
    spdlog::debug("reply dropped on purpose type={} req=\"{}\"", LogText(r.type), LogText(r.req));
    return;
  }
  try {
    // Only the first frame can be refused (peer gone, or its queue full);
    // the rest of an accepted message always follows it.
    if (!socket_.send(r.peer, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      spdlog::warn("reply not delivered req=\"{}\": the station's queue is full", LogText(r.req));
      return;
    }
    socket_.send(zmq::buffer(r.reply), r.has_reply_body ? zmq::send_flags::sndmore : zmq::send_flags::none);
    if (r.has_reply_body) socket_.send(zmq::buffer(r.reply_body), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    spdlog::debug("reply not delivered req=\"{}\" error=\"{}\"", LogText(r.req), e.what());
  }
}

Status NationalServer::Run(int stop_fd) {
  zmq::pollitem_t items[3] = {{nullptr, stop_fd, ZMQ_POLLIN, 0},
                              {socket_.handle(), 0, ZMQ_POLLIN, 0},
                              {handshakes_ ? handshakes_->socket().handle() : nullptr, handshakes_ ? 0 : -1,
                               ZMQ_POLLIN, 0}};
  for (;;) {
    try {
      if (SilenceDue()) {
        silence_done_ = true;
        silent_until_ = SteadyClock::now() + std::chrono::milliseconds(faults_.silent_ms);
        spdlog::info("silent on purpose for {} ms after {} messages", faults_.silent_ms, received_);
      }
      // While silent only the stop signal is watched; messages queue up.
      const bool silent = silent_until_ && SteadyClock::now() < *silent_until_;
      auto timeout = std::chrono::milliseconds(1000);
      if (silent) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*silent_until_ - SteadyClock::now());
        timeout = std::clamp(left, std::chrono::milliseconds(1), timeout);
      }
      items[1].revents = items[2].revents = 0;
      zmq::poll(items, silent ? 1 : 3, timeout);
      if (items[0].revents & ZMQ_POLLIN) return Status::OK();
      if (handshakes_) handshakes_->Drain();  // every pass: a pending count gets reported
      if (silent) continue;
      if (silent_until_) {
        silent_until_.reset();
        spdlog::info("silence over, answering what queued up");
      }
      if (!(items[1].revents & ZMQ_POLLIN)) continue;
      std::vector<Request> group;
      ReadGroup(group);
      if (group.empty()) continue;
      HandleGroup(group);
      if (faults_.exit_after > 0 && uploads_ >= faults_.exit_after) {
        // Let the last replies leave before the socket closes.
        socket_.set(zmq::sockopt::linger, 1000);
        return Status::Unavailable("exit-after reached", std::to_string(uploads_) + " uploads");
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return Status::OK();
      return Status::Unavailable("national socket", e.what());
    }
  }
}

}  // namespace station::national
