#include "tools/stationctl/clerk_request.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "core/utf8.h"
#include "tools/stationctl/control_client.h"
#include "wire/request_id.h"

namespace station {

std::string ClerkName(const CtlOptions& options) {
  if (options.by) return *options.by;
  const char* user = std::getenv("USER");
  return user && *user ? user : "clerk";
}

int SendClerkRequest(const CtlOptions& options, const ControlRequest& request,
                     const std::function<std::string(const ControlReply&)>& describe) {
  std::string raw;
  // A req holds at most 128 bytes (wire/request_id.h); the clerk's words in
  // it (a waybill, a case number) must not get a request refused for that.
  ControlRequest sent = request;
  if (sent.req.size() > kMaxReqBytes) sent.req = Utf8Excerpt(sent.req, kMaxReqBytes - 3);
  // stationd may wait up to 5 s for a reconciliation run's write lock.
  auto reply = CallDaemon(options.data_dir, sent, "", std::chrono::seconds(15), &raw);
  if (!reply.ok()) {
    std::cerr << "stationctl: " << reply.status().ToString() << "\n";
    return 1;
  }
  if (!reply->ok) {
    std::cerr << "stationctl: " << reply->code << ": " << reply->error << "\n";
    return 1;
  }
  if (options.json) {
    std::cout << raw << "\n";
  } else {
    std::cout << describe(*reply) << "\n";
  }
  return 0;
}

}  // namespace station
