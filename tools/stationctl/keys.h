#pragma once
// stationctl keys: the operator's side of CURVE authentication. Key pairs
// are made for guns (and stations), public keys enrolled in keys.db of the
// data folder (a station's, or national-sim's), listed and revoked. Works
// whether or not the daemon runs: a running one notices within a second.

#include <string>

#include "tools/stationctl/commands.h"

namespace station {

// keys create NAME [--out DIR]: writes DIR/NAME.key and DIR/NAME.key_secret.
int CmdKeysCreate(const CtlOptions& options, const std::string& name);
// keys enroll FILE|KEY --gun DEVICE | --station CODE
int CmdKeysEnroll(const CtlOptions& options, const std::string& file_or_key);
// keys list [--json]
int CmdKeysList(const CtlOptions& options);
// keys revoke NAME|KEY
int CmdKeysRevoke(const CtlOptions& options, const std::string& name_or_key);

}  // namespace station
