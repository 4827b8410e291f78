#pragma once
// Bounded waiting for tests: every wait on another process has a limit.

#include <chrono>
#include <thread>

namespace station::test {

// Polls `pred` every 50 ms until it holds or `timeout` passes; its last answer.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace station::test
