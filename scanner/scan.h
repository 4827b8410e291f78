#pragma once
// The scan model of DESIGN §3 and the problem reasons of §4.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace station {

enum class ScanType {
  kPickup,
  kDispatch,
  kArrival,
  kUnpack,
  kOutForDelivery,
  kSigned,
  kProblem,
  kHeld,
  kReturned,
  kTransferred,
};
inline constexpr int kScanTypeCount = 10;

enum class ProblemReason {
  kWrongPhone,
  kUnreachable,
  kOutOfArea,
  kRefusedPickup,
  kAddressUnclear,
  kDamaged,
  kMissent,
  kRefused,
};
inline constexpr int kProblemReasonCount = 8;

// Wire keys ("out_for_delivery") and Chinese labels ("派件") of DESIGN §3/§4.
const char* ScanTypeKey(ScanType type);
const char* ScanTypeLabel(ScanType type);
std::optional<ScanType> ParseScanType(std::string_view key);
const char* ProblemReasonKey(ProblemReason reason);
const char* ProblemReasonLabel(ProblemReason reason);
std::optional<ProblemReason> ParseProblemReason(std::string_view key);

// Who sent a batch: the comment line of a gun batch file (DESIGN §8).
struct BatchOrigin {
  std::string device;   // PDA-0042
  std::string courier;  // C1001
  std::string station;  // 571001, six digits
  std::string batch;    // 20261124-0003
};

// One checked scan. (origin.device, origin.batch, seq) names it for ever.
struct Scan {
  std::int64_t seq = 0;
  std::string waybill;  // normalised; empty for a scan of a whole bag
  ScanType type = ScanType::kArrival;
  std::string time;          // as the gun wrote it, with its offset
  std::int64_t time_ms = 0;  // the same instant, Unix milliseconds UTC
  std::string peer_station;  // empty when absent
  std::string bag;           // empty when absent
  std::optional<std::int64_t> weight_g;
  std::optional<ProblemReason> reason;
  std::string note;  // UTF-8, at most kMaxNoteChars code points

};

inline constexpr std::size_t kMaxNoteChars = 500;

}  // namespace station
