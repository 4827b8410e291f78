#include "security/zap_handler.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "security/curve_key.h"

namespace station::security {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr auto kPoll = std::chrono::milliseconds(100);
// keys.db is looked at this often: the bound on how long an enrollment or
// a revocation takes to apply.
constexpr auto kReloadEvery = std::chrono::milliseconds(500);
constexpr int kLoggedRefusals = 20;  // a minute

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, KeyStore store, OnKeyLost on_key_lost)
    : socket_(context, zmq::socket_type::rep), store_(std::move(store)), on_key_lost_(std::move(on_key_lost)) {}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t& context, const std::string& keys_db,
                                                      OnKeyLost on_key_lost) {
  auto store = KeyStore::Open(keys_db);
  if (!store.ok()) return Status::IOError("keys database " + keys_db, store.status().ToString());
  std::unique_ptr<ZapHandler> handler(new ZapHandler(context, std::move(*store), std::move(on_key_lost)));
  handler->Reload();
  if (!handler->current_) return Status::IOError("keys database " + keys_db, "cannot be read");
  try {
    handler->socket_.set(zmq::sockopt::linger, 0);
    handler->socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("ZAP handler", e.what());
  }
  handler->thread_ = std::thread([h = handler.get()] { h->Loop(); });
  return handler;
}

ZapHandler::~ZapHandler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const Allowlist> ZapHandler::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

void ZapHandler::Reload() {
  auto version = store_.Version();
  if (!version.ok()) {
    spdlog::error("keys database not readable, keeping the keys in force: {}", version.status().ToString());
    return;
  }
  if (*version == version_ && current_) return;
  auto keys = store_.List();
  if (!keys.ok()) {
    spdlog::error("keys database not readable, keeping the keys in force: {}", keys.status().ToString());
    return;
  }
  version_ = *version;
  auto next = std::make_shared<const Allowlist>(*keys);
  std::shared_ptr<const Allowlist> before;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    before = current_;
    current_ = next;
  }
  if (!before) {
    spdlog::info("keys loaded: {} active", next->active_count());
    return;
  }
  spdlog::info("keys changed: {} active", next->active_count());
  for (const std::string& name : before->LostKeys(*next)) {
    spdlog::warn("security: a key of {} was revoked; closing its open connections", name);
    if (on_key_lost_) on_key_lost_(name);
  }
}

void ZapHandler::Answer() {
  // RFC 27 request: version, request id, domain, address, identity,
  // mechanism, then the credentials (for CURVE: the 32-byte client key).
  std::vector<zmq::message_t> frames;
  for (;;) {
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) break;
    const bool more = frame.more();
    if (frames.size() < 8) frames.push_back(std::move(frame));
    if (!more) break;
  }
  if (frames.empty()) return;
  std::string status = "400", text = "refused", user_id;
  if (frames.size() < 6 || frames[0].to_string_view() != "1.0") {
    status = "500";
    text = "malformed ZAP request";
    spdlog::error("security: malformed ZAP request ({} frames)", frames.size());
  } else {
    const std::string_view domain = frames[2].to_string_view();
    const std::string_view address = frames[3].to_string_view();
    const std::string_view mechanism = frames[5].to_string_view();
    const std::string key = frames.size() > 6 ? Z85OfBinaryKey(frames[6].to_string_view()) : std::string();
    ZapDecision d = Current()->Decide(domain, mechanism, key);
    if (d.allowed) {
      status = "200";
      text = "OK";
      user_id = d.user_id;
      spdlog::debug("security: {} connected from {} on {}", user_id, address, domain);
    } else {
      text = d.why;
      // A client retrying a refused key in a loop must not fill the disk.
      const auto now = std::chrono::steady_clock::now();
      if (now >= refusal_window_) {
        if (refusals_unlogged_ > 0) {
          spdlog::warn("security: {} more connection(s) refused in the last minute, not logged one by one",
                       refusals_unlogged_);
        }
        refusal_window_ = now + std::chrono::minutes(1);
        refusals_logged_ = 0;
        refusals_unlogged_ = 0;
      }
      if (refusals_logged_ < kLoggedRefusals) {
        ++refusals_logged_;
        spdlog::warn("security: refused a connection from {} on {}: {}", address, domain, d.why);
      } else {
        ++refusals_unlogged_;
      }
    }
  }
  const std::string request_id = frames.size() > 1 ? frames[1].to_string() : std::string();
  try {
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
    socket_.send(zmq::message_t(), zmq::send_flags::none);  // no metadata
  } catch (const zmq::error_t& e) {
    spdlog::error("security: ZAP reply not sent: {}", e.what());
  }
}

void ZapHandler::Loop() {
  auto next_reload = std::chrono::steady_clock::now() + kReloadEvery;
  while (!stop_) {
    try {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, kPoll);
      if (item.revents & ZMQ_POLLIN) Answer();
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
      spdlog::error("security: ZAP handler: {}", e.what());
    }
    if (std::chrono::steady_clock::now() >= next_reload) {
      Reload();
      next_reload = std::chrono::steady_clock::now() + kReloadEvery;
    }
  }
  socket_.close();
}

}  // namespace station::security
