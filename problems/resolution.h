#pragma once
// The origin station's answers to a problem parcel (DESIGN §4) and the
// scan that carries each one out: a case is closed by the work itself, not
// by a clerk saying it was done.

#include <optional>
#include <string_view>
#include <vector>

#include "scanner/scan.h"

namespace station::problems {

enum class Resolution {
  kNewPhone,
  kNewAddress,
  kRedeliver,
  kRetryLater,
  kSelfPickup,
  kTransferOut,
  kForward,
  kReturnToSender,
  kRewrapDeliver,
  kClaim,
};
inline constexpr int kResolutionCount = 10;

const char* ResolutionKey(Resolution resolution);    // "new_phone"
const char* ResolutionLabel(Resolution resolution);  // "更新电话"
std::optional<Resolution> ParseResolution(std::string_view key);

// The scan type that carries the resolution out at the reporting station
// (new phone: out for delivery; self pickup: signed; ...); nullopt for a
// claim, which only a clerk closes.
std::optional<ScanType> CarriedOutBy(Resolution resolution);

// DESIGN §4's usual resolutions for a reason, most usual first. Any
// resolution may be given; these are what a clerk is offered.
std::vector<Resolution> UsualResolutions(ProblemReason reason);

}  // namespace station::problems
