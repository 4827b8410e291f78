// libFuzzer harness: the station <-> national messages (scanner/upload_wire.h,
// scanner/uplink_wire.h). The first byte picks the decoder, the rest is the
// frame; any byte not listed picks one by its value:
//   U DecodeUploadHeader   B ReadUploadBody (frame 2 of an upload)   u DecodeUploadAck
//   S DecodeSyncRequest    s DecodeSyncReply
//   P DecodePostRequest    p DecodePostAck
//   L DecodeLookupRequest  l DecodeLookupReply
//   T LinkMessageType
// Each message that decodes must come back the same through its encoder
// (fuzz/check.h, CheckRoundTrip); an upload body through AppendUploadRow.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/check.h"
#include "wire/national.h"
#include "wire/upload.h"

namespace {

using station::fuzz::CheckRoundTrip;

constexpr std::size_t kMaxLinkHeader = 4096;  // uplink_wire.cc, upload_wire.cc

std::string EncodeUploadBody(const std::vector<station::UploadedScan>& scans) {
  std::string body = std::string(station::kUploadColumns) + "\n";
  for (const station::UploadedScan& s : scans) station::AppendUploadRow(body, s);
  return body;
}

template <typename Encode, typename Decode>
void DecodeAndRoundTrip(const char* what, std::string_view frame, Encode encode, Decode decode, std::size_t limit) {
  auto decoded = decode(frame);
  if (decoded.ok()) CheckRoundTrip(what, *decoded, encode, decode, limit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view frame(reinterpret_cast<const char*>(data) + 1, size - 1);
  static constexpr char kPicks[] = "UBuSsPpLlT";
  const char* pick = data[0] != 0 ? std::strchr(kPicks, data[0]) : nullptr;
  const char which = pick ? *pick : kPicks[data[0] % (sizeof kPicks - 1)];
  using namespace station;
  switch (which) {
    case 'U':
      DecodeAndRoundTrip("upload header", frame, EncodeUploadHeader, DecodeUploadHeader, kMaxLinkHeader);
      break;
    case 'B': {
      auto scans = ReadUploadBody(frame);
      if (scans.ok()) CheckRoundTrip("upload body", *scans, EncodeUploadBody, ReadUploadBody);
      break;
    }
    case 'u':
      DecodeAndRoundTrip("upload ack", frame, EncodeUploadAck, DecodeUploadAck, SIZE_MAX);
      break;
    case 'S':
      DecodeAndRoundTrip("sync", frame, EncodeSyncRequest, DecodeSyncRequest, kMaxLinkHeader);
      break;
    case 's':
      DecodeAndRoundTrip("sync_ack", frame, EncodeSyncReply, DecodeSyncReply, kMaxSyncReplyHeader);
      break;
    case 'P':
      DecodeAndRoundTrip("post", frame, EncodePostRequest, DecodePostRequest, kMaxLinkHeader);
      break;
    case 'p':
      DecodeAndRoundTrip("post_ack", frame, EncodePostAck, DecodePostAck, kMaxLinkHeader);
      break;
    case 'L':
      DecodeAndRoundTrip("lookup", frame, EncodeLookupRequest, DecodeLookupRequest, kMaxLookupHeader);
      break;
    case 'l':
      DecodeAndRoundTrip("lookup_ack", frame, EncodeLookupReply, DecodeLookupReply, kMaxLookupHeader);
      break;
    default:
      (void)LinkMessageType(frame);
  }
  return 0;
}
