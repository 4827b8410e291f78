#pragma once
// What the harnesses check beyond memory errors and undefined behaviour
// (which ASan and UBSan catch): a property that fails prints what and why,
// then aborts, so that libFuzzer keeps the input as a crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

namespace station::fuzz {

[[noreturn]] inline void Fail(const char* what, const std::string& why) {
  // Written whole: an input may hold NUL bytes, which %s would stop at.
  std::fprintf(stderr, "\n== property failed: %s: ", what);
  std::fwrite(why.data(), 1, why.size(), stderr);
  std::fputc('\n', stderr);
  std::abort();
}

// The round trip decode(encode(decode(x))) == decode(x), for the fields the
// encoder writes. They are compared as encodings, which are canonical
// (nlohmann::json writes keys sorted, CSV writers quote the same way every
// time), so one check serves every message type: `first` is decode(x).
// `limit` is the decoder's size limit: an encoding longer than it (an
// input near the limit, plus fields the encoder always writes) is not
// checked, since refusing it is the decoder's documented behaviour.
template <typename T, typename Encode, typename Decode>
void CheckRoundTrip(const char* what, const T& first, Encode encode, Decode decode,
                    std::size_t limit = std::numeric_limits<std::size_t>::max()) {
  const std::string once = encode(first);
  if (once.size() > limit) return;
  auto again = decode(once);
  if (!again.ok()) Fail(what, "its own encoding does not decode (" + again.status().ToString() + "):\n" + once);
  const std::string twice = encode(*again);
  if (twice != once) Fail(what, "changed in a round trip:\n" + once + "\n" + twice);
}

// True when `part` (a string_view a reader handed out) lies inside the input.
inline bool Inside(std::string_view part, const std::uint8_t* data, std::size_t size) {
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const auto p = reinterpret_cast<std::uintptr_t>(part.data());
  return part.empty() || (p >= begin && p + part.size() <= begin + size);
}

}  // namespace station::fuzz
