#pragma once
// Gun batch files for tests and benchmarks: valid rows of the common scan
// types, deterministic for a given seed.

#include <cstdint>
#include <string>

#include "core/status.h"

namespace station::sim {

struct GunFileSpec {
  std::string device = "PDA-0001";
  std::string courier = "C1001";
  std::string station = "571001";
  std::string batch = "20261124-0001";
  int rows = 100;
  std::uint64_t seed = 1;
};

// The text of a valid batch file with `spec.rows` good rows, seq 1..rows.
std::string MakeGunFile(const GunFileSpec& spec);

// A valid carrier waybill number derived from `n` ("ZT" and 13 digits).
std::string WaybillFor(std::uint64_t n);

// Writes `text` to `path` the way a dock does: a temporary name, then a
// rename, so the agent never sees half a file.
// kIOError when it cannot be written.
Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace station::sim
