#include "reconcile/waybill_key.h"

namespace station::reconcile {
namespace {

// The top four bits say which form the rest encodes; each form's value is a
// mixed-radix number below 2^60.
constexpr WaybillKey kDigits = WaybillKey{1} << 60;   // (length-10) * 10^15 + digits
constexpr WaybillKey kCarrier = WaybillKey{2} << 60;  // ((letters * 4) + length-10) * 10^13 + digits
constexpr WaybillKey kS10 = WaybillKey{3} << 60;      // (prefix * 676 + country) * 10^9 + digits
constexpr WaybillKey kOdd = WaybillKey{4} << 60;      // WaybillKeys' own numbering
constexpr WaybillKey kFormMask = WaybillKey{15} << 60;
constexpr WaybillKey kValueMask = ~kFormMask;

constexpr WaybillKey kPow10[] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// The digits of `s` as a number; nullopt when one is not a digit.
std::optional<WaybillKey> Digits(std::string_view s) {
  WaybillKey v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<WaybillKey>(c - '0');
  }
  return v;
}

std::optional<WaybillKey> Letters(std::string_view s) {
  WaybillKey v = 0;
  for (char c : s) {
    if (!IsUpper(c)) return std::nullopt;
    v = v * 26 + static_cast<WaybillKey>(c - 'A');
  }
  return v;
}

void AppendDigits(std::string& out, WaybillKey v, int width) {
  std::string d(static_cast<std::size_t>(width), '0');
  for (int i = width - 1; i >= 0; --i) {
    d[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out += d;
}

void AppendLetters(std::string& out, WaybillKey v, int count) {
  std::string l(static_cast<std::size_t>(count), 'A');
  for (int i = count - 1; i >= 0; --i) {
    l[static_cast<std::size_t>(i)] = static_cast<char>('A' + v % 26);
    v /= 26;
  }
  out += l;
}

}  // namespace

std::optional<WaybillKey> PackWaybill(std::string_view w) {
  const std::size_t n = w.size();
  if (n >= 10 && n <= 15) {
    if (auto d = Digits(w)) return kDigits | ((n - 10) * kPow10[15] + *d);
  }
  if (n >= 12 && n <= 15) {
    auto letters = Letters(w.substr(0, 2));
    auto d = Digits(w.substr(2));
    if (letters && d) return kCarrier | (((*letters * 4) + (n - 12)) * kPow10[13] + *d);
  }
  if (n == 13) {
    auto prefix = Letters(w.substr(0, 2));
    auto d = Digits(w.substr(2, 9));
    auto country = Letters(w.substr(11, 2));
    if (prefix && d && country) return kS10 | ((*prefix * 676 + *country) * kPow10[9] + *d);
  }
  return std::nullopt;
}

std::string UnpackWaybill(WaybillKey key) {
  const WaybillKey v = key & kValueMask;
  std::string out;
  switch (key & kFormMask) {
    case kDigits:
      AppendDigits(out, v % kPow10[15], static_cast<int>(v / kPow10[15]) + 10);
      break;
    case kCarrier: {
      const WaybillKey head = v / kPow10[13];
      const int digits = static_cast<int>(head % 4) + 10;
      AppendLetters(out, head / 4, 2);
      AppendDigits(out, v % kPow10[13], digits);
      break;
    }
    case kS10: {
      const WaybillKey head = v / kPow10[9];
      AppendLetters(out, head / 676, 2);
      AppendDigits(out, v % kPow10[9], 9);
      AppendLetters(out, head % 676, 2);
      break;
    }
    default:
      break;
  }
  return out;
}

WaybillKey WaybillKeys::Key(std::string_view waybill) {
  if (auto packed = PackWaybill(waybill)) return *packed;
  auto [it, added] = odd_.try_emplace(std::string(waybill), kOdd | odd_text_.size());
  if (added) odd_text_.emplace_back(waybill);
  return it->second;
}

std::string WaybillKeys::Text(WaybillKey key) const {
  if ((key & kFormMask) == kOdd) {
    const WaybillKey i = key & kValueMask;
    return i < odd_text_.size() ? odd_text_[i] : std::string();
  }
  return UnpackWaybill(key);
}

}  // namespace station::reconcile
