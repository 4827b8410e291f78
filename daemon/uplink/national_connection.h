#pragma once
// The uplink's DEALER to national: connecting and reconnecting (with
// backoff and jitter after national refused this station's key), the
// monitor that reports a closed connection or a refused key, and the
// sending and receiving of the link's messages.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "daemon/uplink/link_context.h"

namespace station {

// A message from national: its header frame and, when it has one, its
// second frame (frames beyond the second are dropped).
struct NationalReply {
  zmq::message_t header;
  zmq::message_t body;
  bool has_body = false;
  std::string_view body_text() const { return has_body ? body.to_string_view() : std::string_view(); }
};

// Used by the uplink thread only. Every call may throw zmq::error_t, which
// the uplink's loop answers by taking the link down and connecting again.
class NationalConnection final : public RequestSender {
 public:
  // Writes status.last_error when national refuses this station's key.
  NationalConnection(zmq::context_t& context, const UplinkOptions& options, UplinkStatus& status, Jitter& jitter);

  // A new socket (and monitor) connected to options.endpoint; the old one
  // is closed with whatever it still held. Throws zmq::error_t on a bad
  // endpoint.
  void Connect();
  // Connects afresh once the wait after a refused key is over.
  void ReconnectIfDue(SteadyClock::time_point now);
  // The link came up: a refused key is no longer the news, and the next
  // refusal backs off from the start again.
  void OnLinkUp();

  std::string NextReq(const char* prefix) override;
  std::uint64_t serial() const override { return serial_; }
  bool Send(const std::string& header, const std::string* body) override;

  // The next message waiting, without blocking; nullopt when none.
  std::optional<NationalReply> Receive();
  // Reads the monitor's events in order: a closed connection calls
  // `on_disconnect`; a refused key is logged (once a minute at most) and
  // schedules a reconnect.
  void ReadMonitor(const std::function<void()>& on_disconnect);

  // For zmq::poll; the monitor's is nullptr when it could not be set up.
  void* socket_handle() { return socket_->handle(); }
  void* monitor_handle() { return monitor_ ? monitor_->handle() : nullptr; }

 private:
  void OnKeyRefused(std::uint32_t zap_status);

  zmq::context_t& context_;
  const UplinkOptions& options_;
  UplinkStatus& status_;
  Jitter& jitter_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
  int monitor_serial_ = 0;  // each monitor its own inproc endpoint
  std::uint64_t serial_ = 0;
  // Reqs are "<prefix><run tag>-<serial>": a sync may ask national about
  // an upload by its req, so a req names one upload of one run, never one
  // of an earlier run that national may still remember.
  const std::string run_tag_;
  SteadyClock::time_point next_auth_log_{};
  // libzmq gives up on a connection whose key was refused (a protocol
  // error ends the session, no reconnect); so do we, for a while, then try
  // afresh with a new socket: the key may have been enrolled meanwhile.
  std::optional<SteadyClock::time_point> reconnect_at_;
  int auth_backoff_ms_ = 2000;
};

}  // namespace station
