#pragma once
// What the fault tests share: a raw dock that sends one batch and reads its
// reply, the database's view of a batch, and the figures they print.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "sql/sqlite.h"
#include "wire/dock.h"

namespace station::test {

inline constexpr char kFaultStation[] = "571001";
inline constexpr char kFaultDevice[] = "PDA-0001";

// Sets an environment variable for the children started during its life.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// $name as a number, or `fallback` when unset.
std::int64_t EnvNumber(const char* name, std::int64_t fallback);

// How stationd answered one batch.
enum class Answer { kStored, kRetryLater, kOther, kNone };
const char* AnswerName(Answer answer);

// A dock that speaks the wire protocol itself (DEALER), so the test sees
// every reply: scanner-dock would hide a refusal behind its resends.
class RawDock {
 public:
  RawDock(zmq::context_t& context, const std::string& endpoint);
  // Sends batch `batch` of kFaultDevice with `rows` scans made from `seed`
  // (the same arguments make the same file: a resend).
  void Send(const std::string& batch, int rows, std::uint64_t seed);
  // The next reply, or nothing within `timeout`.
  std::optional<BatchAck> Receive(std::chrono::milliseconds timeout);
  // Send, then Receive; kStored needs every row accepted or a duplicate.
  Answer Call(const std::string& batch, int rows, std::uint64_t seed, std::chrono::milliseconds timeout,
              BatchAck* ack = nullptr);

 private:
  zmq::socket_t socket_;
};

// Classifies `ack` for a batch of `rows` scans.
Answer Classify(const BatchAck& ack, int rows);

// Scans of kFaultDevice's batch `batch` in the station database, read on a
// connection of the test's own (not through any fault shim).
std::int64_t StoredRows(sql::Db& db, const std::string& batch);

// The test's read connection on `data_dir`'s station.db (read-write, so it
// can also checkpoint; it never writes rows).
sql::Db OpenTestConnection(const std::string& data_dir);

}  // namespace station::test
