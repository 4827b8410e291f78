#pragma once
// FNV-1a, 64 bit: a stable fingerprint (stored in the database, so it must
// not change across builds or machines). Not for security.

#include <cstdint>
#include <string_view>

namespace station {

class Fingerprint {
 public:
  Fingerprint& Add(std::string_view s) {
    for (unsigned char c : s) Byte(c);
    Byte(0x1f);  // field separator: ("ab","c") and ("a","bc") differ
    return *this;
  }
  Fingerprint& Add(std::int64_t v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = 0; i < 8; ++i) Byte(static_cast<unsigned char>((u >> (8 * i)) & 0xff));
    Byte(0x1f);
    return *this;
  }
  std::uint64_t value() const { return h_; }
  // The value as SQLite's signed 64-bit integer.
  std::int64_t signed_value() const { return static_cast<std::int64_t>(h_); }

 private:
  void Byte(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace station
