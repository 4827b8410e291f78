#include "security/sessions.h"

#include <sys/socket.h>

#include <cstring>

namespace station::security {
namespace {

constexpr std::size_t kMaxConnectionsPerUser = 64;  // older ones are forgotten: they are long closed

bool SamePeer(int fd, const sockaddr_storage& peer, socklen_t len) {
  sockaddr_storage now{};
  socklen_t now_len = sizeof now;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&now), &now_len) != 0) return false;
  return now_len == len && std::memcmp(&now, &peer, len) == 0;
}

}  // namespace

void SessionTracker::Seen(const std::string& user_id, int fd) {
  if (fd < 0 || user_id.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto known = user_of_fd_.find(fd);
  if (known != user_of_fd_.end() && known->second == user_id) return;
  Connection c;
  c.fd = fd;
  c.peer_len = sizeof c.peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&c.peer), &c.peer_len) != 0) return;
  if (known != user_of_fd_.end()) {
    // The descriptor was another user's connection, now closed and reused.
    auto& old = by_user_[known->second];
    for (auto it = old.begin(); it != old.end(); ++it) {
      if (it->fd == fd) {
        old.erase(it);
        break;
      }
    }
  }
  auto& list = by_user_[user_id];
  if (list.size() >= kMaxConnectionsPerUser) {
    user_of_fd_.erase(list.front().fd);
    list.erase(list.begin());
  }
  list.push_back(c);
  user_of_fd_[fd] = user_id;
}

int SessionTracker::Close(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_user_.find(user_id);
  if (it == by_user_.end()) return 0;
  int closed = 0;
  for (const Connection& c : it->second) {
    user_of_fd_.erase(c.fd);
    // Only shutdown, never close: the descriptor stays libzmq's to close.
    if (SamePeer(c.fd, c.peer, c.peer_len) && ::shutdown(c.fd, SHUT_RDWR) == 0) ++closed;
  }
  by_user_.erase(it);
  return closed;
}

std::string UserIdOf(const zmq::message_t& frame) {
  const char* value = zmq_msg_gets(const_cast<zmq_msg_t*>(frame.handle()), "User-Id");
  return value ? std::string(value) : std::string();
}

int SourceFdOf(zmq::message_t& frame) { return zmq_msg_get(frame.handle(), ZMQ_SRCFD); }

}  // namespace station::security
