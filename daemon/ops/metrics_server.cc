#include "daemon/ops/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

// GNU libmicrohttpd rather than cpp-httplib: a C library with a stable ABI
// and Debian security support, parsing HTTP on its own thread behind a small
// API; cpp-httplib (0.11.4 in Debian 12) is a large header compiled into
// every file that includes it, for the one endpoint we serve.
#include <microhttpd.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "daemon/ops/metrics_figures.h"
#include "daemon/ops/metrics_text.h"

namespace station {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

Status BadListen(const std::string& listen, const std::string& why) {
  return Status::InvalidArgument("--metrics '" + listen + "'", why);
}

bool IsLoopback(const ListenAddress& a) {
  if (a.ipv6) return a.host == "::1";
  in_addr v4{};
  return ::inet_pton(AF_INET, a.host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

// libmicrohttpd's own complaints (a failed accept, a bad request) go to our
// log, not to stderr.
void LogFromMhd(void*, const char* format, va_list args) {
  char text[512];
  std::vsnprintf(text, sizeof text, format, args);
  std::size_t n = std::strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) text[--n] = '\0';
  spdlog::warn("metrics: {}", text);
}

MHD_Result Respond(MHD_Connection* connection, unsigned int code, const std::string& body, const char* type,
                   bool allow_header = false) {
  MHD_Response* response =
      MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (allow_header) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  const MHD_Result queued = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return queued;
}

// libmicrohttpd calls this at least twice a request: first with the headers
// (answered by remembering we saw it, the documented pattern), then for the
// body, if any; we answer on the second call.
MHD_Result Answer(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char*, std::size_t* upload_data_size, void** request_state) {
  static int seen_headers;
  if (*request_state == nullptr) {
    *request_state = &seen_headers;
    return MHD_YES;
  }
  *upload_data_size = 0;  // a body is not wanted here; drop it
  const std::string m = method;
  if (m != MHD_HTTP_METHOD_GET && m != MHD_HTTP_METHOD_HEAD) {
    return Respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", "text/plain; charset=utf-8", true);
  }
  if (std::strcmp(url, "/metrics") != 0) {
    return Respond(connection, MHD_HTTP_NOT_FOUND, "not found: the figures are at /metrics\n",
                   "text/plain; charset=utf-8");
  }
  auto body = static_cast<MetricsServer*>(cls)->Scrape();
  if (!body.ok()) {
    spdlog::warn("metrics: scrape failed: {}", body.status().ToString());
    return Respond(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, body.status().ToString() + "\n",
                   "text/plain; charset=utf-8");
  }
  return Respond(connection, MHD_HTTP_OK, *body, kContentType);
}

}  // namespace

Result<ListenAddress> ParseMetricsListen(const MetricsOptions& options) {
  const std::string& listen = options.listen;
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return BadListen(listen, "expected HOST:PORT, e.g. 127.0.0.1:9571 (port 0 or * picks a free one)");
  }
  ListenAddress a;
  a.host = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
    a.host = a.host.substr(1, a.host.size() - 2);
    a.ipv6 = true;
  }
  if (a.host == "localhost") a.host = "127.0.0.1";
  in_addr v4{};
  in6_addr v6{};
  if (a.ipv6 ? ::inet_pton(AF_INET6, a.host.c_str(), &v6) != 1 : ::inet_pton(AF_INET, a.host.c_str(), &v4) != 1) {
    return BadListen(listen, "the host must be an IP address (127.0.0.1, [::1]) or localhost");
  }
  if (port != "*") {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      return BadListen(listen, "the port must be a number from 0 to 65535, or *");
    }
    a.port = std::stoi(port);
    if (a.port > 65535) return BadListen(listen, "the port must be a number from 0 to 65535, or *");
  }
  if (!options.allow_remote && !IsLoopback(a)) {
    return BadListen(listen,
                     "serves only on a loopback address (127.0.0.1, [::1]): the figures are not authenticated. "
                     "Scrape from this machine, or pass --metrics-allow-remote and guard the port yourself");
  }
  return a;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const MetricsOptions& options,
                                                            const std::string& data_dir, const std::string& station,
                                                            std::int64_t started_ms, LinkReport link) {
  auto address = ParseMetricsListen(options);
  if (!address.ok()) return address.status();
  auto view = StationView::Open(data_dir);
  if (!view.ok()) return view.status();
  std::unique_ptr<MetricsServer> server(new MetricsServer(std::move(*view), station, started_ms, std::move(link)));

  sockaddr_in v4{};
  sockaddr_in6 v6{};
  const sockaddr* bind_to = nullptr;
  if (address->ipv6) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<std::uint16_t>(address->port));
    ::inet_pton(AF_INET6, address->host.c_str(), &v6.sin6_addr);
    bind_to = reinterpret_cast<const sockaddr*>(&v6);
  } else {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<std::uint16_t>(address->port));
    ::inet_pton(AF_INET, address->host.c_str(), &v4.sin_addr);
    bind_to = reinterpret_cast<const sockaddr*>(&v4);
  }
  // One internal thread polls every connection: a scrape takes
  // milliseconds, and a few scrapers at most connect. Bounded connections
  // and an idle timeout, so a client that never finishes its request
  // cannot hold the thread's resources.
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (address->ipv6) flags |= MHD_USE_IPv6;
  server->daemon_ = MHD_start_daemon(
      flags, static_cast<std::uint16_t>(address->port), nullptr, nullptr, &Answer, server.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &LogFromMhd, nullptr,  // first, or earlier options' complaints go to stderr
      MHD_OPTION_SOCK_ADDR, bind_to, MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
      MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return Status::Unavailable("--metrics '" + options.listen + "'",
                               "cannot listen there (the port is in use, or the address is not this machine's)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  const int port = info != nullptr ? info->port : address->port;
  server->address_ = (address->ipv6 ? "[" + address->host + "]" : address->host) + ":" + std::to_string(port);
  return server;
}

MetricsServer::~MetricsServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

Result<std::string> MetricsServer::Scrape() {
  std::lock_guard<std::mutex> lock(mu_);
  auto figures = view_->Figures(NowMs());
  if (!figures.ok()) return figures.status();
  return metrics::FormatText(StationFamilies(*figures, link_ ? link_() : std::nullopt, station_, started_ms_));
}

}  // namespace station
