#pragma once
// The docks' way in: a ROUTER socket that takes batch messages, stores them
// and acknowledges each only after its rows are committed.

#include <cstdint>
#include <functional>
#include <utility>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "daemon/clerk/control_server.h"
#include "daemon/ops/disk_space.h"
#include "daemon/storage/store.h"
#include "core/status.h"
#include "security/handshake_watch.h"
#include "security/link_security.h"
#include "security/sessions.h"
#include "security/zap_handler.h"

namespace station {

struct IngestOptions {
  std::string station;                        // this station's code; batches for others are refused
  std::string endpoint = "tcp://127.0.0.1:7701";
  std::size_t max_message_bytes = 4u << 20;   // per frame (ZMQ_MAXMSGSIZE) and per body
  // Group commit: batches already waiting are stored in one transaction, up
  // to these bounds, so a burst of docks costs one fsync, not one each.
  std::size_t max_group_messages = 64;
  std::size_t max_group_rows = 32'000;
  // CURVE on the dock port (domain "scanners"); off for ipc:// and --insecure.
  security::ServerSecurity security;
  // Below this much free space, batches are answered "retry later" unstored.
  DiskSpaceOptions disk;
};

class IngestServer {
 public:
  // Binds the ROUTER socket. kUnavailable when the endpoint cannot be bound.
  static Result<std::unique_ptr<IngestServer>> Start(zmq::context_t& context, Store& store,
                                                     const IngestOptions& options);

  // The endpoint actually bound (the port filled in for "tcp://127.0.0.1:*").
  const std::string& endpoint() const { return endpoint_; }

  // Serves `control` in the same loop (same thread, same writer); may be null.
  void SetControl(ControlServer* control) { control_ = control; }

  // With CURVE on: whose keys are in force, checked on every message, and
  // where each gun's connections are noted so a revocation can close them.
  void SetAuthentication(const security::ZapHandler* zap, security::SessionTracker* sessions) {
    zap_ = zap;
    sessions_ = sessions;
  }

  // Called on the ingest thread after each committed group; must be cheap.
  void SetAfterCommit(std::function<void()> after_commit) { after_commit_ = std::move(after_commit); }

  // Called on the ingest thread on every pass of its loop (at least once a
  // second): proof that the loop is alive, for the systemd watchdog. Cheap.
  void SetEachPass(std::function<void()> each_pass) { each_pass_ = std::move(each_pass); }

  // Serves until `stop_fd` becomes readable. Returns non-OK only when the
  // socket fails; bad input and storage errors are answered, not returned.
  Status Run(int stop_fd);

 private:
  // Who sent a message, and how to address the reply.
  struct Peer {
    zmq::message_t id;          // ROUTER routing id
    bool req_envelope = false;  // a REQ client: echo the empty delimiter
    std::string gun;            // its authenticated name, for the log; empty without CURVE
  };

  IngestServer(zmq::context_t& context, Store& store, IngestOptions options);
  // Reads one message if one is waiting; false when none is.
  bool ReceiveOne(std::vector<IngestItem>& items, std::vector<Peer>& peers, std::size_t& rows);
  // The gun a message came from; a refusal when it may not send (no
  // authenticated name, or its key revoked since it connected).
  Result<std::string> Sender(zmq::message_t& frame);
  void StoreAndAcknowledge(std::vector<IngestItem>& items, std::vector<Peer>& peers);

  Store& store_;
  IngestOptions options_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::function<void()> after_commit_;
  std::function<void()> each_pass_;
  DiskSpaceGuard disk_;
  ControlServer* control_ = nullptr;
  std::unique_ptr<security::HandshakeWatch> handshakes_;  // with CURVE only
  // Revoked keys whose connections close once their refusal has had time
  // to leave: closed at once, the gun would never read why.
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> closing_;
  const security::ZapHandler* zap_ = nullptr;
  security::SessionTracker* sessions_ = nullptr;
};

}  // namespace station
