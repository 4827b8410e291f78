#pragma once
// The damage rule of DESIGN §4: a damaged parcel weighed here is compared
// with the weight it had at pickup (or the sender's declared weight).
// Within the tolerance nothing is missing: rewrap and deliver. Lighter than
// that, part of the contents is gone: the parcel is short, and the case
// suggests a claim.

#include <cstdint>
#include <optional>

#include "problems/resolution.h"

namespace station::problems {

struct DamageTolerance {
  std::int64_t grams = 50;  // scales and packing differ by this much anyway
  double percent = 5;       // of the reference weight, when that is more
};

enum class DamageVerdict {
  kUnweighed,        // no weight here, or none to compare with: a clerk decides
  kWithinTolerance,  // rewrap and deliver
  kShort,            // lighter than the tolerance allows: claim
};

struct DamageCheck {
  DamageVerdict verdict = DamageVerdict::kUnweighed;
  std::int64_t missing_g = 0;  // reference - weighed (negative when heavier)
  std::int64_t tolerance_g = 0;
  std::optional<Resolution> suggestion;  // rewrap_deliver or claim
};

DamageCheck CheckDamage(std::optional<std::int64_t> weighed_g, std::optional<std::int64_t> reference_g,
                        const DamageTolerance& tolerance = {});

}  // namespace station::problems
