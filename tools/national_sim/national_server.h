#pragma once
// national-sim's service loop: the national side of the link of
// docs/protocol.md ("The national link", "Sync", "Post", "Lookup", "Upload").
// A ROUTER answers uploads (stored before they are acknowledged), syncs
// (manifest rows and mail), posts (stored in the recipient's mailbox) and
// lookups (manifest rows by waybill, any destination), and can misbehave on
// purpose for fault tests.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "security/handshake_watch.h"
#include "security/link_security.h"
#include "security/sessions.h"
#include "security/zap_handler.h"
#include "tools/national_sim/national_store.h"
#include "tools/national_sim/upload_replies.h"

namespace station::national {

// Fault switches. Each decision is drawn from one generator seeded with
// `seed`, in the order messages arrive, so a run can be repeated.
struct Faults {
  int drop_replies_percent = 0;  // handle (and store), then do not answer this share of requests
  int refuse_percent = 0;        // answer this share "Unavailable" without storing anything
  std::int64_t exit_after = 0;   // exit (as if it crashed) after answering this many uploads; 0: never
  // After this many messages (0: from the start; -1: never), read and answer
  // nothing for silent_ms, once; what queued up meanwhile is answered after.
  std::int64_t silent_after = -1;
  std::int64_t silent_ms = 0;
  std::uint64_t seed = 1;
  // The poison rule: an upload holding a scan of one of these waybills is
  // refused InvalidArgument, every time (CheckPoison).
  std::vector<std::string> refuse_waybills;
};

class NationalServer {
 public:
  // Binds `endpoint` (kUnavailable when it cannot). `store` must outlive the server.
  // With `security.curve`, every station is known by its key (domain
  // "stations") and may speak only as itself.
  static Result<std::unique_ptr<NationalServer>> Start(zmq::context_t& context, NationalStore& store,
                                                       const std::string& endpoint, const Faults& faults,
                                                       const security::ServerSecurity& security = {});
  // Whose keys are in force, and where each station's connections are noted
  // so a revocation can close them. Both must outlive the server.
  void SetAuthentication(const security::ZapHandler* zap, security::SessionTracker* sessions) {
    zap_ = zap;
    sessions_ = sessions;
  }
  const std::string& endpoint() const { return endpoint_; }
  // Serves until `stop_fd` is readable (OK), or the exit-after fault fires
  // (kUnavailable, "exit-after reached").
  Status Run(int stop_fd);

  // Most messages read and handled together; their uploads share one commit.
  // Small against a station's window (32 uploads): while one group commits,
  // the station's next uploads are already on their way, so both sides
  // work at once. A group of the whole window made the station wait for one
  // long commit, then national for the next window (measured: 4 rather
  // than 64 took a 1,000,000-scan drain from 6.7 s to about 5 s).
  static constexpr std::size_t kMaxGroupMessages = 4;
  // ...and at most this many bytes of them, so one group's commit stays short.
  static constexpr std::size_t kMaxGroupBytes = 32 << 20;

 private:
  // One message as read, then its reply. Frames: [routing id, header, body?].
  struct Request {
    zmq::message_t peer, header, body;
    int frames = 0;  // how many the message had, routing id included
    // Read from the header before it is decoded, for whatever reply it gets.
    std::string type, req, msg_id;
    std::string sender;  // the station its key belongs to (ZAP User-Id); empty without CURVE
    std::string sender_key;  // that key (Z85)
    // An upload waiting for the group commit.
    std::string station;
    std::vector<UploadedScan> scans;
    bool pending_upload = false;
    std::string reply, reply_body;  // reply_body is sent only for a sync_ack or lookup_ack
    bool has_reply_body = false;
  };

  NationalServer(zmq::context_t& context, NationalStore& store, const Faults& faults);
  bool ReadMessage(Request& request);
  void ReadGroup(std::vector<Request>& group);
  void HandleGroup(std::vector<Request>& group);
  void DecodeUpload(Request& request);
  void HandleSync(Request& request, std::int64_t now_ms);
  void HandlePost(Request& request, std::int64_t now_ms);
  void HandleLookup(Request& request, std::int64_t now_ms);
  void Refuse(Request& request, const Status& why);
  // OK when `request` may speak as `claimed`: its key is that station's and
  // still enrolled. Otherwise kPermissionDenied, logged as a security event.
  Status CheckSpeaker(const Request& request, const std::string& claimed);
  void SendReply(Request& request);
  bool Roll(int percent);
  bool SilenceDue() const;

  NationalStore& store_;
  Faults faults_;
  std::mt19937_64 rng_;
  zmq::socket_t socket_;
  bool curve_ = false;
  std::unique_ptr<security::HandshakeWatch> handshakes_;  // with CURVE only
  const security::ZapHandler* zap_ = nullptr;
  security::SessionTracker* sessions_ = nullptr;
  std::string endpoint_;
  UploadReplies replies_;  // for the syncs that ask about lost replies
  std::int64_t received_ = 0;  // messages read
  std::int64_t uploads_ = 0;   // upload requests answered, for exit_after
  bool silence_done_ = false;
  std::optional<std::chrono::steady_clock::time_point> silent_until_;
};

}  // namespace station::national
