#pragma once
// The station's wall clock, in one place. Code that stamps or compares
// times asks a Clock, so a test can set the time instead of waiting for it;
// NowMs() is the system clock for code that has no reason to be told.

#include <atomic>
#include <cstdint>
#include <string>

namespace station {

// Unix time in milliseconds, from the system clock.
std::int64_t NowMs();

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in milliseconds. Thread-safe in every implementation here.
  virtual std::int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() const override { return station::NowMs(); }
};

// A clock the test sets and moves by hand.
class TestClock final : public Clock {
 public:
  explicit TestClock(std::int64_t now_ms) : now_ms_(now_ms) {}
  std::int64_t NowMs() const override { return now_ms_.load(); }
  void Set(std::int64_t now_ms) { now_ms_.store(now_ms); }
  void Advance(std::int64_t ms) { now_ms_.fetch_add(ms); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

// A clock read from a file of Unix milliseconds, for tests of a whole
// stationd process (--problem-clock-file): the test rewrites the file to
// move time on, so deadlines pass without waiting. A file that cannot be
// read, or holds no number, means the system clock.
class FileClock final : public Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  std::int64_t NowMs() const override;

 private:
  std::string path_;
};

}  // namespace station
