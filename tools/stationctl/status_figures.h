#pragma once
// stationctl status: the rates and backlogs (StationView::Figures), as text
// for the operator and as JSON (docs/operations.md, "Monitoring").

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/storage/run_file.h"
#include "daemon/views/station_view.h"
#include "wire/control_status.h"

namespace station {

// `live` is the running stationd's link report (its uploads this run), and
// `daemon` the running stationd; either may be an error (not running).
nlohmann::json FiguresJson(const StationFigures& figures, const Result<UplinkStatus>& live,
                           const Result<RunInfo>& daemon);
void PrintFigures(std::ostream& out, const StationFigures& figures, const Result<UplinkStatus>& live,
                  const Result<RunInfo>& daemon);

}  // namespace station
