#pragma once
// The messages one station sends another through national's post and mail
// (docs/protocol.md, "Station to station"): a problem case's alert, answer
// and close, and reconciliation's digest of missing parcels. National
// carries each as the body of a post of that kind and never reads it.
//
// The encoders write exactly the bytes stationd has always written (keys
// sorted, as nlohmann::json writes them; UTF-8 unescaped; a byte that is
// not UTF-8 replaced by U+FFFD), since stations of both versions read them.
// The decoders accept what the receivers have always accepted. A message
// must have its shape: a JSON object; a problem message with a non-empty
// string "case"; a digest's "missing" and "resolved", when present, arrays
// of objects. A field that is absent or of another type reads as empty
// (0, "", not set), so a station uses what it can of a message another
// station wrote carelessly. "type" and "v" are not read: the post's kind
// names the message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace station {

// The kinds, as posts and the inbox name them.
inline constexpr const char* kProblemAlert = "problem_alert";    // reporting station -> origin
inline constexpr const char* kProblemAnswer = "problem_answer";  // origin -> reporting station
inline constexpr const char* kProblemClosed = "problem_closed";  // reporting station -> origin
inline constexpr const char* kMissingDigest = "missing_digest";  // destination -> origin

// A problem case opened at the reporting station, for the station that
// shipped the parcel. Written fields: all, but the optional ones only when
// set and `suggestion` only when not empty.
struct ProblemAlertMessage {
  std::string case_no;  // "case": <station>-<yyyymmdd>-<nnnn>
  std::string from, to, waybill;
  std::string reason;                                          // a problem reason key, as scanned
  std::optional<std::string> reason_label;                     // when the reason is a known one
  std::optional<std::vector<std::string>> usual_resolutions;  // likewise
  std::int64_t opened_ms = 0, answer_due_ms = 0, problem_scans = 0;
  std::string note;             // phone numbers in it masked by the sender
  std::string recipient_phone;  // masked by the sender
  std::string bag;
  std::optional<std::int64_t> weight_g, reference_weight_g;  // a damaged parcel that was weighed
  std::string suggestion;                                    // "rewrap_deliver" or "claim"; "" for none
};
std::string EncodeProblemAlert(const ProblemAlertMessage& alert);
Result<ProblemAlertMessage> DecodeProblemAlert(std::string_view body);

// The origin station's answer to an alert. `phone` and `address` are
// written only when not empty.
struct ProblemAnswerMessage {
  std::string case_no;  // "case"
  std::string from, to, waybill;
  std::string resolution;  // a resolution key
  std::string phone;       // in full: only the reporting station needs it
  std::string address;
  std::string note, by;
  std::int64_t answered_ms = 0;
};
std::string EncodeProblemAnswer(const ProblemAnswerMessage& answer);
Result<ProblemAnswerMessage> DecodeProblemAnswer(std::string_view body);

// The reporting station closed the case. Every field is written.
struct ProblemClosedMessage {
  std::string case_no;  // "case"
  std::string from, to, waybill;
  std::int64_t closed_ms = 0;
  std::string how;         // "scan" (the resolution carried out) or "clerk" (by hand)
  std::string resolution;  // "" when none came
  std::string note;
};
std::string EncodeProblemClosed(const ProblemClosedMessage& closed);
Result<ProblemClosedMessage> DecodeProblemClosed(std::string_view body);

// One parcel, or one whole bag, in a digest.
struct DigestItem {
  std::string kind;  // "missing" or "missing_bag"
  std::string waybill;  // "" for a whole bag
  std::string bag;
  std::int64_t dispatched_ms = 0;
  std::optional<bool> whole_bag_missing;  // set for "missing"
  std::optional<std::int64_t> parcels;    // set for "missing_bag": how many of its parcels are missing
};

// A digest's fields other than its two lists.
struct MissingDigestHeader {
  std::string from, to;
  std::int64_t run = 0;  // the reconciliation run at `from`
  std::int64_t part = 1, parts = 1;
  std::int64_t created_ms = 0;
};

// One part of a reconciliation run's news for one origin station: parcels
// newly missing at `from`, and parcels it was told of that have arrived.
struct MissingDigest {
  MissingDigestHeader header;
  std::vector<DigestItem> missing, resolved;
};
std::string EncodeMissingDigest(const MissingDigest& digest);
Result<MissingDigest> DecodeMissingDigest(std::string_view body);

// The same encoding in two steps, for a sender that sizes its parts by
// their items' bytes (a first run may find 30,000 missing parcels): each
// item encoded once, then a part from its items' encodings, each list
// joined with ','.
std::string EncodeDigestItem(const DigestItem& item);
std::string EncodeMissingDigestOfItems(const MissingDigestHeader& header, std::string_view missing_items,
                                       std::string_view resolved_items);

}  // namespace station
