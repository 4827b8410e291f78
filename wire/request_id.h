#pragma once
// The request id ("req") every request carries and every reply echoes, read
// by one rule for every protocol (docs/protocol.md, "Request ids").

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace station {

// The longest request id taken: a longer one is refused, never cut.
inline constexpr std::size_t kMaxReqBytes = 128;
// The longest header frame read to find a request id to echo: the longest
// request header of any protocol (a control request, a lookup).
inline constexpr std::size_t kMaxEchoedHeaderBytes = 65536;

// Reads the "req" field of a decoded header into `req`: a string of at
// most 128 bytes. Absent reads as "" when `required` is false. Returns
// kInvalidArgument naming `what` otherwise (`req` is then "").
Status ReadReq(const nlohmann::json& header, const char* what, bool required, std::string& req);

// The id a refusal of the header frame `header` echoes: its "req" when the
// frame is a JSON object (of at most 65536 bytes, nested at most 32
// levels) whose "req" is a string of at most 128 bytes; "" otherwise. For
// refusals decided before or while decoding the header (its frame count, a
// bad version, an unknown type), so that a client with several messages in
// flight can tell which one was refused. Never throws.
std::string EchoableReq(std::string_view header);

}  // namespace station
