#pragma once
// The problem desk's SQL (schema migrations 6 and 8): every read and write
// of problem cases, their audit trail and day counters, the alerts held for
// other stations, and the clerk's problem scans, one method a statement, on
// one connection. Each runs inside the caller's transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/desk/case_state.h"
#include "daemon/desk/lazy_stmt.h"
#include "sql/sqlite.h"

namespace station {

// A case as the desk's writes need it.
struct CaseRow {
  std::int64_t id = 0;
  std::string case_no, waybill, reason, origin;
  CaseState state = CaseState::kOpen;
  std::string resolution, closed_by;
  std::int64_t first_scan_id = 0, closed_ms = 0;
};

// The parcel's manifest row, as far as a case needs it.
struct ManifestFacts {
  std::string origin, phone;
  std::optional<std::int64_t> declared_weight_g;
};

struct NewCase {
  std::string case_no, waybill, reason, origin, opened_by, note;
  std::int64_t first_scan_id = 0, opened_ms = 0, answer_due_ms = 0, close_due_ms = 0;
  std::optional<std::int64_t> weight_g, reference_weight_g;
  std::string suggestion;  // "" stored as NULL
};

// An open case whose origin is known, with what its alert says.
struct CaseToAlert {
  std::int64_t id = 0;
  std::string case_no, waybill, reason, origin, note, suggestion;
  std::int64_t opened_ms = 0, answer_due_ms = 0, problem_scans = 0;
  std::optional<std::int64_t> weight_g, reference_weight_g;
  std::string recipient_phone, bag;  // from the manifest; "" when none
};

// A case past a deadline that may not have been marked for it yet.
struct LateCase {
  std::int64_t id = 0;
  std::string case_no, origin;
  CaseState state = CaseState::kOpen;
  std::int64_t answer_due_ms = 0, close_due_ms = 0;
  bool answer_marked = false, close_marked = false;
};

struct CaseAnswerRow {
  std::string resolution, phone, address, note, by;  // "" stored as NULL: phone, address, note
  std::int64_t answered_ms = 0;
};

// An alert another station sent this one (the origin's side).
struct HeldAlert {
  std::string from, waybill;
  AlertState state = AlertState::kAlerted;
  std::string resolution;
  std::int64_t answered_ms = 0, closed_ms = 0;  // 0 when not
};

// Statements prepared on first use and kept (lazy_stmt.h). Not
// thread-safe, as the connection is not.
class CaseSql {
 public:
  explicit CaseSql(sql::Db& db) : db_(db) {}

  Result<std::optional<CaseRow>> FindByNumber(const std::string& case_no);
  Result<std::optional<CaseRow>> FindNotClosed(const std::string& waybill);
  Result<std::optional<CaseRow>> FindAnswered(const std::string& waybill);
  Result<ManifestFacts> FactsOf(const std::string& waybill);

  // The next number of the day `prefix` names ("571001-20261201-"),
  // counted in problem_case_days.
  Result<std::int64_t> NextNumberOf(const std::string& prefix);
  // Inserts an open case with one problem scan; its id.
  Result<std::int64_t> Insert(const NewCase& c);
  Status AddEvent(std::int64_t case_id, std::int64_t at_ms, const std::string& actor, const std::string& event,
                  const std::string& detail);
  Status CountProblemScan(std::int64_t case_id);
  Status SetState(std::int64_t case_id, CaseState state);
  Status SetAnswer(std::int64_t case_id, const CaseAnswerRow& answer);
  // Closed by the scan `scan_id`, or by hand when it is nullopt.
  Status SetClosed(std::int64_t case_id, std::int64_t closed_ms, const std::string& by, const std::string& note,
                   std::optional<std::int64_t> scan_id);

  // Open cases with no origin whose manifest row names one: (id, origin).
  Result<std::vector<std::pair<std::int64_t, std::string>>> OriginsFound();
  Status SetOrigin(std::int64_t case_id, const std::string& origin);
  Result<std::vector<CaseToAlert>> CasesToAlert();
  Result<std::vector<LateCase>> LateCases(std::int64_t now_ms);
  // Marks the deadlines that are true as missed; never unmarks.
  Status MarkLate(std::int64_t case_id, bool answer, bool close);

  // A clerk's problem report, stored as a scan of device CLERK in the
  // day's batch `batch` (made when missing); the scan's id.
  Status AddClerkBatch(const std::string& batch, const std::string& by, const std::string& station,
                       std::int64_t now_ms);
  Result<std::int64_t> AddClerkScan(const std::string& batch, const std::string& waybill, const std::string& iso_time,
                                    std::int64_t now_ms, const std::string& reason, const std::string& note);

  // The origin's side. KeepAlert: true when new (a second delivery changes
  // nothing). CloseAlert: true when there was one from `from` to close.
  Result<bool> KeepAlert(const std::string& case_no, const std::string& from, const std::string& waybill,
                         const std::string& reason, const std::string& body, std::int64_t now_ms);
  Result<bool> CloseAlert(const std::string& case_no, const std::string& from, std::int64_t now_ms);
  Result<std::optional<HeldAlert>> FindAlert(const std::string& case_no);
  Status MarkAlertAnswered(const std::string& case_no, const std::string& resolution, std::int64_t answered_ms,
                           const std::string& by);

 private:
  Result<std::optional<CaseRow>> FindOne(LazyStmt& query, const char* text, const std::string& key);

  sql::Db& db_;
  LazyStmt find_by_number_, find_not_closed_, find_answered_, facts_, next_number_, insert_, add_event_, count_scan_,
      set_state_, set_answer_, set_closed_, origins_found_, set_origin_, cases_to_alert_, late_cases_, mark_late_,
      add_clerk_batch_, add_clerk_scan_, keep_alert_, close_alert_, find_alert_, mark_alert_answered_;
};

}  // namespace station
