// Identifier checks against the public vectors of ../shared/data/identifiers.md.

#include <catch2/catch.hpp>

#include "scanner/identifiers.h"

using namespace station;

TEST_CASE("S10 numbers from public test vectors are told apart", "[scanner][identifiers]") {
  for (const char* valid : {"RB123456785GB", "RB123456785US", "RB123456785CV", "RB123456785CF", "RR123456785CN",
                            "DL746686536BR", "PD123456785BR", "BE058714266BR", "JT365572014BR", "FJ064849483BR",
                            "DU477828695BR", "PJ651329640BR", "DU055087593BR", "MZ670943419BR", "JB683971943BR",
                            "EE123456785CN"}) {
    INFO(valid);
    CHECK(IsValidS10(valid));
  }
  CHECK_FALSE(IsValidS10("RB123456786US"));  // check digit
  CHECK_FALSE(IsValidS10("RB123456785XX"));  // not a country
  CHECK_FALSE(IsValidS10("DL746686530BR"));  // check digit 0
}

TEST_CASE("S10 check digit edge cases map 10 to 0 and 11 to 5", "[scanner][identifiers]") {
  CHECK(S10CheckDigit("74668653") == 6);
  CHECK(S10CheckDigit("02000000") == 0);  // r = 1
  CHECK(S10CheckDigit("00000000") == 5);  // r = 0
  CHECK(S10CheckDigit("12345678") == 5);
}

TEST_CASE("NormalizeWaybill fixes what guns read loosely and refuses malformed S10", "[scanner][identifiers]") {
  for (const char* loose : {"DL74668653 BR", "DL74668653BR", "dl74668653br", "]C1DL746686536BR"}) {
    INFO(loose);
    auto n = NormalizeWaybill(loose);
    REQUIRE(n.ok());
    CHECK(*n == "DL746686536BR");
  }
  for (const char* bad : {"DL7466865BR", "DL7466X653 BR", "DL74668653B", "D746686530 BR", "DL46686530 B1",
                          "DL746686530BR", "RB123456785XX"}) {
    INFO(bad);
    auto n = NormalizeWaybill(bad);
    REQUIRE_FALSE(n.ok());
    CHECK(n.status().code() == Code::kInvalidArgument);
  }
  CHECK_THAT(NormalizeWaybill("EE123456786CN").status().message(), Catch::Contains("check digit"));
  CHECK_THAT(NormalizeWaybill("RB123456785XX").status().message(), Catch::Contains("country"));
}

TEST_CASE("carrier waybill formats: 10-15 digits, or two letters and 10-13 digits", "[scanner][identifiers]") {
  CHECK(NormalizeWaybill("7730012345").ok());          // 10 digits
  CHECK(NormalizeWaybill("773001234567890").ok());     // 15 digits
  CHECK_FALSE(NormalizeWaybill("773001234").ok());     // 9
  CHECK_FALSE(NormalizeWaybill("7730012345678901").ok());  // 16
  CHECK(NormalizeWaybill("ZT7730012345678").ok());     // 2 + 13
  CHECK(NormalizeWaybill("SF1234567890").ok());        // 2 + 10
  CHECK_FALSE(NormalizeWaybill("SF123456789").ok());   // 2 + 9
  CHECK_FALSE(NormalizeWaybill("SF12345678901234").ok());  // 2 + 14
  CHECK(*NormalizeWaybill("zt7730012345678") == "ZT7730012345678");
  CHECK_FALSE(NormalizeWaybill("").ok());
  CHECK_FALSE(NormalizeWaybill("ZT77300-12345678").ok());
}

TEST_CASE("GS1 mod-10 check digits from public vectors", "[scanner][identifiers]") {
  for (const char* valid : {"02345673", "416000336108", "1234567890128", "12345678901231", "123456789012345675",
                            "006141411234567890", "952012345678912345", "73513537", "9780471117094",
                            "98412345678908", "7501031311309", "09506000134352", "012345000000000027",
                            "9400111206206406260787", "0073938000549297", "7035114477138472",
                            "106141412345678908"}) {
    INFO(valid);
    CHECK(Gs1CheckDigitValid(valid));
  }
  for (const char* invalid : {"12345673", "416000336109", "1234567890129", "12345678901232", "123456789012345670",
                              " 23456789012345675", "12345678 012345675", "0112345678901234", "7501031311308",
                              "000000000000000001", "9434611206206407667131"}) {
    INFO(invalid);
    CHECK_FALSE(Gs1CheckDigitValid(invalid));
  }
}

TEST_CASE("bags: SSCC-18 with its check digit, or carrier bag numbers", "[scanner][identifiers]") {
  CHECK(IsValidSscc("123456789012345675"));
  CHECK_FALSE(IsValidSscc("123456789012345670"));
  CHECK(*NormalizeBag("123456789012345675") == "123456789012345675");
  CHECK_THAT(NormalizeBag("123456789012345670").status().message(), Catch::Contains("SSCC check digit"));
  CHECK(*NormalizeBag("BG3100010123") == "BG3100010123");
  CHECK(NormalizeBag("9100012345").ok());
  CHECK_FALSE(NormalizeBag("BG12").ok());
  CHECK_FALSE(NormalizeBag("B-G3100010123").ok());
}

TEST_CASE("station codes are six digits", "[scanner][identifiers]") {
  CHECK(IsStationCode("571001"));
  CHECK_FALSE(IsStationCode("57100"));
  CHECK_FALSE(IsStationCode("57100A"));
  CHECK_FALSE(IsStationCode("5710011"));
}

TEST_CASE("the country list is ISO 3166-1 alpha-2", "[scanner][identifiers]") {
  CHECK(IsIso3166Alpha2("CN"));
  CHECK(IsIso3166Alpha2("BR"));
  CHECK(IsIso3166Alpha2("ZW"));
  CHECK_FALSE(IsIso3166Alpha2("XX"));
  CHECK_FALSE(IsIso3166Alpha2("UK"));  // the United Kingdom is GB
}

TEST_CASE("issue 16: spaces before an AIM prefix are dropped with it, and which prefixes are AIM",
          "[scanner][identifiers]") {
  // The outsider's client sent " ]C1zt7730099988866" and was told "not a
  // carrier or S10 number".
  for (const char* read : {"]C1zt7730099988866", " ]C1zt7730099988866", "\t ]C1 zt7730099988866 ", "]C0ZT7730099988866",
                           "]c1ZT7730099988866", "]d2ZT7730099988866", "]Q3ZT7730099988866", "zt 7730 0999 8886 6"}) {
    INFO(read);
    auto n = NormalizeWaybill(read);
    REQUIRE(n.ok());
    CHECK(*n == "ZT7730099988866");
  }
  // "]" with anything but a letter and a letter or digit is not an AIM
  // identifier: nothing is dropped, and the number is refused as written.
  for (const char* not_aim : {"]1CZT7730099988866", "]C ZT7730099988866", "]]C1ZT7730099988866", "x]C1ZT7730099988866"}) {
    INFO(not_aim);
    CHECK_FALSE(NormalizeWaybill(not_aim).ok());
  }
  auto bag = NormalizeBag("  ]C1BG3100010123");
  REQUIRE(bag.ok());
  CHECK(*bag == "BG3100010123");
}
