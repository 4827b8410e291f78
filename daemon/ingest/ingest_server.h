#pragma once
// The docks' way in: a ROUTER socket that takes batch messages, stores them
// and acknowledges each only after its rows are committed.

#include <cstdint>
#include <functional>
#include <utility>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

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

// What the ingest loop serves besides the docks, and whom it tells how it
// goes. Everything here runs on the ingest thread and must be cheap.
struct IngestHooks {
  // Another socket served in the same loop, on the same thread, so what it
  // writes goes through the one writer of station.db: when `socket` is
  // readable, `serve` answers whatever waits, without blocking.
  struct Served {
    zmq::socket_t* socket = nullptr;
    std::function<void()> serve;
  };
  std::vector<Served> served;  // the clerk's control socket
  std::function<void()> after_commit;  // after each committed group
  // On every pass of the loop (at least once a second): proof that the loop
  // is alive, for the systemd watchdog.
  std::function<void()> each_pass;
  // With CURVE on: whose keys are in force, checked on every message, and
  // where each gun's connections are noted so a revocation can close them.
  const security::ZapHandler* zap = nullptr;
  security::SessionTracker* sessions = nullptr;
};

class IngestServer {
 public:
  // Binds the ROUTER socket. kUnavailable when the endpoint cannot be bound.
  static Result<std::unique_ptr<IngestServer>> Start(zmq::context_t& context, Store& store,
                                                     const IngestOptions& options, IngestHooks hooks = {});

  // The endpoint actually bound (the port filled in for "tcp://127.0.0.1:*").
  const std::string& endpoint() const { return endpoint_; }

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

  IngestServer(zmq::context_t& context, Store& store, IngestOptions options, IngestHooks hooks);
  // Closes the connections of revoked keys whose refusal has had time to leave.
  void CloseRevoked();
  // Reads one message if one is waiting; false when none is.
  bool ReceiveOne(std::vector<IngestItem>& items, std::vector<Peer>& peers, std::size_t& rows);
  // The gun a message came from; a refusal when it may not send (no
  // authenticated name, or its key revoked since it connected).
  Result<std::string> Sender(zmq::message_t& frame);
  // Reads the held body of `item` with its header's `first_line`: its
  // rows, or a refusal of the whole message.
  void ReadBody(IngestItem& item, int first_line, const std::string& gun, std::size_t& rows);
  void StoreAndAcknowledge(std::vector<IngestItem>& items, std::vector<Peer>& peers);

  Store& store_;
  IngestOptions options_;
  zmq::socket_t socket_;
  std::string endpoint_;
  IngestHooks hooks_;
  DiskSpaceGuard disk_;
  std::unique_ptr<security::HandshakeWatch> handshakes_;  // with CURVE only
  // Revoked keys whose connections close once their refusal has had time
  // to leave: closed at once, the gun would never read why.
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> closing_;
};

}  // namespace station
