#include "security/handshake_watch.h"

#include <atomic>
#include <cstring>

#include <spdlog/spdlog.h>

namespace station::security {
namespace {

constexpr auto kLogEvery = std::chrono::seconds(10);
std::atomic<int> next_serial{0};

}  // namespace

HandshakeWatch::HandshakeWatch(zmq::context_t& context, std::string port_name)
    : monitor_(context, zmq::socket_type::pair), port_name_(std::move(port_name)) {}

std::unique_ptr<HandshakeWatch> HandshakeWatch::Attach(zmq::context_t& context, zmq::socket_t& server,
                                                       const std::string& port_name) {
  const std::string endpoint = "inproc://handshake-watch-" + std::to_string(++next_serial);
  if (zmq_socket_monitor(server.handle(), endpoint.c_str(),
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
    return nullptr;
  }
  std::unique_ptr<HandshakeWatch> watch(new HandshakeWatch(context, port_name));
  watch->monitor_.set(zmq::sockopt::linger, 0);
  // libzmq sends monitor events blocking from its I/O thread; an unbounded
  // queue here means a flood of bad handshakes while the server commits
  // can never stall that thread (RELIABILITY.md §6.11).
  watch->monitor_.set(zmq::sockopt::rcvhwm, 0);
  watch->monitor_.connect(endpoint);
  return watch;
}

void HandshakeWatch::Drain(SessionTracker* sessions) {
  for (;;) {
    zmq::message_t event, address;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) break;
    if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::dontwait);
    // A 16-bit event id, then a 32-bit value: the descriptor for
    // ACCEPTED and DISCONNECTED.
    std::uint16_t id = 0;
    std::uint32_t value = 0;
    if (event.size() >= sizeof id + sizeof value) {
      std::memcpy(&id, event.data(), sizeof id);
      std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
    }
    if (id == ZMQ_EVENT_ACCEPTED || id == ZMQ_EVENT_DISCONNECTED) {
      if (sessions && id == ZMQ_EVENT_ACCEPTED) sessions->Accepted(static_cast<int>(value));
      if (sessions && id == ZMQ_EVENT_DISCONNECTED) sessions->Gone(static_cast<int>(value));
      continue;
    }
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
      ++refused_;  // each is also logged by the ZAP handler, with its key
    } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      ++protocol_;
    } else {
      ++other_;
    }
    ++failed_total_;
  }
  const auto now = std::chrono::steady_clock::now();
  if (refused_ + protocol_ + other_ == 0 || now < next_log_) return;
  spdlog::warn("security: {} failed handshake(s) on the {} since the last report: {} key(s) refused, {} protocol "
               "error(s) (not ZMTP/CURVE, or a wrong server key), {} other",
               refused_ + protocol_ + other_, port_name_, refused_, protocol_, other_);
  refused_ = protocol_ = other_ = 0;
  next_log_ = now + kLogEvery;
}

}  // namespace station::security
