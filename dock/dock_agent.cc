#include "dock/dock_agent.h"

#include <zmq.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "core/log_text.h"
#include "dock/batch_parts.h"
#include "dock/spool.h"
#include "wire/dock.h"

namespace station {
namespace {

using dock::FileState;
using dock::Part;
using dock::SteadyClock;

// Everything the agent has on its mind, keyed by the req of each part.
class Agent {
 public:
  Agent(const DockOptions& options, Spool spool, zmq::context_t& context)
      : options_(options), spool_(std::move(spool)), context_(context) {
    std::random_device rd;
    nonce_ = std::to_string(rd() % 1000000);
  }

  Result<DockReport> Run(int stop_fd);

 private:
  void Connect();
  void LoadNewFiles();
  void SendWaiting();
  void ReceiveAcks();
  void HandleAck(const BatchAck& ack);
  void DrainMonitor();
  void HandleEvent(std::uint16_t id, std::uint32_t value);
  void ResendTimedOut();
  void FinishFile(FileState& file, const std::string& rejected_why);
  bool Done() const { return options_.once && parts_.empty() && loaded_once_; }

  const DockOptions& options_;
  Spool spool_;
  zmq::context_t& context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
  int monitor_serial_ = 0;
  bool connected_ = false;
  std::string nonce_;
  std::uint64_t next_req_ = 0;
  dock::PartsByReq parts_;
  std::set<std::string> known_files_;
  bool loaded_once_ = false;
  int in_flight_ = 0;
  int files_failed_ = 0;  // unreadable, or answered but not filed away
  int auth_refusals_ = 0;  // handshakes refused in a row (ZAP 400: key not enrolled, or revoked)
  int handshake_failures_ = 0;  // handshakes cut short in a row (a wrong station key)
  // libzmq does not reconnect after a refused key (the session ends as a
  // protocol error): a fresh socket tries again then, for the key may have
  // been enrolled meanwhile.
  std::optional<SteadyClock::time_point> reconnect_at_;
  SteadyClock::time_point last_progress_ = SteadyClock::now();
  SteadyClock::time_point last_scan_{};
  DockReport report_;
};

void Agent::Connect() {
  // A fresh socket drops whatever the old one still had queued; every part
  // in flight goes back to waiting and is resent.
  for (auto& [req, part] : parts_) part.in_flight = false;
  in_flight_ = 0;
  connected_ = false;
  // Stop the old socket's monitor before either closes, so no event is
  // left in flight between them.
  if (socket_ && monitor_) zmq_socket_monitor(socket_->handle(), nullptr, 0);
  monitor_.reset();
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::immediate, 1);  // no queueing onto a connection that is not up
  socket_->set(zmq::sockopt::reconnect_ivl, 100);
  socket_->set(zmq::sockopt::reconnect_ivl_max, 5000);
  socket_->set(zmq::sockopt::heartbeat_ivl, 5000);
  socket_->set(zmq::sockopt::heartbeat_timeout, 15000);
  socket_->set(zmq::sockopt::heartbeat_ttl, 15000);
  socket_->set(zmq::sockopt::sndhwm, 1000);
  // TCP keepalive backs up the ZMTP heartbeats on half-open links (RELIABILITY.md §3).
  socket_->set(zmq::sockopt::tcp_keepalive, 1);
  socket_->set(zmq::sockopt::tcp_keepalive_idle, 60);
  socket_->set(zmq::sockopt::tcp_keepalive_intvl, 10);
  socket_->set(zmq::sockopt::tcp_keepalive_cnt, 6);
  security::ApplyClientSecurity(*socket_, options_.security);
  // Connection events tell us when to resend at once rather than wait for
  // the ack timeout. The PAIR must be connected before connect() (V13).
  std::string monitor_endpoint = "inproc://dock-monitor-" + std::to_string(++monitor_serial_);
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                             ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
    monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
    monitor_->set(zmq::sockopt::linger, 0);
    monitor_->connect(monitor_endpoint);
  }
  socket_->connect(options_.endpoint);
}

