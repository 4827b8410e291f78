#pragma once
// The clients of the T12 hostile-input test (hostile_input_test.cc): an
// enrolled gun that speaks the batch protocol by hand over CURVE, a spray of
// raw bytes from someone with no key, and a sampler of stationd's memory.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "core/status.h"
#include "security/link_security.h"
#include "tests/support/station_process.h"
#include "wire/dock.h"

namespace station::test {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// An enrolled gun speaking the batch protocol by hand over CURVE: a DEALER,
// with a monitor that counts its connections dropped and made.
class HostileGun {
 public:
  struct Reply {
    bool answered = false;
    double ms = 0;  // from the first frame sent to the reply
    Result<BatchAck> ack = Status::Unavailable("no reply");
  };

  HostileGun(const std::string& endpoint, const security::ClientSecurity& security)
      : socket_(context_, zmq::socket_type::dealer), monitor_(context_, zmq::socket_type::pair) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::sndtimeo, 10000);  // a send never blocks for ever
    security::ApplyClientSecurity(socket_, security);
    // The monitor PAIR is connected before the socket connects (V13).
    if (zmq_socket_monitor(socket_.handle(), "inproc://hostile-gun-monitor",
                           ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
      throw zmq::error_t();
    }
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect("inproc://hostile-gun-monitor");
    socket_.connect(endpoint);
  }
  ~HostileGun() { zmq_socket_monitor(socket_.handle(), nullptr, 0); }

  // Sends `frames` as one message and waits up to `timeout` for the reply.
  Reply Send(const std::vector<std::string>& frames, std::chrono::milliseconds timeout) {
    const auto start = SteadyClock::now();
    if (Status s = SendFrames(frames); !s.ok()) {
      Reply failed;
      failed.ack = s;
      return failed;
    }
    return Await(start, timeout);
  }

  // Queues `frames` as one message; kUnavailable when libzmq would not take
  // a frame within 10 s.
  Status SendFrames(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      auto sent = socket_.send(zmq::buffer(frames[i]),
                               i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (!sent) return Status::Unavailable("could not send frame " + std::to_string(i) + " within 10 s");
    }
    return Status::OK();
  }

  // The next reply, waited for until `start` + `timeout`; ms counts from `start`.
  Reply Await(SteadyClock::time_point start, std::chrono::milliseconds timeout) {
    Reply reply;
    const auto deadline = start + timeout;
    do {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      zmq::poll(&item, 1, std::max(left, 0ms));
      zmq::message_t message;
      if (!(item.revents & ZMQ_POLLIN) || !socket_.recv(message, zmq::recv_flags::dontwait)) continue;
      reply.ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
      reply.answered = true;
      reply.ack = DecodeBatchAck(message.to_string_view());
      while (message.more() && socket_.recv(message, zmq::recv_flags::dontwait)) {
      }
      return reply;
    } while (SteadyClock::now() < deadline);
    return reply;
  }

  // Reads the monitor's events so far (never blocks); true when one came.
  bool PollEvents(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{monitor_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, timeout);
    bool any = false;
    zmq::message_t event;
    while (monitor_.recv(event, zmq::recv_flags::dontwait)) {
      // Frame 1: a 16-bit event and a 32-bit value; frame 2: the endpoint.
      std::uint16_t id = 0;
      if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
      if (id == ZMQ_EVENT_DISCONNECTED) ++disconnects_;
      if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) ++handshakes_;
      while (event.more() && monitor_.recv(event, zmq::recv_flags::dontwait)) {
      }
      any = true;
    }
    return any;
  }

  int disconnects() const { return disconnects_; }
  int handshakes() const { return handshakes_; }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  zmq::socket_t monitor_;
  int disconnects_ = 0;
  int handshakes_ = 0;
};

// Raw bytes at the CURVE port from someone with no key (the pattern of
// libzmq's own fuzzers): plain TCP connections, half of them opening with
// a valid ZMTP 3.0 greeting for CURVE so the junk reaches the handshake.
// Every step is bounded by socket timeouts.
struct SprayResult {
  int connections = 0;
  int connected = 0;
  int closed_by_station = 0;  // stationd closed the connection within a second
  long long bytes = 0;
};

SprayResult SprayRawBytes(int port, int connections, std::size_t bytes_each, std::uint64_t seed);

// Samples stationd's VmRSS until stopped; bounded by the test's own end.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid)
      : thread_([this, pid] {
          while (!stop_) {
            max_kb_ = std::max(max_kb_.load(), RssKb(pid));
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~RssSampler() { Stop(); }
  long Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return max_kb_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> max_kb_{0};
  std::thread thread_;
};

}  // namespace station::test
