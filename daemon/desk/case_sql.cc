#include "daemon/desk/case_sql.h"

namespace station {
namespace {

// Cases are found by number or by parcel. The state tests are written into
// the SQL, not bound, so that the planner can use the partial index
// problem_cases_one_open (WHERE state != 'closed').
#define STATION_CASE_COLUMNS                                                                                      \
  "SELECT id, case_no, waybill, reason, origin_station, state, coalesce(resolution, ''), coalesce(closed_by, '')," \
  " first_scan_id, coalesce(closed_ms, 0) FROM problem_cases"
constexpr const char* kFindByNumber = STATION_CASE_COLUMNS " WHERE case_no = ?1";
constexpr const char* kFindNotClosed = STATION_CASE_COLUMNS " WHERE waybill = ?1 AND state != 'closed'";
constexpr const char* kFindAnswered = STATION_CASE_COLUMNS " WHERE waybill = ?1 AND state = 'answered'";
#undef STATION_CASE_COLUMNS

// The schema's CHECK allows only the four keys; anything else would read
// as open, as the string comparisons before the enum read it.
CaseState CaseStateOf(std::string_view key) { return ParseCaseState(key).value_or(CaseState::kOpen); }

}  // namespace

Result<std::optional<CaseRow>> CaseSql::FindOne(LazyStmt& query, const char* text, const std::string& key) {
  auto find = query.Get(db_, text);
  if (!find.ok()) return find.status();
  (*find)->Bind(1, key);
  std::optional<CaseRow> found;
  Status s = (*find)->ForEachRow([&](const sql::Stmt& r) {
    found = CaseRow{r.ColumnInt(0),  r.ColumnText(1), r.ColumnText(2), r.ColumnText(3),
                    r.ColumnText(4), CaseStateOf(r.ColumnView(5)), r.ColumnText(6), r.ColumnText(7),
                    r.ColumnInt(8),  r.ColumnInt(9)};
  });
  if (!s.ok()) return s;
  return found;
}

Result<std::optional<CaseRow>> CaseSql::FindByNumber(const std::string& case_no) {
  return FindOne(find_by_number_, kFindByNumber, case_no);
}

Result<std::optional<CaseRow>> CaseSql::FindNotClosed(const std::string& waybill) {
  return FindOne(find_not_closed_, kFindNotClosed, waybill);
}

Result<std::optional<CaseRow>> CaseSql::FindAnswered(const std::string& waybill) {
  return FindOne(find_answered_, kFindAnswered, waybill);
}

Result<ManifestFacts> CaseSql::FactsOf(const std::string& waybill) {
  auto row = facts_.Get(
      db_, "SELECT origin_station, coalesce(recipient_phone, ''), declared_weight_g FROM manifest WHERE waybill = ?1");
  if (!row.ok()) return row.status();
  (*row)->Bind(1, waybill);
  ManifestFacts facts;
  Status s = (*row)->ForEachRow([&](const sql::Stmt& r) {
    facts.origin = r.ColumnText(0);
    facts.phone = r.ColumnText(1);
    if (!r.ColumnIsNull(2)) facts.declared_weight_g = r.ColumnInt(2);
  });
  if (!s.ok()) return s;
  return facts;
}

Result<std::int64_t> CaseSql::NextNumberOf(const std::string& prefix) {
  // One row a day, bumped inside the caller's transaction: a number costs
  // the same on a day of 30,000 cases as on a quiet one.
  auto next = next_number_.Get(db_,
                               "INSERT INTO problem_case_days (day, last_no) VALUES (?1, 1)"
                               " ON CONFLICT (day) DO UPDATE SET last_no = last_no + 1 RETURNING last_no");
  if (!next.ok()) return next.status();
  (*next)->Bind(1, prefix);
  std::int64_t n = 0;
  if (Status s = (*next)->ForEachRow([&](const sql::Stmt& r) { n = r.ColumnInt(0); }); !s.ok()) return s;
  return n;
}

Result<std::int64_t> CaseSql::Insert(const NewCase& c) {
  auto insert = insert_.Get(
      db_,
      "INSERT INTO problem_cases (case_no, waybill, reason, origin_station, state, opened_ms, opened_by, first_scan_id,"
      " problem_scans, note, weight_g, reference_weight_g, suggestion, answer_due_ms, close_due_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?14, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!insert.ok()) return insert.status();
  sql::Stmt& i = **insert;
  i.Bind(1, c.case_no).Bind(2, c.waybill).Bind(3, c.reason).Bind(4, c.origin).Bind(5, c.opened_ms);
  i.Bind(6, c.opened_by).Bind(7, c.first_scan_id).Bind(8, c.note).BindOptional(9, c.weight_g);
  i.BindOptional(10, c.reference_weight_g).BindTextOrNull(11, c.suggestion);
  i.Bind(12, c.answer_due_ms).Bind(13, c.close_due_ms).Bind(14, problems::CaseStateKey(CaseState::kOpen));
  if (Status s = i.Run(); !s.ok()) return s;
  return db_.LastInsertRowId();
}

Status CaseSql::AddEvent(std::int64_t case_id, std::int64_t at_ms, const std::string& actor, const std::string& event,
                         const std::string& detail) {
  auto insert =
      add_event_.Get(db_, "INSERT INTO problem_events (case_id, at_ms, actor, event, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.status();
  (*insert)->Bind(1, case_id).Bind(2, at_ms).Bind(3, actor).Bind(4, event).Bind(5, detail);
  return (*insert)->Run();
}

Status CaseSql::CountProblemScan(std::int64_t case_id) {
  auto add = count_scan_.Get(db_, "UPDATE problem_cases SET problem_scans = problem_scans + 1 WHERE id = ?1");
  if (!add.ok()) return add.status();
  (*add)->Bind(1, case_id);
  return (*add)->Run();
}

Status CaseSql::SetState(std::int64_t case_id, CaseState state) {
  auto set = set_state_.Get(db_, "UPDATE problem_cases SET state = ?2 WHERE id = ?1");
  if (!set.ok()) return set.status();
  (*set)->Bind(1, case_id).Bind(2, problems::CaseStateKey(state));
  return (*set)->Run();
}

Status CaseSql::SetAnswer(std::int64_t case_id, const CaseAnswerRow& a) {
  auto answer = set_answer_.Get(db_,
                                "UPDATE problem_cases SET state = ?8, resolution = ?2, resolution_phone = ?3,"
                                " resolution_address = ?4, answer_note = ?5, answered_ms = ?6, answered_by = ?7"
                                " WHERE id = ?1");
  if (!answer.ok()) return answer.status();
  sql::Stmt& s = **answer;
  s.Bind(1, case_id).Bind(2, a.resolution).BindTextOrNull(3, a.phone).BindTextOrNull(4, a.address);
  s.BindTextOrNull(5, a.note).Bind(6, a.answered_ms).Bind(7, a.by).Bind(8, problems::CaseStateKey(CaseState::kAnswered));
  return s.Run();
}

Status CaseSql::SetClosed(std::int64_t case_id, std::int64_t closed_ms, const std::string& by, const std::string& note,
                          std::optional<std::int64_t> scan_id) {
  auto close = set_closed_.Get(db_,
                               "UPDATE problem_cases SET state = ?6, closed_ms = ?2, closed_by = ?3, close_note = ?4,"
                               " closed_by_scan_id = ?5 WHERE id = ?1");
  if (!close.ok()) return close.status();
  (*close)->Bind(1, case_id).Bind(2, closed_ms).Bind(3, by).Bind(4, note).BindOptional(5, scan_id);
  (*close)->Bind(6, problems::CaseStateKey(CaseState::kClosed));
  return (*close)->Run();
}

Result<std::vector<std::pair<std::int64_t, std::string>>> CaseSql::OriginsFound() {
  auto unknown = origins_found_.Get(
      db_,
      "SELECT c.id, m.origin_station FROM problem_cases c JOIN manifest m ON m.waybill = c.waybill"
      " WHERE c.state = 'open' AND c.origin_station = '' AND m.origin_station != ''");
  if (!unknown.ok()) return unknown.status();
  std::vector<std::pair<std::int64_t, std::string>> found;
  Status s = (*unknown)->ForEachRow([&](const sql::Stmt& r) { found.emplace_back(r.ColumnInt(0), r.ColumnText(1)); });
  if (!s.ok()) return s;
  return found;
}

Status CaseSql::SetOrigin(std::int64_t case_id, const std::string& origin) {
  auto set = set_origin_.Get(db_, "UPDATE problem_cases SET origin_station = ?2 WHERE id = ?1");
  if (!set.ok()) return set.status();
  (*set)->Bind(1, case_id).Bind(2, origin);
  return (*set)->Run();
}

Result<std::vector<CaseToAlert>> CaseSql::CasesToAlert() {
  auto open = cases_to_alert_.Get(
      db_,
      "SELECT c.id, c.case_no, c.waybill, c.reason, c.origin_station, c.opened_ms, c.note, c.weight_g,"
      " c.reference_weight_g, coalesce(c.suggestion, ''), c.answer_due_ms, c.problem_scans,"
      " coalesce(m.recipient_phone, ''), coalesce(m.bag, '')"
      " FROM problem_cases c LEFT JOIN manifest m ON m.waybill = c.waybill"
      " WHERE c.state = 'open' AND c.origin_station != ''");
  if (!open.ok()) return open.status();
  std::vector<CaseToAlert> cases;
  Status s = (*open)->ForEachRow([&](const sql::Stmt& r) {
    CaseToAlert c;
    c.id = r.ColumnInt(0);
    c.case_no = r.ColumnText(1);
    c.waybill = r.ColumnText(2);
    c.reason = r.ColumnText(3);
    c.origin = r.ColumnText(4);
    c.opened_ms = r.ColumnInt(5);
    c.note = r.ColumnText(6);
    if (!r.ColumnIsNull(7)) c.weight_g = r.ColumnInt(7);
    if (!r.ColumnIsNull(8)) c.reference_weight_g = r.ColumnInt(8);
    c.suggestion = r.ColumnText(9);
    c.answer_due_ms = r.ColumnInt(10);
    c.problem_scans = r.ColumnInt(11);
    c.recipient_phone = r.ColumnText(12);
    c.bag = r.ColumnText(13);
    cases.push_back(std::move(c));
  });
  if (!s.ok()) return s;
  return cases;
}

Result<std::vector<LateCase>> CaseSql::LateCases(std::int64_t now_ms) {
  auto late = late_cases_.Get(
      db_,
      "SELECT id, case_no, state, answer_due_ms, close_due_ms, answer_late, close_late, origin_station"
      " FROM problem_cases WHERE state != 'closed' AND ((answer_late = 0 AND answer_due_ms < ?1"
      " AND state IN ('open', 'notified')) OR (close_late = 0 AND close_due_ms < ?1))");
  if (!late.ok()) return late.status();
  (*late)->Bind(1, now_ms);
  std::vector<LateCase> cases;
  Status s = (*late)->ForEachRow([&](const sql::Stmt& r) {
    cases.push_back({r.ColumnInt(0), r.ColumnText(1), r.ColumnText(7), CaseStateOf(r.ColumnView(2)), r.ColumnInt(3),
                     r.ColumnInt(4), r.ColumnInt(5) != 0, r.ColumnInt(6) != 0});
  });
  if (!s.ok()) return s;
  return cases;
}

Status CaseSql::MarkLate(std::int64_t case_id, bool answer, bool close) {
  auto mark = mark_late_.Get(db_,
                             "UPDATE problem_cases SET answer_late = max(answer_late, ?2),"
                             " close_late = max(close_late, ?3) WHERE id = ?1");
  if (!mark.ok()) return mark.status();
  (*mark)->Bind(1, case_id).Bind(2, std::int64_t{answer}).Bind(3, std::int64_t{close});
  return (*mark)->Run();
}

Status CaseSql::AddClerkBatch(const std::string& batch, const std::string& by, const std::string& station,
                              std::int64_t now_ms) {
  auto insert = add_clerk_batch_.Get(
      db_,
      "INSERT INTO batches (device, batch, courier, station, received_ms) VALUES ('CLERK', ?1, ?2, ?3, ?4)"
      " ON CONFLICT (device, batch) DO NOTHING");
  if (!insert.ok()) return insert.status();
  (*insert)->Bind(1, batch).Bind(2, by).Bind(3, station).Bind(4, now_ms);
  return (*insert)->Run();
}

Result<std::int64_t> CaseSql::AddClerkScan(const std::string& batch, const std::string& waybill,
                                           const std::string& iso_time, std::int64_t now_ms, const std::string& reason,
                                           const std::string& note) {
  auto scan = add_clerk_scan_.Get(
      db_,
      "INSERT INTO scans (batch_id, seq, waybill, type, scan_time, scan_time_ms, received_ms, reason, note,"
      " line) SELECT b.id, coalesce((SELECT max(seq) FROM scans WHERE batch_id = b.id), 0) + 1, ?2,"
      " 'problem', ?3, ?4, ?4, ?5, ?6, 0 FROM batches b WHERE b.device = 'CLERK' AND b.batch = ?1");
  if (!scan.ok()) return scan.status();
  (*scan)->Bind(1, batch).Bind(2, waybill).Bind(3, iso_time).Bind(4, now_ms).Bind(5, reason).BindTextOrNull(6, note);
  if (Status s = (*scan)->Run(); !s.ok()) return s;
  return db_.LastInsertRowId();
}

Result<bool> CaseSql::KeepAlert(const std::string& case_no, const std::string& from, const std::string& waybill,
                                const std::string& reason, const std::string& body, std::int64_t now_ms) {
  auto keep = keep_alert_.Get(
      db_,
      "INSERT INTO problem_alerts (case_no, from_station, waybill, reason, body, received_ms, state)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (case_no) DO NOTHING");
  if (!keep.ok()) return keep.status();
  (*keep)->Bind(1, case_no).Bind(2, from).Bind(3, waybill).Bind(4, reason).Bind(5, body).Bind(6, now_ms);
  (*keep)->Bind(7, AlertStateKey(AlertState::kAlerted));
  if (Status s = (*keep)->Run(); !s.ok()) return s;
  return db_.Changes() > 0;
}

Result<bool> CaseSql::CloseAlert(const std::string& case_no, const std::string& from, std::int64_t now_ms) {
  auto close = close_alert_.Get(
      db_, "UPDATE problem_alerts SET state = ?4, closed_ms = ?3 WHERE case_no = ?1 AND from_station = ?2");
  if (!close.ok()) return close.status();
  // Closed from any state (case_state.h): no need to read it first.
  const std::optional<AlertState> closed = AlertStateAfter(AlertState::kAlerted, AlertEvent::kClosed);
  (*close)->Bind(1, case_no).Bind(2, from).Bind(3, now_ms).Bind(4, AlertStateKey(*closed));
  if (Status s = (*close)->Run(); !s.ok()) return s;
  return db_.Changes() > 0;
}

Result<std::optional<HeldAlert>> CaseSql::FindAlert(const std::string& case_no) {
  auto alert = find_alert_.Get(db_,
                               "SELECT from_station, waybill, state, coalesce(resolution, ''),"
                               " coalesce(answered_ms, 0), coalesce(closed_ms, 0) FROM problem_alerts"
                               " WHERE case_no = ?1");
  if (!alert.ok()) return alert.status();
  (*alert)->Bind(1, case_no);
  std::optional<HeldAlert> found;
  Status s = (*alert)->ForEachRow([&](const sql::Stmt& r) {
    // The schema's CHECK allows only the three keys.
    found = HeldAlert{r.ColumnText(0), r.ColumnText(1),
                      ParseAlertState(r.ColumnView(2)).value_or(AlertState::kAlerted), r.ColumnText(3),
                      r.ColumnInt(4), r.ColumnInt(5)};
  });
  if (!s.ok()) return s;
  return found;
}

Status CaseSql::MarkAlertAnswered(const std::string& case_no, const std::string& resolution, std::int64_t answered_ms,
                                  const std::string& by) {
  auto mark = mark_alert_answered_.Get(db_,
                                       "UPDATE problem_alerts SET state = ?5, resolution = ?2, answered_ms = ?3,"
                                       " answered_by = ?4 WHERE case_no = ?1");
  if (!mark.ok()) return mark.status();
  (*mark)->Bind(1, case_no).Bind(2, resolution).Bind(3, answered_ms).Bind(4, by);
  (*mark)->Bind(5, AlertStateKey(AlertState::kAnswered));
  return (*mark)->Run();
}

}  // namespace station
