#include "core/status.h"

namespace station {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kConflict: return "Conflict";
    case Code::kIOError: return "IOError";
    case Code::kUnavailable: return "Unavailable";
    case Code::kPermissionDenied: return "PermissionDenied";
  }
  return "Unknown";
}

Status::Status(Code code, std::string_view what, std::string_view why) : code_(code) {
  message_.assign(what);
  if (!why.empty()) {
    message_.append(": ");
    message_.append(why);
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace station
