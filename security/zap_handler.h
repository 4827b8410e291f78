#pragma once
// The ZAP handler (RFC 27) of a process: answers every CURVE handshake on
// its context from keys.db, and watches keys.db so an enrollment or a
// revocation takes effect within a second, without a restart. Started
// before any CURVE server binds; every server sets ZMQ_ZAP_ENFORCE_DOMAIN,
// so with no handler running a handshake fails closed (RELIABILITY.md V3).

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <zmq.hpp>

#include "security/allowlist.h"

namespace station::security {

class ZapHandler {
 public:
  // Called on the handler's thread with each key revoked (or removed), the
  // name it was enrolled for, and the IP addresses it was let in from since
  // this handler started ("*": too many to list), for the connections that
  // have not sent anything yet and so cannot be named.
  using OnKeyLost = std::function<void(const std::string& name, const std::string& key,
                                       const std::vector<std::string>& admitted_from)>;

  // Opens keys.db (creating it empty), loads it, binds inproc://zeromq.zap.01
  // in `context` and starts the thread. kIOError when keys.db cannot be
  // read; kUnavailable when another handler is bound in this context.
  static Result<std::unique_ptr<ZapHandler>> Start(zmq::context_t& context, const std::string& keys_db,
                                                   OnKeyLost on_key_lost);
  ~ZapHandler();  // stops and joins the thread, closes the socket

  // The allowlist now in force.
  std::shared_ptr<const Allowlist> Current() const;

 private:
  ZapHandler(zmq::context_t& context, std::string path, KeyStore store, OnKeyLost on_key_lost);
  // Reopens keys.db when the file at its path is another one (replaced,
  // restored from a backup): a watch on the old inode would miss every
  // later enrollment and revocation.
  void FollowFile();
  void ReportUnreadable(const Status& why);
  void Loop();
  void Answer();
  void Reload();
  void NoteAdmitted(const std::string& key, std::string_view address);

  zmq::socket_t socket_;
  std::string path_;
  std::uint64_t inode_ = 0, device_ = 0;
  KeyStore store_;
  std::chrono::steady_clock::time_point next_error_log_{};
  OnKeyLost on_key_lost_;
  std::int64_t version_ = -1;
  // Refusals logged one by one, at most kLoggedRefusals a minute; the rest counted.
  std::chrono::steady_clock::time_point refusal_window_{};
  int refusals_logged_ = 0;
  std::int64_t refusals_unlogged_ = 0;
  // Where each key was let in from; handler thread only. At most
  // kAddressesPerKey a key, then "*".
  std::unordered_map<std::string, std::unordered_set<std::string>> admitted_from_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Allowlist> current_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace station::security
