#include "scanner/identifiers.h"

#include "core/utf8.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace station {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// ISO 3166-1 alpha-2, the 249 officially assigned codes, sorted.
constexpr std::array<std::string_view, 249> kCountries{
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// Guns prefix some reads with an AIM symbology identifier: "]", a letter
// naming the symbology, a letter or digit for its options ("]C1", "]C0",
// "]c1", "]d2", "]Q3"). Dropped with the spaces and tabs before it, which
// a gun or a clerk's paste may add (docs/protocol.md, "Row checks").
std::string_view StripAimPrefix(std::string_view s) {
  std::size_t start = 0;
  while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) ++start;
  std::string_view rest = s.substr(start);
  if (rest.size() >= 3 && rest[0] == ']' && IsAsciiLetter(rest[1]) && (IsAsciiLetter(rest[2]) || IsDigit(rest[2]))) {
    return rest.substr(3);
  }
  return s;
}

// Spaces dropped, letters upper-cased; other bytes kept for the checks to see.
std::string Compact(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);  // ASCII only, no locale
  }
  return out;
}

bool IsS10Shape(std::string_view s) {
  return s.size() == 13 && IsUpper(s[0]) && IsUpper(s[1]) && AllDigits(s.substr(2, 9)) &&
         IsUpper(s[11]) && IsUpper(s[12]);
}

}  // namespace

int S10CheckDigit(std::string_view serial8) {
  static constexpr int kWeights[8] = {8, 6, 4, 2, 3, 5, 9, 7};
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (serial8[i] - '0') * kWeights[i];
  int check = 11 - sum % 11;
  if (check == 10) return 0;
  if (check == 11) return 5;
  return check;
}

bool Gs1CheckDigitValid(std::string_view digits) {
  if (digits.size() < 2 || !AllDigits(digits)) return false;
  int sum = 0;
  int weight = 3;
  for (std::size_t i = digits.size() - 1; i-- > 0;) {
    sum += (digits[i] - '0') * weight;
    weight = (weight == 3) ? 1 : 3;
  }
  return (10 - sum % 10) % 10 == digits.back() - '0';
}

bool IsIso3166Alpha2(std::string_view code) {
  return std::binary_search(kCountries.begin(), kCountries.end(), code);
}

bool IsValidS10(std::string_view s) {
  return IsS10Shape(s) && S10CheckDigit(s.substr(2, 8)) == s[10] - '0' &&
         IsIso3166Alpha2(s.substr(11, 2));
}

bool IsValidSscc(std::string_view s) { return s.size() == 18 && Gs1CheckDigitValid(s); }

bool IsStationCode(std::string_view code) { return code.size() == 6 && AllDigits(code); }

Result<std::string> NormalizeWaybill(std::string_view raw) {
  std::string s = Compact(StripAimPrefix(raw));
  if (s.empty()) return Status::InvalidArgument("waybill is empty");
  std::string shown = Utf8Excerpt(raw, 40);

  // An S10 number read without its check digit: two letters, eight digits,
  // two letters. The digit is implied by the serial, so supply it.
  if (s.size() == 12 && IsUpper(s[0]) && IsUpper(s[1]) && AllDigits(s.substr(2, 8)) &&
      IsUpper(s[10]) && IsUpper(s[11])) {
    s.insert(10, 1, static_cast<char>('0' + S10CheckDigit(s.substr(2, 8))));
  }
  if (IsS10Shape(s)) {
    if (S10CheckDigit(s.substr(2, 8)) != s[10] - '0') {
      return Status::InvalidArgument("waybill " + shown, "S10 check digit is wrong");
    }
    if (!IsIso3166Alpha2(s.substr(11, 2))) {
      return Status::InvalidArgument("waybill " + shown, "S10 country code is not ISO 3166");
    }
    return s;
  }
  if (AllDigits(s)) {
    if (s.size() >= 10 && s.size() <= 15) return s;
    return Status::InvalidArgument("waybill " + shown, "a numeric waybill has 10 to 15 digits");
  }
  if (s.size() >= 12 && IsUpper(s[0]) && IsUpper(s[1]) && AllDigits(s.substr(2))) {
    if (s.size() <= 15) return s;
    return Status::InvalidArgument("waybill " + shown, "two letters take 10 to 13 digits");
  }
  return Status::InvalidArgument("waybill " + shown, "not a carrier or S10 number");
}

Result<std::string> NormalizeBag(std::string_view raw) {
  std::string s = Compact(StripAimPrefix(raw));
  std::string shown = Utf8Excerpt(raw, 40);
  if (s.empty()) return Status::InvalidArgument("bag is empty");
  if (AllDigits(s)) {
    if (s.size() == 18) {
      if (IsValidSscc(s)) return s;
      return Status::InvalidArgument("bag " + shown, "SSCC check digit is wrong");
    }
    if (s.size() >= 10 && s.size() <= 16) return s;
    return Status::InvalidArgument("bag " + shown, "not a carrier bag number or SSCC-18");
  }
  std::size_t letters = 0;
  while (letters < s.size() && IsUpper(s[letters])) ++letters;
  std::size_t digits = s.size() - letters;
  if (letters >= 1 && letters <= 3 && digits >= 8 && digits <= 16 && AllDigits(s.substr(letters))) {
    return s;
  }
  return Status::InvalidArgument("bag " + shown, "not a carrier bag number or SSCC-18");
}

}  // namespace station