void Agent::LoadNewFiles() {
  if (options_.once && loaded_once_) return;
  SteadyClock::time_point now = SteadyClock::now();
  if (loaded_once_ && now - last_scan_ < options_.rescan) return;
  last_scan_ = now;
  loaded_once_ = true;
  for (const std::string& name : spool_.Waiting()) {
    if (!known_files_.insert(name).second) continue;
    auto text = spool_.Read(name);
    if (!text.ok()) {
      spdlog::warn("cannot read batch file name=\"{}\" error=\"{}\"", LogText(name), LogText(text.status().ToString()));
      known_files_.erase(name);  // tried again at the next look, unless --once
      if (options_.once) ++files_failed_;
      continue;
    }
    const std::size_t parts = dock::QueueBatchFile(name, std::move(*text), options_.part_rows, nonce_, next_req_, parts_);
    spdlog::info("batch file queued name=\"{}\" parts={}", LogText(name), parts);
  }
}

void Agent::SendWaiting() {
  SteadyClock::time_point now = SteadyClock::now();
  for (auto& [req, part] : parts_) {
    if (in_flight_ >= options_.window) return;
    if (part.in_flight || now < part.not_before) continue;
    try {
      if (!socket_->send(zmq::buffer(part.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
      socket_->send(zmq::buffer(part.body), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      spdlog::warn("send failed req=\"{}\" error=\"{}\"", LogText(req), e.what());
      return;
    }
    part.in_flight = true;
    part.sent_at = now;
    ++in_flight_;
  }
}

void Agent::FinishFile(FileState& file, const std::string& rejected_why) {
  file.finished = true;
  Status s;
  if (rejected_why.empty()) {
    s = spool_.MarkDone(file.name, file.summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    if (s.ok()) {
      ++report_.files_done;
      spdlog::info("batch file acknowledged name=\"{}\" accepted={} duplicates={} rejected={} conflicts={}",
                   LogText(file.name),
                   file.summary["accepted"].get<int>(), file.summary["duplicates"].get<int>(),
                   file.summary["rejected"].size(), file.summary["conflicts"].size());
    }
  } else {
    s = spool_.MarkRejected(file.name, rejected_why);
    if (s.ok()) {
      ++report_.files_rejected;
      spdlog::warn("batch file rejected name=\"{}\" why=\"{}\"", LogText(file.name), LogText(rejected_why));
    }
  }
  if (!s.ok()) {
    // Answered, but still in the spool: it will be sent again (harmlessly)
    // and must not count as acknowledged.
    ++files_failed_;
    spdlog::error("cannot file away batch name=\"{}\" error=\"{}\"", LogText(file.name), LogText(s.ToString()));
  }
  known_files_.erase(file.name);
  // Drop the file's other parts: answered or not, the file is settled.
  in_flight_ -= dock::DropPartsOf(file, parts_);
}

void Agent::HandleAck(const BatchAck& ack) {
  auto it = parts_.find(ack.req);
  if (it == parts_.end()) return;  // an answer to a resend already settled
  Part& part = it->second;
  std::shared_ptr<FileState> file = part.file;
  if (!ack.ok) {
    if (ack.code == CodeName(Code::kUnavailable) || ack.code == CodeName(Code::kIOError)) {
      // stationd could not store it now: try again later, backing off.
      if (part.in_flight) --in_flight_;
      part.in_flight = false;
      part.retries = std::min(part.retries + 1, 6);
      part.not_before = SteadyClock::now() + std::chrono::milliseconds(250 << part.retries);
      spdlog::warn("stationd asks to retry later req=\"{}\" error=\"{}\"", LogText(ack.req), LogText(ack.error));
      return;
    }
    last_progress_ = SteadyClock::now();
    if (ack.code == CodeName(Code::kPermissionDenied)) {
      // Not this gun's to send, or its key was revoked: the file stays in
      // the spool, untouched, for a gun with the right key. Nothing is lost.
      spdlog::error("stationd refused batch file name=\"{}\": {}; it stays in the spool", LogText(file->name),
                    LogText(ack.error));
      report_.key_refused = true;
      ++files_failed_;
      in_flight_ -= dock::DropPartsOf(*file, parts_);
      return;
    }
    // One part refused whole does not cost the file's other parts: they go
    // on, and the refusal is kept in the file's summary (and in stationd's
    // quarantine). Only a file refused in every part is filed as rejected.
    const std::string why = ack.code + ": " + ack.error;
    if (part.in_flight) --in_flight_;
    parts_.erase(it);
    if (file->parts_refused++ == 0) file->first_refusal = why;
    ++report_.refused_parts;
    file->summary["refused_parts"].push_back(why);
    if (--file->parts_left == 0) {
      const bool all_refused = file->parts_refused == file->parts;
      if (all_refused) report_.refused_parts -= static_cast<std::int64_t>(file->parts_refused);  // counted as a file
      FinishFile(*file, all_refused ? file->first_refusal : "");
    } else {
      spdlog::warn("part of batch file refused name=\"{}\" why=\"{}\"; its other parts go on", LogText(file->name),
                   LogText(why));
    }
    return;
  }
  // Only a settled answer is progress: "retry later" forever must still let
  // --once give up.
  last_progress_ = SteadyClock::now();
  if (part.in_flight) --in_flight_;
  parts_.erase(it);
  dock::AddToSummary(*file, ack);
  report_.accepted += ack.accepted;
  report_.duplicates += ack.duplicates;
  report_.rejected_rows += static_cast<std::int64_t>(ack.rejected.size());
  report_.conflicts += static_cast<std::int64_t>(ack.conflicts.size());
  if (--file->parts_left == 0) FinishFile(*file, "");
}

void Agent::ReceiveAcks() {
  for (;;) {
    zmq::message_t reply;
    auto got = socket_->recv(reply, zmq::recv_flags::dontwait);
    if (!got) return;
    while (reply.more()) {  // only single-frame acks are expected; skip the rest
      zmq::message_t extra;
      if (!socket_->recv(extra, zmq::recv_flags::dontwait)) break;
      if (!extra.more()) break;
    }
    auto ack = DecodeBatchAck(reply.to_string_view());
    if (!ack.ok()) {
      spdlog::warn("unreadable reply from stationd: {}", LogText(ack.status().ToString()));
      continue;
    }
    HandleAck(*ack);
  }
}

void Agent::DrainMonitor() {
  if (!monitor_) return;
  for (;;) {
    zmq::message_t event;
    if (!monitor_->recv(event, zmq::recv_flags::dontwait)) return;
    zmq::message_t address;
    if (event.more()) (void)monitor_->recv(address, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    std::uint16_t id;
    std::uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, sizeof value);
    HandleEvent(id, value);
  }
}

void Agent::HandleEvent(std::uint16_t id, std::uint32_t value) {
  if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    ++auth_refusals_;
    reconnect_at_ = SteadyClock::now() + std::chrono::milliseconds(auth_refusals_ <= 3 ? 1000 : 30000);
    spdlog::error("stationd refused this gun's key (ZAP {}): it is not enrolled at this station, or it was "
                  "revoked; ask the station's IT to enroll it (stationctl keys enroll)",
                  value);
  } else if (id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
    // stationd hangs up in the middle of the CURVE handshake when it
    // cannot read this dock's first message: it was sealed for another
    // server key. libzmq retries by itself, backing off to 5 s.
    ++handshake_failures_;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      spdlog::error("the handshake with {} failed (ZMTP protocol error 0x{:x}): is this stationd's dock port, and "
                    "does neither side alone run --insecure?",
                    options_.endpoint, value);
    } else if (options_.security.curve) {
      spdlog::error("stationd at {} hung up during the secure handshake ({} time(s) in a row): the station key this "
                    "dock was given (--station-key) is most likely not this station's. Compare it with "
                    "keys/station.key in the station's data folder (stationctl keys list shows it)",
                    options_.endpoint, handshake_failures_);
    } else {
      spdlog::error("stationd at {} hung up during the handshake ({} time(s) in a row): is it running with "
                    "--insecure, as this dock is?",
                    options_.endpoint, handshake_failures_);
    }
  } else if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
    auth_refusals_ = 0;
    handshake_failures_ = 0;
    connected_ = true;
    spdlog::info("connected to stationd endpoint={}", options_.endpoint);
  } else if (id == ZMQ_EVENT_DISCONNECTED) {
    // Whatever was in flight may be lost with the connection: resend it
    // as soon as we are connected again. A connection that never got past
    // its handshake lost nothing, and was reported above.
    const bool was_connected = connected_;
    connected_ = false;
    for (auto& [req, part] : parts_) part.in_flight = false;
    in_flight_ = 0;
    if (was_connected) spdlog::warn("lost stationd endpoint={}; will resend what was in flight", options_.endpoint);
  }
}

void Agent::ResendTimedOut() {
  SteadyClock::time_point now = SteadyClock::now();
  bool any = false;
  for (auto& [req, part] : parts_) {
    if (part.in_flight && now - part.sent_at > options_.ack_timeout) {
      part.in_flight = false;
      --in_flight_;
      any = true;
    }
  }
  // A reply that never came may mean a wedged connection: start afresh.
  if (any) {
    spdlog::warn("no acknowledgement within {} ms; reconnecting and resending", options_.ack_timeout.count());
    Connect();
  }
}

Result<DockReport> Agent::Run(int stop_fd) {
  try {
    Connect();
    for (;;) {
      LoadNewFiles();
      if (Done()) break;
      SendWaiting();
      zmq::pollitem_t items[3] = {{socket_->handle(), 0, ZMQ_POLLIN, 0},
                                  {nullptr, stop_fd, ZMQ_POLLIN, 0},
                                  {monitor_ ? monitor_->handle() : nullptr, monitor_ ? 0 : -1, ZMQ_POLLIN, 0}};
      // Parts waiting on a live connection (a send that met a full pipe)
      // are retried soon; otherwise an event or the rescan wakes us.
      bool waiting = connected_ && in_flight_ < options_.window && in_flight_ < static_cast<int>(parts_.size());
      zmq::poll(items, monitor_ ? 3 : 2, std::chrono::milliseconds(waiting ? 5 : 100));
      if (items[1].revents & ZMQ_POLLIN) break;
      if (items[0].revents & ZMQ_POLLIN) ReceiveAcks();
      DrainMonitor();
      if (reconnect_at_ && SteadyClock::now() >= *reconnect_at_) {
        reconnect_at_.reset();
        Connect();
      }
      ResendTimedOut();
      if (options_.once && auth_refusals_ >= options_.auth_refusals_to_give_up) {
        spdlog::error("stationd refused this gun's key {} times; giving up", auth_refusals_);
        break;
      }
      if (options_.once && handshake_failures_ >= options_.auth_refusals_to_give_up) {
        spdlog::error("the handshake with stationd failed {} times in a row; giving up", handshake_failures_);
        break;
      }
      if (options_.once && !parts_.empty() && SteadyClock::now() - last_progress_ > options_.give_up) {
        spdlog::error("stationd did not acknowledge for {} ms; giving up", options_.give_up.count());
        break;
      }
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("dock socket " + options_.endpoint, e.what());
  }
  std::set<FileState*> unfinished;
  for (auto& [req, part] : parts_) unfinished.insert(part.file.get());
  report_.files_unfinished = static_cast<int>(unfinished.size()) + files_failed_;
  if (auth_refusals_ > 0) report_.key_refused = true;  // the last handshake was refused
  if (handshake_failures_ > 0 && !connected_) report_.handshake_failed = true;  // and never got through since
  return report_;
}

}  // namespace

Result<DockReport> RunDockAgent(const DockOptions& options, int stop_fd) {
  auto spool = Spool::Open(options.spool);
  if (!spool.ok()) return spool.status();
  zmq::context_t context(1);
  Agent agent(options, std::move(*spool), context);
  return agent.Run(stop_fd);
}

}  // namespace station
