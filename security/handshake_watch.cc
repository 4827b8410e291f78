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
                             ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) {
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

void HandshakeWatch::Drain() {
  for (;;) {
    zmq::message_t event, address;
    if (!monitor_.recv(event, zmq::recv_flags::dontwait)) break;
    if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::dontwait);
    std::uint16_t id = 0;
    if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
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
