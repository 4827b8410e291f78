#include "scanner/scan.h"

#include <array>

namespace station {
namespace {

struct Name {
  const char* key;
  const char* label;
};

constexpr std::array<Name, kScanTypeCount> kScanTypes{{
    {"pickup", "收件"},
    {"dispatch", "发件"},
    {"arrival", "到件"},
    {"unpack", "拆包"},
    {"out_for_delivery", "派件"},
    {"signed", "签收"},
    {"problem", "问题件"},
    {"held", "留仓"},
    {"returned", "退回"},
    {"transferred", "转出"},
}};

constexpr std::array<Name, kProblemReasonCount> kReasons{{
    {"wrong_phone", "电话错误/空号"},
    {"unreachable", "关机/无人接听"},
    {"out_of_area", "超区"},
    {"refused_pickup", "拒绝自提"},
    {"address_unclear", "地址不详"},
    {"damaged", "破损"},
    {"missent", "错发"},
    {"refused", "拒收"},
}};

}  // namespace

const char* ScanTypeKey(ScanType type) { return kScanTypes[static_cast<int>(type)].key; }
const char* ScanTypeLabel(ScanType type) { return kScanTypes[static_cast<int>(type)].label; }

std::optional<ScanType> ParseScanType(std::string_view key) {
  for (int i = 0; i < kScanTypeCount; ++i) {
    if (key == kScanTypes[i].key) return static_cast<ScanType>(i);
  }
  return std::nullopt;
}

const char* ProblemReasonKey(ProblemReason reason) { return kReasons[static_cast<int>(reason)].key; }
const char* ProblemReasonLabel(ProblemReason reason) { return kReasons[static_cast<int>(reason)].label; }

std::optional<ProblemReason> ParseProblemReason(std::string_view key) {
  for (int i = 0; i < kProblemReasonCount; ++i) {
    if (key == kReasons[i].key) return static_cast<ProblemReason>(i);
  }
  return std::nullopt;
}

ClockFlag ClockFlagOf(std::int64_t scan_ms, std::int64_t received_ms) {
  if (scan_ms - received_ms > kClockAheadToleranceMs) return ClockFlag::kFuture;
  if (received_ms - scan_ms > kClockBehindLimitMs) return ClockFlag::kPast;
  return ClockFlag::kNone;
}

const char* ClockFlagKey(ClockFlag flag) {
  switch (flag) {
    case ClockFlag::kFuture:
      return "future";
    case ClockFlag::kPast:
      return "past";
    case ClockFlag::kNone:
      break;
  }
  return "";
}

}  // namespace station
