#pragma once
// The outbox's only writer (schema migration 2): messages to other
// stations, queued inside the writer's transaction, so a message goes out
// exactly when what it reports is committed, and kept until national holds
// them. The uplink reads the outbox and marks what national acknowledged
// or refused (daemon/uplink/uplink_store.h).

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"
#include "sql/sqlite.h"

namespace station {

// The fields are read during Queue() only.
struct OutboxMessage {
  // The sender's id for the message: national keeps one message per
  // (sender, msg_id), so a resend under the same id is delivered once.
  std::string_view msg_id;
  std::string_view to;    // the recipient station
  std::string_view kind;  // wire/station.h
  std::string_view body;
};

// Writes on one connection; its statement is prepared at the first Queue()
// and kept. Not thread-safe, as the connection is not.
class Outbox {
 public:
  explicit Outbox(sql::Db& db) : db_(db) {}

  // Queues `message`, created at `now_ms`, in the caller's transaction.
  // True when it was queued; false when a message with its msg_id is
  // already in the outbox, which is then left as it was.
  Result<bool> Queue(const OutboxMessage& message, std::int64_t now_ms);

 private:
  sql::Db& db_;
  std::optional<sql::Stmt> insert_;
};

}  // namespace station
