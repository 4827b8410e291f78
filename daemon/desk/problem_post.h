#pragma once
// Where a problem case's messages go (docs/protocol.md, "Station to
// station"): each is encoded (wire/station.h) under its message id and
// queued in the outbox for national's post, or, when it is addressed to
// this station (a parcel it picked up itself, so it is its own origin),
// handed at once to this station's own receiving side.

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "daemon/storage/outbox.h"
#include "sql/sqlite.h"
#include "wire/station.h"

namespace station {

class ProblemPost {
 public:
  // Applies a message of `kind` addressed to this station at `now_ms`, as
  // one from the inbox would be; returns what it did, for the log.
  using ApplyHere =
      std::function<Result<std::string>(const char* kind, const std::string& body, std::int64_t now_ms)>;

  // `station` is this station's code. Queues through `db`'s outbox, in the
  // caller's transaction.
  ProblemPost(sql::Db& db, std::string station, ApplyHere apply_here)
      : outbox_(db), station_(std::move(station)), apply_here_(std::move(apply_here)) {}

  // One id a case ("pa-<case>", "pc-<case>"): sent again, the same message.
  Status SendAlert(const ProblemAlertMessage& alert, std::int64_t now_ms);
  Status SendClosed(const ProblemClosedMessage& closed, std::int64_t now_ms);
  // One id an answer ("pans-<case>-<answered_ms>"): a second answer is a
  // new message.
  Status SendAnswer(const ProblemAnswerMessage& answer, std::int64_t now_ms);

 private:
  Status Send(const std::string& msg_id, const std::string& to, const char* kind, const std::string& body,
              std::int64_t now_ms);

  Outbox outbox_;
  const std::string station_;
  const ApplyHere apply_here_;
};

}  // namespace station
