// Waybill numbers as 64-bit keys (reconcile/waybill_key.h): exact both ways,
// never 0, one key per number, and nothing for a number outside DESIGN §3.

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "reconcile/waybill_key.h"

using namespace station::reconcile;

namespace {

// Every normalised form of DESIGN §3, at each length, with leading zeros.
const std::vector<std::string>& ValidNumbers() {
  static const std::vector<std::string> numbers = {
      // 10-15 digits
      "0000000000", "0123456789", "1234567890", "9999999999", "01234567890", "12345678901", "00000000000",
      "773001234567", "000000000000", "7730012345678", "0000000000000", "77300123456789", "00000000000001",
      "012345678901234", "773001234567890", "999999999999999", "000000000000000", "100000000000000",
      // two capital letters and 10-13 digits
      "SF1234567890", "SF0000000000", "AA0000000000", "ZZ9999999999", "SF01234567890", "SF12345678901",
      "YT000123456789", "ZT7730012345678", "ZT0000000000000", "ZZ9999999999999", "AB0123456789012",
      // S10: two letters, nine digits, two letters
      "EE123456785CN", "RB123456785GB", "AA000000000AA", "ZZ999999999ZZ", "DL746686536BR", "JT365572014BR"};
  return numbers;
}

char RandomDigit(std::mt19937_64& rng) { return static_cast<char>('0' + rng() % 10); }
char RandomLetter(std::mt19937_64& rng) { return static_cast<char>('A' + rng() % 26); }

// A random number in one of the three forms, leading zeros included.
std::string RandomValidNumber(std::mt19937_64& rng) {
  std::string s;
  switch (rng() % 3) {
    case 0: {
      const std::size_t length = 10 + rng() % 6;
      for (std::size_t i = 0; i < length; ++i) s += RandomDigit(rng);
      break;
    }
    case 1: {
      const std::size_t digits = 10 + rng() % 4;
      s += RandomLetter(rng);
      s += RandomLetter(rng);
      for (std::size_t i = 0; i < digits; ++i) s += RandomDigit(rng);
      break;
    }
    default:
      s += RandomLetter(rng);
      s += RandomLetter(rng);
      for (int i = 0; i < 9; ++i) s += RandomDigit(rng);
      s += RandomLetter(rng);
      s += RandomLetter(rng);
      break;
  }
  // Runs of zeros, often leading, so the length is what tells numbers apart.
  if (rng() % 4 == 0) {
    const std::size_t first = s[0] >= 'A' ? 2 : 0;
    const std::size_t zeros = rng() % 6;
    for (std::size_t i = first; i < first + zeros && i < s.size() && s[i] <= '9'; ++i) s[i] = '0';
  }
  return s;
}

}  // namespace

TEST_CASE("PackWaybill and UnpackWaybill round-trip every form", "[reconcile][waybill_key]") {
  for (const std::string& number : ValidNumbers()) {
    INFO(number);
    auto key = PackWaybill(number);
    REQUIRE(key.has_value());
    CHECK(*key != 0);
    CHECK(UnpackWaybill(*key) == number);
  }
}

TEST_CASE("distinct waybill numbers get distinct keys", "[reconcile][waybill_key]") {
  std::set<WaybillKey> keys;
  for (const std::string& number : ValidNumbers()) keys.insert(*PackWaybill(number));
  CHECK(keys.size() == ValidNumbers().size());

  SECTION("leading zeros are part of the number") {
    CHECK(*PackWaybill("1234567890") != *PackWaybill("01234567890"));
    CHECK(*PackWaybill("1234567890") != *PackWaybill("001234567890"));
    CHECK(*PackWaybill("0000000000") != *PackWaybill("00000000000"));
    CHECK(*PackWaybill("000000000000000") != *PackWaybill("0000000000"));
  }
  SECTION("carrier numbers with 10 and 11 digits") {
    CHECK(*PackWaybill("SF1234567890") != *PackWaybill("SF01234567890"));
    CHECK(*PackWaybill("SF0000000000") != *PackWaybill("SF00000000000"));
    CHECK(*PackWaybill("SF0123456789012") != *PackWaybill("SF123456789012"));
  }
  SECTION("the forms do not overlap") {
    CHECK(*PackWaybill("AA0000000000") != *PackWaybill("0000000000"));
    CHECK(*PackWaybill("AA000000000AA") != *PackWaybill("AA0000000000"));
    CHECK(*PackWaybill("AA000000000AA") != *PackWaybill("0000000000000"));
    CHECK(*PackWaybill("AA000000000AA") != *PackWaybill("AA00000000000"));
  }
  SECTION("letters count by position") {
    CHECK(*PackWaybill("AB1234567890") != *PackWaybill("BA1234567890"));
    CHECK(*PackWaybill("EE123456785CN") != *PackWaybill("CN123456785EE"));
    CHECK(*PackWaybill("EE123456785CN") != *PackWaybill("EE123456785NC"));
  }
}

