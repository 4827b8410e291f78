#pragma once
// Prometheus text exposition format 0.0.4, written out: metric families
// with their # HELP and # TYPE lines and samples with labels. Pure: no I/O,
// so the format is unit-tested apart from the HTTP server that serves it.
// https://prometheus.io/docs/instrumenting/exposition_formats/

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace station::metrics {

enum class Type { kCounter, kGauge };

struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;  // name, value (any UTF-8; escaped when written)
  double value = 0;
};

struct Family {
  std::string name;  // stationsync_...; a counter's ends in _total
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};

// The exposition of `families`, in their order, one # HELP and one # TYPE
// line each. kInvalidArgument naming the family when a name is not a valid
// metric or label name, a counter's name does not end in _total, two
// families share a name, or a sample repeats another's labels.
Result<std::string> FormatText(const std::vector<Family>& families);

// A label value as the format quotes it: backslash, double quote and line
// feed escaped.
std::string EscapeLabelValue(std::string_view value);
// HELP text: backslash and line feed escaped.
std::string EscapeHelp(std::string_view help);

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels take no ':' and may
// not start with "__" (reserved for Prometheus itself).
bool IsMetricName(std::string_view name);
bool IsLabelName(std::string_view name);

}  // namespace station::metrics
