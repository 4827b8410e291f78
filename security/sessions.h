#pragma once
// The open connections of each authenticated key, so that a revocation
// can close them: ZAP is asked once per handshake (RELIABILITY.md §6.8),
// and libzmq has no call to drop one peer of a ROUTER. Each message tells
// its connection's file descriptor (ZMQ_SRCFD); shutting that descriptor
// down makes libzmq drop the connection, and the peer's reconnect then
// meets ZAP again. A connection that has sent nothing yet is known only by
// the socket monitor's ZMQ_EVENT_ACCEPTED, without its key: a revocation
// closes it when it comes from an address the revoked key was admitted
// from. Thread-safe: the serving thread notes, the ZAP thread closes.

#include <sys/socket.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

namespace station::security {

class SessionTracker {
 public:
  // Notes that a message from `key` (the client's public key, Z85) came in
  // on connection `fd`: one getpeername and one lookup, against messages of
  // up to thousands of scans.
  void Seen(const std::string& key, int fd);

  // Notes a connection accepted on `fd` whose key is not known until it
  // sends (ZMQ_EVENT_ACCEPTED). A connection already noted is kept as is.
  void Accepted(int fd);

  // Forgets the connection on `fd` (ZMQ_EVENT_DISCONNECTED).
  void Gone(int fd);

  // Shuts down every connection noted for `key`; returns how many. A
  // descriptor whose peer address changed since (closed, then reused for
  // another connection) is left alone.
  int Close(const std::string& key);

  // Shuts down every connection that has sent nothing yet from one of
  // `addresses` (peer IP addresses as ZAP gives them; "*" for any): after a
  // revocation one of them may be the revoked key's, idle since its
  // handshake. Any other gun's among them reconnects at once and is let in
  // again. Returns how many.
  int CloseUnnamed(const std::vector<std::string>& addresses);

 private:
  struct Connection {
    std::string key;  // empty until the connection sends
    sockaddr_storage peer{};
    socklen_t peer_len = 0;
  };
  // Shuts down the connections `which` picks; the caller holds mutex_.
  template <typename Pick>
  int CloseWhere(Pick which);

  std::mutex mutex_;
  // By descriptor: numbers are reused as connections come and go, so the
  // map stays as small as the process's descriptor table.
  std::unordered_map<int, Connection> by_fd_;
};

// The ZAP User-Id of a received frame; empty when there is none (an ipc://
// or --insecure socket). cppzmq's gets() throws then (RELIABILITY.md V6).
std::string UserIdOf(const zmq::message_t& frame);

// The client's public key (Z85) the ZAP handler put in the connection's
// metadata as X-Key; empty when there is none.
std::string ClientKeyOf(const zmq::message_t& frame);

// The descriptor of the connection a frame came in on, or -1.
int SourceFdOf(zmq::message_t& frame);

}  // namespace station::security
