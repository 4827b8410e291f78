// The states of a problem case and of an alert (daemon/desk/case_state.h):
// the keys station.db stores and clerks see, and every move between them.

#include <catch2/catch.hpp>

#include "daemon/desk/case_state.h"

using namespace station;

TEST_CASE("case and alert states keep the keys station.db stores", "[desk][problems]") {
  CHECK(std::string(problems::CaseStateKey(CaseState::kOpen)) == "open");
  CHECK(std::string(problems::CaseStateKey(CaseState::kNotified)) == "notified");
  CHECK(std::string(problems::CaseStateKey(CaseState::kAnswered)) == "answered");
  CHECK(std::string(problems::CaseStateKey(CaseState::kClosed)) == "closed");
  for (CaseState s : {CaseState::kOpen, CaseState::kNotified, CaseState::kAnswered, CaseState::kClosed}) {
    CHECK(ParseCaseState(problems::CaseStateKey(s)) == s);
  }
  CHECK_FALSE(ParseCaseState("Open"));
  CHECK_FALSE(ParseCaseState("alerted"));
  CHECK(std::string(AlertStateKey(AlertState::kAlerted)) == "alerted");
  CHECK(std::string(AlertStateKey(AlertState::kAnswered)) == "answered");
  CHECK(std::string(AlertStateKey(AlertState::kClosed)) == "closed");
  for (AlertState s : {AlertState::kAlerted, AlertState::kAnswered, AlertState::kClosed}) {
    CHECK(ParseAlertState(AlertStateKey(s)) == s);
  }
  CHECK_FALSE(ParseAlertState("notified"));
}

TEST_CASE("a case moves open, notified, answered, closed, and never out of closed", "[desk][problems]") {
  using E = CaseEvent;
  const auto after = [](CaseState s, CaseEvent e) { return CaseStateAfter(s, e); };
  // The alert goes once, from open only.
  CHECK(after(CaseState::kOpen, E::kAlertSent) == CaseState::kNotified);
  CHECK_FALSE(after(CaseState::kNotified, E::kAlertSent));
  CHECK_FALSE(after(CaseState::kAnswered, E::kAlertSent));
  // An answer applies in any state but closed (again: it replaces the first).
  CHECK(after(CaseState::kOpen, E::kAnswered) == CaseState::kAnswered);
  CHECK(after(CaseState::kNotified, E::kAnswered) == CaseState::kAnswered);
  CHECK(after(CaseState::kAnswered, E::kAnswered) == CaseState::kAnswered);
  // Only an answered case is closed by the scan that carries it out.
  CHECK(after(CaseState::kAnswered, E::kCarriedOut) == CaseState::kClosed);
  CHECK_FALSE(after(CaseState::kOpen, E::kCarriedOut));
  CHECK_FALSE(after(CaseState::kNotified, E::kCarriedOut));
  // A clerk closes in any state but closed.
  CHECK(after(CaseState::kOpen, E::kClosedByClerk) == CaseState::kClosed);
  CHECK(after(CaseState::kNotified, E::kClosedByClerk) == CaseState::kClosed);
  CHECK(after(CaseState::kAnswered, E::kClosedByClerk) == CaseState::kClosed);
  for (CaseEvent e : {E::kAlertSent, E::kAnswered, E::kCarriedOut, E::kClosedByClerk}) {
    CHECK_FALSE(after(CaseState::kClosed, e));
  }
}

TEST_CASE("an alert is answered once, and closed whatever came before", "[desk][problems]") {
  CHECK(AlertStateAfter(AlertState::kAlerted, AlertEvent::kAnswered) == AlertState::kAnswered);
  CHECK_FALSE(AlertStateAfter(AlertState::kAnswered, AlertEvent::kAnswered));
  CHECK_FALSE(AlertStateAfter(AlertState::kClosed, AlertEvent::kAnswered));
  for (AlertState s : {AlertState::kAlerted, AlertState::kAnswered, AlertState::kClosed}) {
    CHECK(AlertStateAfter(s, AlertEvent::kClosed) == AlertState::kClosed);
  }
}
