#pragma once
// Gun files for tests (tools/sim/gun_files.h); writing one throws on
// failure, since the test cannot go on.

#include <chrono>
#include <string>
#include <vector>

#include "tools/sim/gun_files.h"

namespace station::test {

using sim::GunFileSpec;
using sim::MakeGunFile;
using sim::WaybillFor;

void WriteFileAtomically(const std::string& path, const std::string& text);

// A gun batch file from `device` for station 571001: the comment line, the
// header, then `rows` ("waybill,type,time,peer_station,bag,weight_g,reason,note")
// numbered from seq 1.
std::string GunFileWith(const std::string& device, const std::string& batch, const std::vector<std::string>& rows);
// Three parcels' arrival scans from `device`, waybills from number `first`.
std::string ThreeScans(const std::string& device, const std::string& batch, int first);

// Writes `text` as `name`.csv into a fresh spool `spool_dir` and docks it
// with scanner-dock --once at `endpoint`; scanner-dock's exit code.
int DockText(const std::string& endpoint, const std::string& spool_dir, const std::string& name,
             const std::string& text);

}  // namespace station::test
