#pragma once
// Problem cases in station.db (schema migration 6; DESIGN §4, issue 5):
// the writes of both sides of a case, each inside the caller's write
// transaction, and each leaving a line in the case's audit trail.
//  - the reporting station: a problem scan opens a case (or adds to the
//    open one), the alert goes to the origin station through the outbox,
//    the origin's answer is applied, the scan that carries the resolution
//    out closes the case (or a clerk does, with a note), late cases are
//    escalated;
//  - the origin station: alerts are kept once each, and a clerk answers.
// The SQL is case_sql.h's, the states' rules case_state.h's, the messages
// wire/station.h's, and where they go problem_post.h's.

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/desk/case_sql.h"
#include "daemon/desk/problem_post.h"
#include "problems/damage.h"
#include "problems/deadlines.h"
#include "sql/sqlite.h"
#include "wire/station.h"

namespace station {

struct ProblemSettings {
  std::string station;  // this station's code
  problems::DeadlinePolicy deadlines;
  problems::DamageTolerance damage;
};

// A scan of a waybill, as the problem desk reads it.
struct ProblemScan {
  std::int64_t id = 0;
  std::string waybill, type, reason, note, courier, device;
  std::optional<std::int64_t> weight_g;
  // This station picked the parcel up (a pickup scan here): it is then the
  // origin when the manifest has no row, and the pickup's weight is what a
  // damaged parcel is weighed against.
  bool picked_up_here = false;
  std::optional<std::int64_t> pickup_weight_g;
};

// The origin station's answer to an alert it holds.
struct ProblemAnswer {
  std::string case_no, resolution, phone, address, note, by;
};

// The problem writes on one connection, its statements prepared once
// (case_sql.h). Not thread-safe, as the connection is not; not movable (its
// post hands messages to this station back to it).
class ProblemStore {
 public:
  ProblemStore(sql::Db& db, ProblemSettings settings);
  ProblemStore(const ProblemStore&) = delete;
  ProblemStore& operator=(const ProblemStore&) = delete;

  const ProblemSettings& settings() const { return settings_; }

  // A problem scan: opens a case, or adds to the parcel's open case (its
  // own opening scan is passed over). Returns the case number.
  Result<std::string> RecordProblemScan(const ProblemScan& scan, std::int64_t now_ms);

  // Any other scan of a parcel with an answered case: closes the case when
  // its type carries the resolution out. True when it closed one.
  Result<bool> RecordResolutionScan(const ProblemScan& scan, std::int64_t now_ms);

  // A clerk's problem: stored as a problem scan (device "CLERK", so it is
  // uploaded like any other) and its case opened at once. Returns the case
  // number. kInvalidArgument: a waybill or reason that is not one, no `by`.
  Result<std::string> OpenCaseByClerk(const std::string& waybill, const std::string& reason, const std::string& note,
                                      const std::string& by, std::int64_t now_ms);

  // A clerk closes a case by hand (a claim, or work done without its scan).
  // kNotFound, kConflict (already closed), kInvalidArgument (empty note).
  Status CloseCaseByClerk(const std::string& case_no, const std::string& note, const std::string& by,
                          std::int64_t now_ms);

  // Open cases whose origin is known: the alert goes into the outbox and
  // the case becomes notified. Returns how many.
  Result<int> SendAlerts(std::int64_t now_ms);

  // Marks cases that passed a deadline (once each deadline). Returns how many.
  Result<int> EscalateLateCases(std::int64_t now_ms);

  // A message from the inbox of one of the three problem kinds. A message
  // that cannot apply (unknown or closed case, bad body, another station
  // answering) changes nothing and is logged; the returned text says why.
  Result<std::string> ApplyProblemMessage(const std::string& from, const std::string& kind, const std::string& body,
                                          std::int64_t now_ms);

  // The origin station's answer to an alert it holds. kNotFound (no such
  // alert), kConflict (answered or closed already), kInvalidArgument (a
  // resolution that is not one, new_phone without a phone, ...).
  Status AnswerAlert(const ProblemAnswer& answer, std::int64_t now_ms);

 private:
  Result<std::string> NextCaseNo(std::int64_t now_ms);
  Result<std::string> OpenCase(const ProblemScan& scan, std::int64_t now_ms);
  Status Close(const CaseRow& c, const std::string& by, const std::string& note, std::optional<std::int64_t> scan_id,
               std::int64_t now_ms);
  Status LearnOrigins(std::int64_t now_ms);
  // The three kinds, once a message passed the checks every kind passes.
  Result<std::string> KeepAlert(const std::string& from, const ProblemAlertMessage& alert, const std::string& body,
                                std::int64_t now_ms);
  Result<std::string> CloseAlert(const std::string& from, const ProblemClosedMessage& closed, std::int64_t now_ms);
  Result<std::string> ApplyAnswer(const std::string& from, const ProblemAnswerMessage& answer, std::int64_t now_ms);

  sql::Db& db_;
  const ProblemSettings settings_;
  CaseSql sql_;
  ProblemPost post_;
};

// The same, one call each on `db`, for a caller that does not keep a
// ProblemStore (the clerk's commands): each prepares what it uses.
Result<std::string> OpenCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& waybill,
                                    const std::string& reason, const std::string& note, const std::string& by,
                                    std::int64_t now_ms);
Status CloseCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& case_no,
                        const std::string& note, const std::string& by, std::int64_t now_ms);
Status AnswerAlert(sql::Db& db, const ProblemSettings& settings, const ProblemAnswer& answer, std::int64_t now_ms);

}  // namespace station
