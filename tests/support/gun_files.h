#pragma once
// Gun files for tests (tools/sim/gun_files.h); writing one throws on
// failure, since the test cannot go on.

#include <string>

#include "tools/sim/gun_files.h"

namespace station::test {

using sim::GunFileSpec;
using sim::MakeGunFile;
using sim::WaybillFor;

void WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace station::test
