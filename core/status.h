#pragma once
// Status and Result: how every fallible call in stationsync reports failure.
// Modelled on leveldb's Status (errors are values at module edges) and
// absl::StatusOr (a Result must not be ignored; `return {};` cannot mean OK).

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace station {

enum class Code {
  kOk,
  kInvalidArgument,  // bad input: a record, a message, a flag
  kNotFound,
  kConflict,     // same key, different content
  kIOError,      // storage failed; nothing was acknowledged
  kUnavailable,  // a peer is away: retry later (the only retryable code)
  kPermissionDenied,  // the sender may not do this: revoked key, or speaking as someone else
};

// The wire and log name of a code: "InvalidArgument", "IOError", ...
const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string_view what, std::string_view why = {}) {
    return Status(Code::kInvalidArgument, what, why);
  }
  static Status NotFound(std::string_view what, std::string_view why = {}) {
    return Status(Code::kNotFound, what, why);
  }
  static Status Conflict(std::string_view what, std::string_view why = {}) {
    return Status(Code::kConflict, what, why);
  }
  static Status IOError(std::string_view what, std::string_view why = {}) {
    return Status(Code::kIOError, what, why);
  }
  static Status Unavailable(std::string_view what, std::string_view why = {}) {
    return Status(Code::kUnavailable, what, why);
  }
  static Status PermissionDenied(std::string_view what, std::string_view why = {}) {
    return Status(Code::kPermissionDenied, what, why);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // "what: why", or "what" when there is no why.
  const std::string& message() const { return message_; }
  // "IOError: insert scan: disk I/O error"; "OK" when ok().
  std::string ToString() const;

 private:
  Status(Code code, std::string_view what, std::string_view why);

  Code code_ = Code::kOk;
  std::string message_;
};

// A T, or the non-OK Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                                // NOLINT
  Result(Status error) : status_(std::move(error)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& value() { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace station
