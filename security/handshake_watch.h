#pragma once
// Failed handshakes on a server socket, counted and logged in summary.
// libzmq drops a connection that fails the CURVE handshake (junk bytes, a
// wrong server key, a refused key) or sends a frame over MAXMSGSIZE
// without a word to the application; its monitor events are the only
// trace. One log line every 10 s at most, so a flood cannot fill the disk.
// The same monitor tells which connections are open, for SessionTracker.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "security/sessions.h"

namespace station::security {

class HandshakeWatch {
 public:
  // Attaches a monitor to `server`; call before it binds (RELIABILITY.md
  // V13). Null when libzmq refuses the monitor (then nothing is counted).
  static std::unique_ptr<HandshakeWatch> Attach(zmq::context_t& context, zmq::socket_t& server,
                                                const std::string& port_name);

  zmq::socket_t& socket() { return monitor_; }

  // Reads the events waiting; logs a summary when one is due. Connections
  // accepted and gone are noted in `sessions` when given.
  void Drain(SessionTracker* sessions = nullptr);

  std::int64_t failed_total() const { return failed_total_; }

 private:
  HandshakeWatch(zmq::context_t& context, std::string port_name);

  zmq::socket_t monitor_;
  std::string port_name_;
  std::int64_t refused_ = 0, protocol_ = 0, other_ = 0;  // since the last log line
  std::int64_t failed_total_ = 0;
  std::chrono::steady_clock::time_point next_log_{};
};

}  // namespace station::security
