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

// A gun's clock drifts, and a gun whose clock was never set may think it is
// 2000. Its time is kept as written, but a scan whose time is implausible
// when the station receives it is flagged, never dropped (issue 6): the
// parcel was scanned, only the clock was wrong.
enum class ClockFlag {
  kNone,
  kFuture,  // more than kClockAheadToleranceMs after the station received it
  kPast,    // more than kClockBehindLimitMs before the station received it
};

// Five minutes: more than any honest drift between a gun set by the network
// and the station's clock, less than any wrong time zone or date.
inline constexpr std::int64_t kClockAheadToleranceMs = 5 * 60 * 1000;
// The retention window (DESIGN §4: queries and claims are accepted for a
// year, so scans are kept a year): a scan older than the time it would be
// kept for was not made on this trip.
inline constexpr std::int64_t kClockBehindLimitMs = std::int64_t{365} * 24 * 60 * 60 * 1000;

// The flag of a scan made at `scan_ms` by its gun's clock and received at
// `received_ms` by the station's. Both bounds are inclusive: exactly five
// minutes ahead or exactly 365 days behind is not flagged.
ClockFlag ClockFlagOf(std::int64_t scan_ms, std::int64_t received_ms);

// "future", "past"; "" for kNone (stored as NULL).
const char* ClockFlagKey(ClockFlag flag);

}  // namespace station
