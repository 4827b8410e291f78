#include "daemon/uplink/national_connection.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include <spdlog/spdlog.h>

namespace station {
namespace {

using std::chrono::milliseconds;

// status.last_error starts so while national refuses this station's key.
constexpr const char* kKeyRefused = "national refused this station's key";

// 12 hex digits (48 bits) drawn afresh by each run of stationd.
std::string NewRunTag() {
  std::random_device rd;
  const std::uint64_t bits = (std::uint64_t{rd()} << 32 | rd()) & 0xffff'ffff'ffffULL;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%012llx", static_cast<unsigned long long>(bits));
  return tag;
}

}  // namespace

NationalConnection::NationalConnection(zmq::context_t& context, const UplinkOptions& options, UplinkStatus& status,
                                       Jitter& jitter)
    : context_(context), options_(options), status_(status), jitter_(jitter), run_tag_(NewRunTag()) {}

void NationalConnection::Connect() {
  reconnect_at_.reset();
  monitor_.reset();
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::immediate, 1);
  socket_->set(zmq::sockopt::sndhwm, std::max(4 * options_.window, 256));
  socket_->set(zmq::sockopt::maxmsgsize, int64_t{64} << 20);
  socket_->set(zmq::sockopt::heartbeat_ivl, 10 * options_.heartbeat_ms);
  socket_->set(zmq::sockopt::heartbeat_timeout, 30 * options_.heartbeat_ms);
  socket_->set(zmq::sockopt::heartbeat_ttl, 30 * options_.heartbeat_ms);
  socket_->set(zmq::sockopt::reconnect_ivl, 1000);
  socket_->set(zmq::sockopt::reconnect_ivl_max, options_.reconnect_max_ms);
  socket_->set(zmq::sockopt::tcp_keepalive, 1);
  socket_->set(zmq::sockopt::tcp_keepalive_idle, 60);
  socket_->set(zmq::sockopt::tcp_keepalive_intvl, 10);
  socket_->set(zmq::sockopt::tcp_keepalive_cnt, 6);
  security::ApplyClientSecurity(*socket_, options_.security);
  // The monitor is connected before the socket connects (RELIABILITY V13).
  const std::string monitor_endpoint = "inproc://uplink-monitor-" + std::to_string(++monitor_serial_);
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint.c_str(),
                         ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
    monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
    monitor_->set(zmq::sockopt::linger, 0);
    monitor_->connect(monitor_endpoint);
  }
  socket_->connect(options_.endpoint);
}

void NationalConnection::ReconnectIfDue(SteadyClock::time_point now) {
  if (!reconnect_at_ || now < *reconnect_at_) return;
  reconnect_at_.reset();
  Connect();
}

void NationalConnection::OnLinkUp() {
  auth_backoff_ms_ = 2000;
  if (status_.last_error.rfind(kKeyRefused, 0) == 0) status_.last_error.clear();
}

std::string NationalConnection::NextReq(const char* prefix) {
  return prefix + run_tag_ + "-" + std::to_string(++serial_);
}

bool NationalConnection::Send(const std::string& header, const std::string* body) {
  try {
    auto flags = body ? zmq::send_flags::dontwait | zmq::send_flags::sndmore : zmq::send_flags::dontwait;
    if (!socket_->send(zmq::buffer(header), flags)) return false;
    if (body) socket_->send(zmq::buffer(*body), zmq::send_flags::dontwait);
    return true;
  } catch (const zmq::error_t& e) {
    spdlog::debug("uplink send failed error=\"{}\"", e.what());
    return false;
  }
}

std::optional<NationalReply> NationalConnection::Receive() {
  NationalReply reply;
  if (!socket_->recv(reply.header, zmq::recv_flags::dontwait)) return std::nullopt;
  // The rest of a message is already here once its first frame is
  // (ZeroMQ delivers messages whole). Frames beyond the second are not
  // ours to read: they are drained and dropped.
  for (bool more = reply.header.more(); more;) {
    zmq::message_t part;
    (void)socket_->recv(part, zmq::recv_flags::none);
    more = part.more();
    if (!reply.has_body) {
      reply.body = std::move(part);
      reply.has_body = true;
    }
  }
  return reply;
}

void NationalConnection::ReadMonitor(const std::function<void()>& on_disconnect) {
  if (!monitor_) return;
  for (;;) {
    zmq::message_t event, address;
    if (!monitor_->recv(event, zmq::recv_flags::dontwait)) return;
    if (event.more()) (void)monitor_->recv(address, zmq::recv_flags::dontwait);
    std::uint16_t id = 0;
    if (event.size() >= sizeof(id)) std::memcpy(&id, event.data(), sizeof(id));
    std::uint32_t value = 0;
    if (event.size() >= 6) std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof(value));
    if (id == ZMQ_EVENT_DISCONNECTED) on_disconnect();
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) OnKeyRefused(value);
  }
}

void NationalConnection::OnKeyRefused(std::uint32_t zap_status) {
  // libzmq retries by itself; say why nothing gets through, once a minute
  // at most in the log, always in the clerk's status.
  status_.last_error = std::string(kKeyRefused) + " (ZAP " + std::to_string(zap_status) +
                       "): enroll keys/station.key at national, or check --national-key";
  if (SteadyClock::now() >= next_auth_log_) {
    spdlog::error("{}", status_.last_error);
    next_auth_log_ = SteadyClock::now() + std::chrono::minutes(1);
  }
  reconnect_at_ = SteadyClock::now() + milliseconds(jitter_.Around(auth_backoff_ms_));
  auth_backoff_ms_ = std::min(auth_backoff_ms_ * 2, kMaxBackoffMs);
}

}  // namespace station
