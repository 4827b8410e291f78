#pragma once
// A TCP proxy on 127.0.0.1 that adds a fixed one-way delay, for tests of a
// slow national link: latency only, no loss and no bandwidth limit.

#include <chrono>
#include <string>
#include <thread>

namespace station::test {

// Listens on a port the system picks and forwards each connection it
// accepts to 127.0.0.1:`target_port`. Every chunk read from either side is
// written to the other at (the time it was read + `one_way_delay`), in the
// order read; an end of stream is passed on the same way. A connection the
// target refuses is closed at once. Each direction holds at most a few MiB;
// past that the proxy stops reading from the sender until it has caught up.
//
// The proxy runs on its own thread from construction until destruction,
// which stops it, joins the thread and closes every connection. Throws
// std::runtime_error when it cannot listen.
class DelayProxy {
 public:
  DelayProxy(int target_port, std::chrono::milliseconds one_way_delay);
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  int port() const { return port_; }
  // "tcp://127.0.0.1:<port>", for ZeroMQ.
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

 private:
  void Run();

  const int target_port_;
  const std::chrono::milliseconds delay_;
  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};  // written once by the destructor: wakes poll()
  std::thread thread_;
};

}  // namespace station::test
