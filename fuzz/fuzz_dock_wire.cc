// libFuzzer harness: the dock <-> stationd messages (scanner/wire.h). The
// first byte picks the decoder, the rest is the frame:
//   H  DecodeBatchHeader (frame 1 of a batch message, read by stationd)
//   A  DecodeBatchAck    (stationd's reply, read by scanner-dock)
// any other byte picks one by its value. Each message that decodes must
// come back the same through its encoder (fuzz/check.h, CheckRoundTrip).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "wire/dock.h"
#include "wire/request_id.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view frame(reinterpret_cast<const char*>(data) + 1, size - 1);
  const char pick = static_cast<char>(data[0]);
  const bool header = pick == 'H' || (pick != 'A' && data[0] % 2 == 0);
  if (header) {
    auto h = station::DecodeBatchHeader(frame);
    // Any frame: the req a refusal echoes is read without a crash, and is
    // the header's own whenever the header decodes (wire/request_id.h).
    const std::string echoed = station::EchoableReq(frame);
    if (h.ok() && echoed != h->req) station::fuzz::Fail("batch header", "echoed req differs from the decoded one");
    if (h.ok()) {
      station::fuzz::CheckRoundTrip("batch header", *h, station::EncodeBatchHeader, station::DecodeBatchHeader,
                                    station::kMaxHeaderBytes);
    }
  } else {
    auto ack = station::DecodeBatchAck(frame);
    if (ack.ok()) station::fuzz::CheckRoundTrip("batch ack", *ack, station::EncodeBatchAck, station::DecodeBatchAck);
  }
  return 0;
}
