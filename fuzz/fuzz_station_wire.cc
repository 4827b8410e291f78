// libFuzzer harness: the station-to-station messages (wire/station.h), the
// bodies one station posts another through national. The first byte picks
// the decoder, the rest is the body; any byte not listed picks one by its
// value:
//   A DecodeProblemAlert   a DecodeProblemAnswer   c DecodeProblemClosed
//   D DecodeMissingDigest
// Each message that decodes must come back the same through its encoder
// (fuzz/check.h, CheckRoundTrip); a digest also through its two-step
// encoding (items first), which the reconciler uses.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/check.h"
#include "wire/station.h"

namespace {

using station::fuzz::CheckRoundTrip;

template <typename Encode, typename Decode>
void DecodeAndRoundTrip(const char* what, std::string_view body, Encode encode, Decode decode) {
  auto decoded = decode(body);
  if (decoded.ok()) CheckRoundTrip(what, *decoded, encode, decode);
}

// Items encoded one by one and joined, as the reconciler sizes its parts.
std::string EncodeInTwoSteps(const station::MissingDigest& digest) {
  std::string lists[2];
  const std::vector<station::DigestItem>* items[2] = {&digest.missing, &digest.resolved};
  for (int i = 0; i < 2; ++i) {
    for (const station::DigestItem& item : *items[i]) {
      if (!lists[i].empty()) lists[i].push_back(',');
      lists[i] += station::EncodeDigestItem(item);
    }
  }
  return station::EncodeMissingDigestOfItems(digest.header, lists[0], lists[1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  static constexpr char kPicks[] = "AacD";
  const char* pick = data[0] != 0 ? std::strchr(kPicks, data[0]) : nullptr;
  const char which = pick ? *pick : kPicks[data[0] % (sizeof kPicks - 1)];
  using namespace station;
  switch (which) {
    case 'A':
      DecodeAndRoundTrip("problem_alert", body, EncodeProblemAlert, DecodeProblemAlert);
      break;
    case 'a':
      DecodeAndRoundTrip("problem_answer", body, EncodeProblemAnswer, DecodeProblemAnswer);
      break;
    case 'c':
      DecodeAndRoundTrip("problem_closed", body, EncodeProblemClosed, DecodeProblemClosed);
      break;
    default: {
      auto digest = DecodeMissingDigest(body);
      if (!digest.ok()) break;
      CheckRoundTrip("missing_digest", *digest, EncodeMissingDigest, DecodeMissingDigest);
      if (EncodeInTwoSteps(*digest) != EncodeMissingDigest(*digest)) {
        fuzz::Fail("missing_digest", "its two-step encoding differs:\n" + EncodeInTwoSteps(*digest));
      }
    }
  }
  return 0;
}
