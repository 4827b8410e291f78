#include "daemon/ops/metrics_text.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>

namespace station::metrics {
namespace {

bool NameChar(char c, bool first, bool colon_ok) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

bool ValidName(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

// Whole numbers (every figure here is a count or a size) are written
// without a fraction; others with enough digits to read back the same.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::trunc(v) == v && std::fabs(v) < 9.007199254740992e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

std::string LabelsText(const Sample& sample) {
  if (sample.labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < sample.labels.size(); ++i) {
    if (i > 0) out += ',';
    out += sample.labels[i].first + "=\"" + EscapeLabelValue(sample.labels[i].second) + "\"";
  }
  return out + "}";
}

Status CheckFamily(const Family& f) {
  if (!IsMetricName(f.name)) {
    return Status::InvalidArgument("metric '" + f.name + "'", "not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  const std::string_view total = "_total";
  const bool ends_total = f.name.size() > total.size() && f.name.compare(f.name.size() - total.size(), total.size(),
                                                                         total) == 0;
  if (f.type == Type::kCounter && !ends_total) {
    return Status::InvalidArgument("counter '" + f.name + "'", "a counter's name ends in _total");
  }
  if (f.type == Type::kGauge && ends_total) {
    return Status::InvalidArgument("gauge '" + f.name + "'", "_total is for counters");
  }
  std::set<std::string> seen;
  for (const Sample& s : f.samples) {
    std::set<std::string> names;
    for (const auto& [name, value] : s.labels) {
      if (!IsLabelName(name)) return Status::InvalidArgument("metric " + f.name, "bad label name '" + name + "'");
      if (!names.insert(name).second) {
        return Status::InvalidArgument("metric " + f.name, "label '" + name + "' given twice in one sample");
      }
    }
    if (!seen.insert(LabelsText(s)).second) {
      return Status::InvalidArgument("metric " + f.name, "two samples with the same labels " + LabelsText(s));
    }
  }
  return Status::OK();
}

}  // namespace

bool IsMetricName(std::string_view name) { return ValidName(name, true); }

bool IsLabelName(std::string_view name) { return ValidName(name, false) && name.rfind("__", 0) != 0; }

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::string> FormatText(const std::vector<Family>& families) {
  std::set<std::string> names;
  std::string out;
  for (const Family& f : families) {
    if (Status s = CheckFamily(f); !s.ok()) return s;
    if (!names.insert(f.name).second) return Status::InvalidArgument("metric " + f.name, "two families of this name");
    out += "# HELP " + f.name + " " + EscapeHelp(f.help) + "\n";
    out += "# TYPE " + f.name + (f.type == Type::kCounter ? " counter\n" : " gauge\n");
    for (const Sample& s : f.samples) out += f.name + LabelsText(s) + " " + FormatValue(s.value) + "\n";
  }
  return out;
}

}  // namespace station::metrics
