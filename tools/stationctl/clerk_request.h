#pragma once
// A clerk's change sent to the running stationd (close a discrepancy, open,
// close or answer a problem case): stationd alone writes the database.

#include <functional>
#include <string>

#include "wire/control.h"
#include "tools/stationctl/commands.h"

namespace station {

// Who does it: --by, else the login name ($USER), else "clerk".
std::string ClerkName(const CtlOptions& options);

// Sends `request` and words the outcome. stationd not running, or refusing
// the request: 1, with its reason on stderr in one line ("NotFound: no
// problem case ..."). Done: 0, with stationd's reply as it came under
// --json, else the line `describe` makes of it.
int SendClerkRequest(const CtlOptions& options, const ControlRequest& request,
                     const std::function<std::string(const ControlReply&)>& describe);

}  // namespace station
