#include "tools/stationctl/clerk_request.h"

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "tools/stationctl/control_client.h"

namespace station {

std::string ClerkName(const CtlOptions& options) {
  if (options.by) return *options.by;
  const char* user = std::getenv("USER");
  return user && *user ? user : "clerk";
}

int SendClerkRequest(const CtlOptions& options, const ControlRequest& request,
                     const std::function<std::string(const ControlReply&)>& describe) {
  std::string raw;
  // stationd may wait up to 5 s for a reconciliation run's write lock.
  auto reply = CallDaemon(options.data_dir, request, "", std::chrono::seconds(15), &raw);
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
