#pragma once
// The rest of the station <-> national link (docs/protocol.md, "Sync",
// "Post" and "Lookup"): the heartbeat that also brings this station's new
// manifest rows and its mail, a message posted to another station, and a
// question about parcels that arrived unmanifested. Uploads are in
// upload_wire.h. Shared by stationd's uplink and national-sim.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "wire/upload.h"

namespace station {

// Longest body a posted message may carry.
inline constexpr std::size_t kMaxPostBody = 64 * 1024;
// Most manifest rows and mail items one sync reply carries; "more" says
// there are others and the station asks again at once.
inline constexpr int kSyncManifestRows = 5000;
inline constexpr int kSyncMailItems = 200;
// Longest sync reply header a station accepts. Escaping can make a body
// longer in JSON than on the wire (a control character becomes \u00XX), so
// national cuts a reply's mail short to stay within it.
inline constexpr std::size_t kMaxSyncReplyHeader = kSyncMailItems * (kMaxPostBody + 1024) + 4096;
// Most uploads one sync asks about (SyncRequest::uploads).
inline constexpr std::size_t kSyncUploadsAsked = 64;

// Station -> national, every heartbeat interval and after each reply that
// said "more": "here is where I stand, send what is new".
struct SyncRequest {
  std::string req;
  std::string station;
  std::int64_t manifest_after = 0;  // the last manifest seq this station holds
  std::int64_t mail_after = 0;      // the last mailbox seq this station holds
  // The reqs of uploads sent before this sync and not answered yet (their
  // replies may have been lost), at most kSyncUploadsAsked; may be empty.
  std::vector<std::string> uploads;
};
std::string EncodeSyncRequest(const SyncRequest& request);
Result<SyncRequest> DecodeSyncRequest(std::string_view json);

// One message waiting in a station's mailbox at national.
struct MailItem {
  std::int64_t seq = 0;  // per recipient, increasing, never reused
  std::string from;      // the posting station, as national knows it
  std::string msg_id;    // the poster's id: (from, msg_id) names it for ever
  std::string kind;      // what the body is, e.g. "missing_digest"
  std::string body;
  std::int64_t posted_ms = 0;
};

// National -> station: frame 1 this header (with the mail), frame 2 a
// manifest CSV (DESIGN §8 columns, header row first) of the rows with
// seq in (manifest_after, manifest_to].
struct SyncReply {
  std::string req;
  bool ok = false;
  std::string code, error;  // when !ok
  std::int64_t now_ms = 0;  // national's clock, for the clerk's "last contact"
  std::int64_t manifest_to = 0;  // the station's new manifest cursor
  bool manifest_more = false;
  std::vector<MailItem> mail;  // seq ascending, after mail_after
  bool mail_more = false;
  // National's reply to each upload the sync asked about that it answered,
  // as it was sent (ok or refused); an upload not listed never arrived.
  std::vector<UploadAck> uploads;
};
std::string EncodeSyncReply(const SyncReply& reply);
Result<SyncReply> DecodeSyncReply(std::string_view json);

// Station -> national: a message for another station's mailbox; frame 2
// is the body. Sent until acknowledged; national stores it once per
// (from, msg_id).
struct PostRequest {
  std::string req;
  std::string station;  // the sender
  std::string to;       // the recipient station
  std::string msg_id;
  std::string kind;
};
std::string EncodePostRequest(const PostRequest& request);
Result<PostRequest> DecodePostRequest(std::string_view json);

struct PostAck {
  std::string req;
  bool ok = false;
  std::string code, error;
  std::string msg_id;
  std::int64_t seq = 0;    // its place in the recipient's mailbox
  bool duplicate = false;  // it was already held
};
std::string EncodePostAck(const PostAck& ack);
Result<PostAck> DecodePostAck(std::string_view json);

// Station -> national: "which destination did you manifest these parcels
// to?", for parcels that arrived here with no manifest row (surplus). The
// national sync brings only rows addressed to this station, so a parcel
// manifested to another one (misrouted) looks unmanifested until asked.
// One frame; national answers from its whole manifest.
inline constexpr std::size_t kMaxLookupWaybills = 500;
// Longest lookup header (request or reply) read. Far more than 500 waybills
// need, so that a request with too many is still read and refused for its
// count, with a reason the sender can act on, rather than for its size.
inline constexpr std::size_t kMaxLookupHeader = 64 * 1024;

struct LookupRequest {
  std::string req;
  std::string station;
  std::vector<std::string> waybills;  // 1 to kMaxLookupWaybills, normalised; a repeat is answered once
};
std::string EncodeLookupRequest(const LookupRequest& request);
Result<LookupRequest> DecodeLookupRequest(std::string_view json);

// National -> station: frame 1 this header, frame 2 a manifest CSV (as in
// a sync reply) of national's rows for the waybills in `found`, whatever
// their destination. Every waybill asked is in `found` or `not_found`.
struct LookupReply {
  std::string req;
  bool ok = false;
  std::string code, error;  // when !ok
  std::int64_t now_ms = 0;
  std::vector<std::string> found, not_found;
};
std::string EncodeLookupReply(const LookupReply& reply);
Result<LookupReply> DecodeLookupReply(std::string_view json);

// The "type" of a link message's header frame, or "" when it has none;
// for dispatch before decoding.
std::string LinkMessageType(std::string_view json);

}  // namespace station