TEST_CASE("PackWaybill refuses what is not a DESIGN 3 form", "[reconcile][waybill_key]") {
  for (const char* bad : {
           "",                  // empty
           "123456789",         // 9 digits
           "1234567890123456",  // 16 digits
           "0000000000000000",  // 16 zeros
           "ee123456785cn",     // lower case S10
           "EE123456785cn",     // lower case country
           "sf1234567890",      // lower case carrier
           "Sf1234567890",
           "ABC1234567890",     // 3 letters
           "ABC123456789",      // 3 letters
           "SF123456789",       // 2 letters, 9 digits
           "SF12345678901234",  // 2 letters, 14 digits
           "EE12345678CN",      // S10 with 8 digits
           "EE1234567850CN",    // S10 with 10 digits
           "EE123456785C1",     // S10 with a digit for a letter
           "E1123456785CN",     // a digit for a letter
           "12345X7890",        // a letter among digits
           "1234 567890",       // a space
           " 1234567890",       // a leading space
           "1234567890 ",       // a trailing space
           "SF-1234567890",     // a dash
           "\xE8\xBF\x90"
           "1234567890",    // UTF-8 before the digits
           "A1234567890",   // one letter
           "1234567890AB",  // letters at the end
       }) {
    INFO('"' << bad << '"');
    CHECK_FALSE(PackWaybill(bad).has_value());
  }
  CHECK_FALSE(PackWaybill(std::string("12345\0"
                                      "7890",
                                      10))
                  .has_value());  // an embedded NUL
}

TEST_CASE("random valid numbers round-trip and keep distinct keys", "[reconcile][waybill_key]") {
  for (std::uint64_t seed : {1ULL, 2ULL, 3ULL, 20261124ULL}) {
    std::mt19937_64 rng(seed);
    std::set<std::string> numbers;
    std::set<WaybillKey> keys;
    for (int i = 0; i < 50000; ++i) {
      const std::string number = RandomValidNumber(rng);
      auto key = PackWaybill(number);
      if (!key || *key == 0 || UnpackWaybill(*key) != number) {
        INFO("seed " << seed << " number " << number);
        REQUIRE(key.has_value());
        CHECK(*key != 0);
        CHECK(UnpackWaybill(*key) == number);
      }
      numbers.insert(number);
      keys.insert(*key);
    }
    INFO("seed " << seed);
    CHECK(keys.size() == numbers.size());
  }
}

TEST_CASE("WaybillKeys packs valid numbers and numbers odd ones apart", "[reconcile][waybill_key]") {
  WaybillKeys table;
  SECTION("valid numbers get their packed key") {
    for (const std::string& number : ValidNumbers()) {
      INFO(number);
      CHECK(table.Key(number) == *PackWaybill(number));
      CHECK(table.Text(table.Key(number)) == number);
    }
  }
  SECTION("odd strings get stable, distinct keys that give their text back") {
    const std::vector<std::string> odd = {"",
                                          "hello",
                                          "ee123456785cn",
                                          "ABC1234567890",
                                          "123456789",
                                          "1234567890123456",
                                          "\xE8\xBF\x90\xE5\x8D\x95"
                                          "123",  // 运单123
                                          std::string("a\0b", 3),
                                          "EE123456785C1"};
    std::vector<WaybillKey> first;
    for (const std::string& s : odd) first.push_back(table.Key(s));
    std::set<WaybillKey> keys(first.begin(), first.end());
    CHECK(keys.size() == odd.size());

    // Valid numbers mixed in take none of the odd keys.
    for (const std::string& number : ValidNumbers()) {
      const WaybillKey key = table.Key(number);
      INFO(number);
      CHECK(keys.count(key) == 0);
      keys.insert(key);
    }
    // Asking again gives the same key, and the text comes back.
    for (std::size_t i = 0; i < odd.size(); ++i) {
      INFO('"' << odd[i] << '"');
      CHECK(first[i] != 0);
      CHECK(table.Key(odd[i]) == first[i]);
      CHECK(table.Text(first[i]) == odd[i]);
    }
  }
  SECTION("a packed key reads back without having been asked for") {
    CHECK(table.Text(*PackWaybill("EE123456785CN")) == "EE123456785CN");
    CHECK(table.Text(*PackWaybill("0000000000")) == "0000000000");
  }
}
