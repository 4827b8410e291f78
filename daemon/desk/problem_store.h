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

#include <cstdint>
#include <optional>
#include <string>

#include "sql/sqlite.h"
#include "problems/damage.h"
#include "problems/deadlines.h"

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

// The message kinds of a case between stations (docs/protocol.md).
inline constexpr const char* kProblemAlert = "problem_alert";    // reporting -> origin
inline constexpr const char* kProblemAnswer = "problem_answer";  // origin -> reporting
inline constexpr const char* kProblemClosed = "problem_closed";  // reporting -> origin

// A problem scan: opens a case, or adds to the parcel's open case (its
// own opening scan is passed over). Returns the case number.
Result<std::string> RecordProblemScan(sql::Db& db, const ProblemSettings& settings, const ProblemScan& scan,
                                      std::int64_t now_ms);

// Any other scan of a parcel with an answered case: closes the case when
// its type carries the resolution out. True when it closed one.
Result<bool> RecordResolutionScan(sql::Db& db, const ProblemSettings& settings, const ProblemScan& scan,
                                  std::int64_t now_ms);

// A clerk's problem: stored as a problem scan (device "CLERK", so it is
// uploaded like any other) and its case opened at once. Returns the case number.
Result<std::string> OpenCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& waybill,
                                    const std::string& reason, const std::string& note, const std::string& by,
                                    std::int64_t now_ms);

// A clerk closes a case by hand (a claim, or work done without its scan).
// kNotFound, kConflict (already closed), kInvalidArgument (empty note).
Status CloseCaseByClerk(sql::Db& db, const ProblemSettings& settings, const std::string& case_no,
                        const std::string& note, const std::string& by, std::int64_t now_ms);

// Open cases whose origin is known: the alert goes into the outbox and
// the case becomes notified. Returns how many.
Result<int> SendAlerts(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms);

// Marks cases that passed a deadline (once each deadline). Returns how many.
Result<int> EscalateLateCases(sql::Db& db, const ProblemSettings& settings, std::int64_t now_ms);

// A message from the inbox of one of the three kinds above. A message that
// cannot apply (unknown or closed case, bad body, another station
// answering) changes nothing and is logged; the returned text says why.
Result<std::string> ApplyProblemMessage(sql::Db& db, const ProblemSettings& settings, const std::string& from,
                                        const std::string& kind, const std::string& body, std::int64_t now_ms);

// The origin station's answer to an alert it holds. kNotFound (no such
// alert), kConflict (answered or closed already), kInvalidArgument (a
// resolution that is not one, new_phone without a phone, ...).
struct ProblemAnswer {
  std::string case_no, resolution, phone, address, note, by;
};
Status AnswerAlert(sql::Db& db, const ProblemSettings& settings, const ProblemAnswer& answer, std::int64_t now_ms);

}  // namespace station
