#include "security/zap_handler.h"

#include <sys/stat.h>

#include <chrono>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "security/curve_key.h"

namespace station::security {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr auto kPoll = std::chrono::milliseconds(100);
// keys.db is looked at this often: the bound on how long an enrollment or
// a revocation takes to apply.
constexpr auto kReloadEvery = std::chrono::milliseconds(500);
constexpr int kLoggedRefusals = 20;  // a minute
constexpr std::size_t kAddressesPerKey = 32;

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, std::string path, KeyStore store, OnKeyLost on_key_lost)
    : socket_(context, zmq::socket_type::rep),
      path_(std::move(path)),
      store_(std::move(store)),
      on_key_lost_(std::move(on_key_lost)) {
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0) {
    inode_ = st.st_ino;
    device_ = st.st_dev;
  }
}

void ZapHandler::FollowFile() {
  struct stat st;
  const bool same = ::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_;
  if (same) return;
  // Gone or replaced: open what is there now (an empty keys.db when none:
  // nobody gets in, the safe side).
  auto reopened = KeyStore::Open(path_);
  if (!reopened.ok()) return ReportUnreadable(reopened.status());
  store_ = std::move(*reopened);
  version_ = -1;
  if (::stat(path_.c_str(), &st) == 0) {
    inode_ = st.st_ino;
    device_ = st.st_dev;
  }
  spdlog::warn("keys database {} was replaced; reading the new one", path_);
}

void ZapHandler::ReportUnreadable(const Status& why) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_error_log_) return;
  next_error_log_ = now + std::chrono::minutes(1);
  spdlog::error("keys database not readable, keeping the keys in force: {}", why.ToString());
}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t& context, const std::string& keys_db,
                                                      OnKeyLost on_key_lost) {
  auto store = KeyStore::Open(keys_db);
  if (!store.ok()) return Status::IOError("keys database " + keys_db, store.status().ToString());
  std::unique_ptr<ZapHandler> handler(
      new ZapHandler(context, keys_db, std::move(*store), std::move(on_key_lost)));
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
  FollowFile();
  auto version = store_.Version();
  if (!version.ok()) return ReportUnreadable(version.status());
  if (*version == version_ && current_) return;
  auto keys = store_.List();
  if (!keys.ok()) return ReportUnreadable(keys.status());
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
  for (const Allowlist::LostKey& lost : before->LostKeys(*next)) {
    spdlog::warn("security: key {} of {} was revoked; closing its open connections", ShortKey(lost.key),
                 LogText(lost.name));
    std::vector<std::string> addresses;
    if (auto it = admitted_from_.find(lost.key); it != admitted_from_.end()) {
      addresses.assign(it->second.begin(), it->second.end());
      admitted_from_.erase(it);
    }
    if (on_key_lost_) on_key_lost_(lost.name, lost.key, addresses);
  }
}

void ZapHandler::NoteAdmitted(const std::string& key, std::string_view address) {
  if (address.empty()) return;
  std::unordered_set<std::string>& seen = admitted_from_[key];
  if (seen.count("*") || seen.count(std::string(address))) return;
  if (seen.size() >= kAddressesPerKey) {
    seen = {"*"};  // a revocation then closes every unnamed connection
    return;
  }
  seen.emplace(address);
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
  std::string status = "400", text = "refused", user_id, metadata;
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
      NoteAdmitted(key, address);
      // The key itself rides along as connection metadata (ZMTP property
      // X-Key: name length, name, 4-byte big-endian value length, value),
      // so each message can be checked against the key, not only the name.
      metadata.push_back(static_cast<char>(5));
      metadata += "X-Key";
      const std::uint32_t n = static_cast<std::uint32_t>(key.size());
      const char length[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                              static_cast<char>(n)};
      metadata.append(length, 4);
      metadata += key;
      spdlog::debug("security: {} connected from {} on {}", LogText(user_id), LogText(address), LogText(domain));
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
        spdlog::warn("security: refused a connection from {} on {}: {}", LogText(address), LogText(domain),
                     LogText(d.why));
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
    socket_.send(zmq::buffer(metadata), zmq::send_flags::none);
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
