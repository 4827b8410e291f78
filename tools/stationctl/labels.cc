#include "tools/stationctl/labels.h"

#include "problems/resolution.h"
#include "scanner/scan.h"

namespace station {
namespace {

std::string WithLabel(const std::string& key, const std::string& label) {
  return label.empty() ? key : key + " " + label;
}

}  // namespace

std::string ReasonLabelOf(const std::string& key) {
  auto reason = ParseProblemReason(key);
  return reason ? ProblemReasonLabel(*reason) : "";
}

std::string ReasonWithLabel(const std::string& key) { return WithLabel(key, ReasonLabelOf(key)); }

std::string ResolutionLabelOf(const std::string& key) {
  auto resolution = problems::ParseResolution(key);
  return resolution ? problems::ResolutionLabel(*resolution) : "";
}

std::string ResolutionWithLabel(const std::string& key) { return WithLabel(key, ResolutionLabelOf(key)); }

}  // namespace station
