#include "problems/resolution.h"

#include <array>

namespace station::problems {
namespace {

struct Entry {
  const char* key;
  const char* label;
  std::optional<ScanType> carried_out_by;
};

const std::array<Entry, kResolutionCount> kResolutions{{
    {"new_phone", "更新电话", ScanType::kOutForDelivery},
    {"new_address", "更正地址", ScanType::kOutForDelivery},
    {"redeliver", "再派", ScanType::kOutForDelivery},
    {"retry_later", "稍后再派", ScanType::kOutForDelivery},
    {"self_pickup", "客户自提", ScanType::kSigned},
    {"transfer_out", "转出", ScanType::kTransferred},
    {"forward", "转寄正确网点", ScanType::kDispatch},
    {"return_to_sender", "退回寄件人", ScanType::kReturned},
    {"rewrap_deliver", "重新包装后派送", ScanType::kOutForDelivery},
    {"claim", "理赔", std::nullopt},
}};

}  // namespace

const char* ResolutionKey(Resolution resolution) { return kResolutions[static_cast<int>(resolution)].key; }
const char* ResolutionLabel(Resolution resolution) { return kResolutions[static_cast<int>(resolution)].label; }

std::optional<Resolution> ParseResolution(std::string_view key) {
  for (int i = 0; i < kResolutionCount; ++i) {
    if (key == kResolutions[i].key) return static_cast<Resolution>(i);
  }
  return std::nullopt;
}

std::optional<ScanType> CarriedOutBy(Resolution resolution) {
  return kResolutions[static_cast<int>(resolution)].carried_out_by;
}

std::vector<Resolution> UsualResolutions(ProblemReason reason) {
  using R = Resolution;
  switch (reason) {
    case ProblemReason::kWrongPhone:
      return {R::kNewPhone};
    case ProblemReason::kUnreachable:
      return {R::kRetryLater, R::kNewPhone, R::kSelfPickup};
    case ProblemReason::kOutOfArea:
      return {R::kSelfPickup, R::kTransferOut};
    case ProblemReason::kRefusedPickup:
      return {R::kTransferOut, R::kReturnToSender};
    case ProblemReason::kAddressUnclear:
      return {R::kNewAddress};
    case ProblemReason::kDamaged:
      return {R::kRewrapDeliver, R::kClaim};
    case ProblemReason::kMissent:
      return {R::kForward};
    case ProblemReason::kRefused:
      return {R::kReturnToSender};
  }
  return {};
}

}  // namespace station::problems
