#pragma once
// A stable 64-bit fingerprint (stored in the database, so it must not
// change across builds or machines). Not for security.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace station {

// FNV-1a's multiply-xor applied to 64-bit little-endian words rather than
// bytes (8x fewer multiplies on the ingest path), with a final avalanche so
// every input bit reaches every output bit.
class Fingerprint {
 public:
  Fingerprint& Add(std::string_view s) {
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) Word(Load(s.data() + i, 8));
    Word(Load(s.data() + i, s.size() - i));             // the tail, zero-padded
    Word((std::uint64_t{0x1f} << 56) ^ s.size());        // separator and length: "" and "\0" differ
    return *this;
  }
  Fingerprint& Add(std::int64_t v) {
    Word(static_cast<std::uint64_t>(v));
    Word(0x1f);
    return *this;
  }
  std::uint64_t value() const {
    std::uint64_t h = h_;  // splitmix64's finaliser
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
  }
  // The value as SQLite's signed 64-bit integer.
  std::int64_t signed_value() const { return static_cast<std::int64_t>(value()); }

 private:
  // Little-endian whatever the machine: the value is stored, so it must not
  // depend on where it was computed.
  static std::uint64_t Load(const char* p, std::size_t n) {
    std::uint64_t w = 0;
    for (std::size_t k = 0; k < n; ++k) w |= std::uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
    return w;
  }
  void Word(std::uint64_t w) {
    h_ ^= w;
    h_ *= 0x100000001b3ULL;
    h_ ^= h_ >> 32;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace station
