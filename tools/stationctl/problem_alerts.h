#pragma once
// The problem alerts other stations sent this station about parcels it
// shipped (issue 5: this station as the origin), as `stationctl alerts`
// shows them beside the missing-parcel digests.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace station {

struct ProblemAlertLine {
  std::string case_no, from, waybill, reason, state, resolution, answered_by;
  std::int64_t received_ms = 0, answered_ms = 0, closed_ms = 0;
  // From the alert's body, as the reporting station wrote it.
  std::string note, bag, suggestion;
  std::string recipient_phone;  // masked (it comes masked; masked again if it did not)
  std::vector<std::string> usual_resolutions;
  std::int64_t answer_due_ms = 0, problem_scans = 0;
  std::optional<std::int64_t> weight_g, reference_weight_g;
};

struct ProblemAlerts {
  // Those waiting for an answer first, then answered, then closed; newest
  // received first within each.
  std::vector<ProblemAlertLine> lines;
  std::size_t unreadable = 0;  // alerts whose body could not be read (shown from their columns)
};

// The alerts in the station database of `data_dir`; none when it predates
// them. Fails when the database cannot be read.
Result<ProblemAlerts> ReadProblemAlerts(const std::string& data_dir);

// One alert for --json; "kind": "problem_alert" tells it from digest lines.
nlohmann::json ProblemAlertJson(const ProblemAlertLine& line);

// The clerk's table of `lines`, with how to answer when some wait.
void PrintProblemAlerts(const std::vector<ProblemAlertLine>& lines, std::ostream& out);

}  // namespace station
