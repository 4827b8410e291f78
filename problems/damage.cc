#include "problems/damage.h"

#include <algorithm>
#include <cmath>

namespace station::problems {

DamageCheck CheckDamage(std::optional<std::int64_t> weighed_g, std::optional<std::int64_t> reference_g,
                        const DamageTolerance& tolerance) {
  DamageCheck check;
  if (!weighed_g || !reference_g || *reference_g <= 0) return check;
  check.tolerance_g = std::max(
      tolerance.grams, static_cast<std::int64_t>(std::llround(static_cast<double>(*reference_g) * tolerance.percent / 100)));
  check.missing_g = *reference_g - *weighed_g;
  // Heavier than at pickup is not short (wet cardboard, a scale's error):
  // only a loss beyond the tolerance is.
  if (check.missing_g > check.tolerance_g) {
    check.verdict = DamageVerdict::kShort;
    check.suggestion = Resolution::kClaim;
  } else {
    check.verdict = DamageVerdict::kWithinTolerance;
    check.suggestion = Resolution::kRewrapDeliver;
  }
  return check;
}

}  // namespace station::problems
