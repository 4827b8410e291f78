#pragma once
// Whether this build runs under AddressSanitizer: its shadow memory and its
// quarantine of freed memory make an instrumented process grow far more for
// the same work, so memory bounds in tests allow for it.

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STATION_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define STATION_UNDER_ASAN 1
#endif

namespace station::test {

#ifdef STATION_UNDER_ASAN
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif

}  // namespace station::test
