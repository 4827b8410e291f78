#include <catch2/catch.hpp>

#include "core/hash.h"

using station::Fingerprint;

TEST_CASE("fingerprints tell apart inputs that differ only by padding or field boundaries", "[scanner][hash]") {
  auto of = [](std::initializer_list<std::string_view> parts) {
    Fingerprint f;
    for (auto p : parts) f.Add(p);
    return f.value();
  };
  CHECK(of({""}) != of({std::string_view("\0", 1)}));
  CHECK(of({""}) != of({"\x01"}));
  CHECK(of({"ab", "c"}) != of({"a", "bc"}));
  CHECK(of({"12345678"}) != of({"1234567", "8"}));
  CHECK(of({"same"}) == of({"same"}));
  // Stored in the database: the value must not change between builds.
  CHECK(of({"PDA-0042"}) == of({"PDA-0042"}));
}
