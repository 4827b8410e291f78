#include "tests/integration/hostile_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <random>

namespace station::test {

SprayResult SprayRawBytes(int port, int connections, std::size_t bytes_each, std::uint64_t seed) {
  SprayResult result;
  std::mt19937_64 random(seed);
  for (int c = 0; c < connections; ++c) {
    ++result.connections;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) continue;
    timeval tv{0, 500'000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      continue;
    }
    ++result.connected;
    std::string data;
    if (c % 2 == 1) {
      // ZMTP 3.0 greeting (RFC 23): signature, version 3.0, mechanism "CURVE", as-server 0.
      data = std::string("\xff\0\0\0\0\0\0\0\x01\x7f", 10) + std::string("\x03\x00", 2) + "CURVE" +
             std::string(15, '\0') + std::string(1, '\0') + std::string(31, '\0');
    }
    while (data.size() < bytes_each) data.push_back(static_cast<char>(random() & 0xff));
    bool closed = false;
    for (std::size_t off = 0; off < data.size();) {
      ssize_t n = ::send(fd, data.data() + off, std::min<std::size_t>(4096, data.size() - off), MSG_NOSIGNAL);
      if (n <= 0) {
        closed = (errno == EPIPE || errno == ECONNRESET);
        break;
      }
      off += static_cast<std::size_t>(n);
      result.bytes += n;
    }
    // Whatever stationd says (its greeting) is read; a close ends it.
    const auto deadline = SteadyClock::now() + 1s;
    char buffer[4096];
    while (!closed && SteadyClock::now() < deadline) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) closed = true;
    }
    if (closed) ++result.closed_by_station;
    ::close(fd);
  }
  return result;
}

}  // namespace station::test
