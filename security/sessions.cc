#include "security/sessions.h"

#include <sys/socket.h>

#include <cstring>

namespace station::security {
namespace {

bool PeerOf(int fd, sockaddr_storage* peer, socklen_t* len) {
  *len = sizeof *peer;
  return ::getpeername(fd, reinterpret_cast<sockaddr*>(peer), len) == 0;
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

int SessionTracker::Close(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  int closed = 0;
  for (auto it = by_fd_.begin(); it != by_fd_.end();) {
    if (it->second.key != key) {
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
