#include "core/clock.h"

#include <chrono>
#include <fstream>

namespace station {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t FileClock::NowMs() const {
  std::ifstream in(path_);
  long long ms = 0;
  if (in >> ms && ms > 0) return ms;
  return station::NowMs();
}

}  // namespace station
