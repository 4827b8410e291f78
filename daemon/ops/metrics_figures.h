#pragma once
// The station's figures as Prometheus metric families (docs/operations.md,
// "Monitoring"): the same numbers stationctl status shows.

#include <optional>
#include <string>
#include <vector>

#include "daemon/ops/metrics_text.h"
#include "daemon/views/station_view.h"
#include "daemon/uplink/uplink.h"

namespace station {

// `link` is the live national link, nullopt when stationd runs without
// --national. `started_ms` is when this stationd started.
std::vector<metrics::Family> StationFamilies(const StationFigures& figures, const std::optional<UplinkStatus>& link,
                                             const std::string& station, std::int64_t started_ms);

}  // namespace station
