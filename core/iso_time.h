#pragma once
// ISO 8601 instants with an explicit offset, as guns and manifests write
// them: 2026-11-24T07:58:12+08:00 (also Z, +0800, and fractions of a second).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace station {

// Unix milliseconds (UTC) of `text`, or kInvalidArgument saying what is wrong.
// A time without an offset is refused: a gun's local time alone is ambiguous.
Result<std::int64_t> ParseIsoInstant(std::string_view text);

// "2026-11-24T07:58:12.000+08:00" for `unix_ms` shown at `offset_minutes`.
std::string FormatIsoInstant(std::int64_t unix_ms, int offset_minutes = 480);

}  // namespace station
