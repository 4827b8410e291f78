// Problem-parcel rules (problems/): DESIGN §4's resolutions and the scans
// that carry them out, the damage rule at its edges, deadlines.

#include <catch2/catch.hpp>

#include "problems/damage.h"
#include "problems/deadlines.h"
#include "problems/resolution.h"

using namespace station;
using namespace station::problems;

TEST_CASE("problems: each resolution is carried out by DESIGN's scan, a claim by none", "[problems]") {
  const std::pair<const char*, std::optional<ScanType>> table[] = {
      {"new_phone", ScanType::kOutForDelivery},     {"new_address", ScanType::kOutForDelivery},
      {"redeliver", ScanType::kOutForDelivery},     {"retry_later", ScanType::kOutForDelivery},
      {"self_pickup", ScanType::kSigned},           {"transfer_out", ScanType::kTransferred},
      {"forward", ScanType::kDispatch},             {"return_to_sender", ScanType::kReturned},
      {"rewrap_deliver", ScanType::kOutForDelivery}, {"claim", std::nullopt},
  };
  for (const auto& [key, scan] : table) {
    INFO(key);
    auto resolution = ParseResolution(key);
    REQUIRE(resolution);
    CHECK(std::string(ResolutionKey(*resolution)) == key);
    CHECK(CarriedOutBy(*resolution) == scan);
  }
  CHECK_FALSE(ParseResolution("new phone"));
  CHECK_FALSE(ParseResolution(""));
  CHECK(std::string(ResolutionLabel(Resolution::kSelfPickup)) == "客户自提");
}

TEST_CASE("problems: every reason has its usual resolutions", "[problems]") {
  CHECK(UsualResolutions(ProblemReason::kWrongPhone) == std::vector<Resolution>{Resolution::kNewPhone});
  CHECK(UsualResolutions(ProblemReason::kDamaged) ==
        std::vector<Resolution>{Resolution::kRewrapDeliver, Resolution::kClaim});
  for (int r = 0; r < kProblemReasonCount; ++r) CHECK_FALSE(UsualResolutions(static_cast<ProblemReason>(r)).empty());
}

TEST_CASE("problems: the damage rule compares with the reference weight within a tolerance", "[problems]") {
  // 2,000 g at pickup: 5 % is 100 g, more than 50 g.
  CHECK(CheckDamage(1900, 2000).verdict == DamageVerdict::kWithinTolerance);
  CHECK(CheckDamage(1900, 2000).suggestion == Resolution::kRewrapDeliver);
  CHECK(CheckDamage(1899, 2000).verdict == DamageVerdict::kShort);
  CHECK(CheckDamage(1899, 2000).suggestion == Resolution::kClaim);
  CHECK(CheckDamage(1899, 2000).missing_g == 101);
  CHECK(CheckDamage(1899, 2000).tolerance_g == 100);
  // 300 g: 5 % is 15 g, so the 50 g floor holds.
  CHECK(CheckDamage(250, 300).verdict == DamageVerdict::kWithinTolerance);
  CHECK(CheckDamage(249, 300).verdict == DamageVerdict::kShort);
  // Heavier is not short.
  CHECK(CheckDamage(2600, 2000).verdict == DamageVerdict::kWithinTolerance);
  // Nothing to compare: a clerk decides.
  CHECK(CheckDamage(std::nullopt, 2000).verdict == DamageVerdict::kUnweighed);
  CHECK(CheckDamage(1900, std::nullopt).verdict == DamageVerdict::kUnweighed);
  CHECK_FALSE(CheckDamage(1900, std::nullopt).suggestion);
  // A configured tolerance.
  CHECK(CheckDamage(1990, 2000, {5, 0}).verdict == DamageVerdict::kShort);
}

TEST_CASE("problems: a case is late for its answer only until answered, for closing until closed", "[problems]") {
  const DeadlinePolicy policy;  // 1 h, 24 h
  const Deadlines d = DeadlinesFor(1000, policy);
  CHECK(d.answer_due_ms == 1000 + 3600'000);
  CHECK(d.close_due_ms == 1000 + 86'400'000);
  CHECK_FALSE(LateAt(CaseState::kNotified, d, d.answer_due_ms).any());
  CHECK(LateAt(CaseState::kNotified, d, d.answer_due_ms + 1).answer);
  CHECK(LateAt(CaseState::kOpen, d, d.answer_due_ms + 1).answer);
  CHECK_FALSE(LateAt(CaseState::kAnswered, d, d.answer_due_ms + 1).any());
  CHECK(LateAt(CaseState::kAnswered, d, d.close_due_ms + 1).close);
  CHECK_FALSE(LateAt(CaseState::kClosed, d, d.close_due_ms + 1).any());
}
