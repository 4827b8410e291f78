#include "security/sessions.h"

#include <sys/socket.h>

#include <netdb.h>

#include <algorithm>
#include <cstring>

namespace station::security {
namespace {

bool PeerOf(int fd, sockaddr_storage* peer, socklen_t* len) {
  *len = sizeof *peer;
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(peer), len) == 0;
}

// The numeric IP address of a peer, as libzmq puts it in a ZAP request.
std::string IpOf(const sockaddr_storage& peer, socklen_t len) {
  char host[NI_MAXHOST] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&peer), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) !=
      0) {
    return std::string();
  }
  return host;
}

}  // namespace

void SessionTracker::Seen(const std::string& key, int fd) {
  if (fd < 0 || key.empty()) return;
  Connection c;
  c.key = key;
  if (!PeerOf(fd, &c.peer, &c.peer_len)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  by_fd_[fd] = std::move(c);
}

void SessionTracker::Accepted(int fd) {
  if (fd < 0) return;
  Connection c;
  if (!PeerOf(fd, &c.peer, &c.peer_len)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_fd_.find(fd);
  // Already named by a message of the same connection: keep its key.
  if (it != by_fd_.end() && it->second.peer_len == c.peer_len &&
      std::memcmp(&it->second.peer, &c.peer, c.peer_len) == 0) {
    return;
  }
  by_fd_[fd] = std::move(c);
}

void SessionTracker::Gone(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  by_fd_.erase(fd);
}

template <typename Pick>
int SessionTracker::CloseWhere(Pick which) {
  int closed = 0;
  for (auto it = by_fd_.begin(); it != by_fd_.end();) {
    if (!which(it->second)) {
      ++it;
      continue;
    }
    // The descriptor may have been closed and reused for another
    // connection since: only the same peer address is shut down, and only
    // shut down, never closed: the descriptor stays libzmq's to close.
    sockaddr_storage now{};
    socklen_t now_len = 0;
    if (PeerOf(it->first, &now, &now_len) && now_len == it->second.peer_len &&
        std::memcmp(&now, &it->second.peer, now_len) == 0 && ::shutdown(it->first, SHUT_RDWR) == 0) {
      ++closed;
    }
    it = by_fd_.erase(it);
  }
  return closed;
}

int SessionTracker::Close(const std::string& key) {
  if (key.empty()) return 0;
  std::lock_guard<std::mutex> lock(mutex_);
  return CloseWhere([&key](const Connection& c) { return c.key == key; });
}

int SessionTracker::CloseUnnamed(const std::vector<std::string>& addresses) {
  if (addresses.empty()) return 0;
  const bool any = std::find(addresses.begin(), addresses.end(), "*") != addresses.end();
  std::lock_guard<std::mutex> lock(mutex_);
  return CloseWhere([&](const Connection& c) {
    if (!c.key.empty()) return false;
    if (any) return true;
    const std::string ip = IpOf(c.peer, c.peer_len);
    return !ip.empty() && std::find(addresses.begin(), addresses.end(), ip) != addresses.end();
  });
}

std::string UserIdOf(const zmq::message_t& frame) {
  const char* value = zmq_msg_gets(const_cast<zmq_msg_t*>(frame.handle()), "User-Id");
  return value ? std::string(value) : std::string();
}

std::string ClientKeyOf(const zmq::message_t& frame) {
  const char* value = zmq_msg_gets(const_cast<zmq_msg_t*>(frame.handle()), "X-Key");
  return value ? std::string(value) : std::string();
}

int SourceFdOf(zmq::message_t& frame) { return zmq_msg_get(frame.handle(), ZMQ_SRCFD); }

}  // namespace station::security
