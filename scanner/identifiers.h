#pragma once
// Identifier checks of DESIGN §3: waybill numbers (carrier formats and UPU
// S10), bag numbers (carrier formats and GS1 SSCC-18), station codes.
// Test vectors and their sources: ../shared/data/identifiers.md.

#include <string>
#include <string_view>

#include "core/status.h"

namespace station {

// The S10 check digit of an 8-digit serial: weights 8,6,4,2,3,5,9,7;
// 11 - sum mod 11, with 10 -> 0 and 11 -> 5. REQUIRES: 8 ASCII digits.
int S10CheckDigit(std::string_view serial8);

// True for a well-formed GS1 number (any length >= 2) whose last digit is
// the mod-10 check digit (weights 3,1,3,... from the right).
bool Gs1CheckDigitValid(std::string_view digits);

// True when `code` is an assigned ISO 3166-1 alpha-2 country code.
bool IsIso3166Alpha2(std::string_view code);

// True for a strict 13-character S10 number with a valid check digit and a
// real country code ("EE123456785CN").
bool IsValidS10(std::string_view number);

// True for 18 digits with a valid GS1 check digit.
bool IsValidSscc(std::string_view number);

// True for a six-digit station code.
bool IsStationCode(std::string_view code);

// Normalises what a gun read as a waybill number and checks it: drops an
// AIM symbology prefix ("]", a letter, a letter or digit: "]C1", "]c0",
// "]d2"; after any leading spaces) and every space and tab, upper-cases
// letters, and for an
// S10 number read without its check digit ("DL74668653 BR") inserts it.
// Accepts the carrier formats (10-15 digits; two letters and 10-13 digits)
// and S10. Returns kInvalidArgument naming what is wrong otherwise.
Result<std::string> NormalizeWaybill(std::string_view raw);

// Same for bag numbers: SSCC-18 (check digit verified), or a carrier bag
// number (1-3 letters and 8-16 digits, or 10-16 digits).
Result<std::string> NormalizeBag(std::string_view raw);

}  // namespace station
