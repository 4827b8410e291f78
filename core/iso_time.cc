#include "core/iso_time.h"

#include <cstdio>

#include "core/utf8.h"

namespace station {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days
// arithmetic: shift the year to start in March so leap days fall last).
std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

void CivilFromDays(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = static_cast<int>(z - era * 146097);
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400) + (m <= 2);
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`, advancing it; -1 if they are not there.
int Digits(std::string_view s, std::size_t& pos, int n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

Result<std::int64_t> ParseIsoInstant(std::string_view s) {
  const auto bad = [&](const char* why) {
    return Status::InvalidArgument("time '" + Utf8Excerpt(s, 40) + "'", why);
  };
  std::size_t p = 0;
  int y = Digits(s, p, 4);
  if (y < 0 || !Expect(s, p, '-')) return bad("expected YYYY-MM-DDThh:mm:ss+hh:mm");
  int mo = Digits(s, p, 2);
  if (mo < 0 || !Expect(s, p, '-')) return bad("expected YYYY-MM-DDThh:mm:ss+hh:mm");
  int d = Digits(s, p, 2);
  if (d < 0 || !(Expect(s, p, 'T') || Expect(s, p, 't') || Expect(s, p, ' '))) {
    return bad("expected YYYY-MM-DDThh:mm:ss+hh:mm");
  }
  int h = Digits(s, p, 2);
  if (h < 0 || !Expect(s, p, ':')) return bad("expected YYYY-MM-DDThh:mm:ss+hh:mm");
  int mi = Digits(s, p, 2);
  if (mi < 0 || !Expect(s, p, ':')) return bad("expected YYYY-MM-DDThh:mm:ss+hh:mm");
  int sec = Digits(s, p, 2);
  if (sec < 0) return bad("expected YYYY-MM-DDThh:mm:ss+hh:mm");
  int ms = 0;
  if (Expect(s, p, '.') || Expect(s, p, ',')) {
    int digits = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return bad("empty fraction of a second");
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  if (mo < 1 || mo > 12) return bad("month out of range");
  if (y < 1900 || y > 9999) return bad("year out of range");
  if (d < 1 || d > DaysInMonth(y, mo)) return bad("day out of range");
  if (h > 23 || mi > 59 || sec > 59) return bad("time of day out of range");

  int offset_minutes = 0;
  if (Expect(s, p, 'Z') || Expect(s, p, 'z')) {
    offset_minutes = 0;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh = Digits(s, p, 2);
    Expect(s, p, ':');
    int om = Digits(s, p, 2);
    if (oh < 0 || om < 0 || oh > 14 || om > 59) return bad("bad offset");
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return bad("missing offset (Z or +hh:mm)");
  }
  if (p != s.size()) return bad("trailing characters");

  std::int64_t seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  seconds -= static_cast<std::int64_t>(offset_minutes) * 60;
  return seconds * 1000 + ms;
}

std::string FormatIsoInstant(std::int64_t unix_ms, int offset_minutes) {
  std::int64_t local_ms = unix_ms + static_cast<std::int64_t>(offset_minutes) * 60000;
  std::int64_t days = local_ms >= 0 ? local_ms / 86400000 : (local_ms - 86399999) / 86400000;
  std::int64_t rem = local_ms - days * 86400000;
  int y, m, d;
  CivilFromDays(days, y, m, d);
  int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", y, m, d,
                static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000),
                offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf;
}

}  // namespace station
