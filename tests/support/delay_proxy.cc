#include "tests/support/delay_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace station::test {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kReadSize = 64 * 1024;
constexpr std::size_t kMaxQueued = 8 * 1024 * 1024;  // per direction

// Owns a file descriptor; closes it when dropped.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {  // `other` closes what this held
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }

// Without this, Nagle's algorithm would hold a small write back until the
// previous one is acknowledged, adding its own delay to ours.
void NoDelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}

// Bytes read from one side of a connection, waiting for their time to be
// written to the other side.
struct Direction {
  struct Chunk {
    SteadyClock::time_point due;
    std::string bytes;  // empty: the sender closed its side; pass that on
  };
  std::deque<Chunk> chunks;  // due times never decrease: the order is kept
  std::size_t written = 0;   // bytes of chunks.front() already written
  std::size_t queued = 0;    // bytes in chunks; reading stops at kMaxQueued
  bool eof_read = false;
  bool eof_passed = false;
};

// One proxied connection: side 0 was accepted from the client, side 1
// connects to the target. dir[i] carries what side i sends to side 1 - i.
struct Connection {
  Fd side[2];
  Direction dir[2];
  bool broken = false;  // an error on either side: both are dropped, as a reset would

  bool WantsRead(int i) const { return !dir[i].eof_read && dir[i].queued < kMaxQueued; }
  bool Finished() const { return broken || (dir[0].eof_passed && dir[1].eof_passed); }

  void Read(int i, SteadyClock::time_point now, std::chrono::milliseconds delay) {
    char buffer[kReadSize];
    const ssize_t n = ::recv(side[i].get(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (!WouldBlock()) broken = true;
      return;
    }
    if (n == 0) dir[i].eof_read = true;
    dir[i].queued += static_cast<std::size_t>(n);
    dir[i].chunks.push_back({now + delay, std::string(buffer, static_cast<std::size_t>(n))});
  }

  // Writes what of dir[i] is due by `now`, as far as side 1 - i takes it.
  void Write(int i, SteadyClock::time_point now) {
    Direction& d = dir[i];
    const int fd = side[1 - i].get();
    while (!broken && !d.chunks.empty() && d.chunks.front().due <= now) {
      const std::string& bytes = d.chunks.front().bytes;
      if (bytes.empty()) {  // everything before the end of stream is out
        ::shutdown(fd, SHUT_WR);
        d.eof_passed = true;
        d.chunks.pop_front();
        return;
      }
      const ssize_t n = ::send(fd, bytes.data() + d.written, bytes.size() - d.written, MSG_NOSIGNAL);
      if (n < 0) {
        if (!WouldBlock()) broken = true;
        return;
      }
      d.written += static_cast<std::size_t>(n);
      if (d.written < bytes.size()) return;  // the socket is full: poll for POLLOUT
      d.queued -= bytes.size();
      d.written = 0;
      d.chunks.pop_front();
    }
  }
};

// Accepts one client and connects it to the target. Loopback connects at
// once or is refused; when refused, the client is closed, which tells it so.
void Accept(int listen_fd, int target_port, std::list<Connection>& connections) {
  Fd client(::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (client.get() < 0) return;
  Fd target(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in addr = Loopback(target_port);
  if (target.get() < 0 || ::connect(target.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return;
  }
  ::fcntl(target.get(), F_SETFL, ::fcntl(target.get(), F_GETFL) | O_NONBLOCK);
  NoDelay(client.get());
  NoDelay(target.get());
  Connection& c = connections.emplace_back();
  c.side[0] = std::move(client);
  c.side[1] = std::move(target);
}

}  // namespace

DelayProxy::DelayProxy(int target_port, std::chrono::milliseconds one_way_delay)
    : target_port_(target_port), delay_(one_way_delay) {
  const auto fail = [this](const char* what) {
    const std::string message = std::string("delay proxy: ") + what + ": " + std::strerror(errno);
    for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::runtime_error(message);
  };
  // Close-on-exec everywhere: the processes under test must not hold our
  // sockets open after we close them.
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) fail("pipe");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind 127.0.0.1:0");
  if (::listen(listen_fd_, 16) != 0) fail("listen");
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

DelayProxy::~DelayProxy() {
  const char byte = 0;
  (void)!::write(stop_pipe_[1], &byte, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
}

void DelayProxy::Run() {
  std::list<Connection> connections;  // a list: pointers to its items stay valid
  std::vector<pollfd> fds;
  std::vector<std::pair<Connection*, int>> owners;  // fds[k + 2] is side owners[k].second
  for (;;) {
    // Read from a side while its direction has room; ask for POLLOUT only
    // where a due chunk found the socket full; otherwise sleep until the
    // next chunk falls due.
    fds.assign({{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    owners.clear();
    int timeout_ms = -1;
    const SteadyClock::time_point now = SteadyClock::now();
    for (Connection& c : connections) {
      for (int i = 0; i < 2; ++i) {
        short events = c.WantsRead(i) ? POLLIN : 0;
        const Direction& to_side = c.dir[1 - i];
        if (!to_side.chunks.empty()) {
          const SteadyClock::time_point due = to_side.chunks.front().due;
          if (due <= now) {
            events |= POLLOUT;
          } else {
            const int wait = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(due - now).count());
            timeout_ms = timeout_ms < 0 ? wait : std::min(timeout_ms, wait);
          }
        }
        // A negative fd is skipped by poll(): no busy loop on a hung-up
        // socket we are not reading yet.
        fds.push_back({events ? c.side[i].get() : -1, events, 0});
        owners.emplace_back(&c, i);
      }
    }
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return;
    if (fds[0].revents) return;  // the destructor asks us to stop
    const SteadyClock::time_point after = SteadyClock::now();
    for (std::size_t k = 0; k < owners.size(); ++k) {
      auto [c, i] = owners[k];
      if ((fds[k + 2].revents & (POLLIN | POLLHUP | POLLERR)) && c->WantsRead(i)) c->Read(i, after, delay_);
    }
    for (Connection& c : connections) {
      c.Write(0, after);
      c.Write(1, after);
    }
    connections.remove_if([](const Connection& c) { return c.Finished(); });
    if (fds[1].revents & POLLIN) Accept(listen_fd_, target_port_, connections);
  }
}

}  // namespace station::test
