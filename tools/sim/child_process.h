#pragma once
// A program started by a test or a benchmark, killed for sure when the
// object dies, so no child outlives its parent's run.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"

namespace station::sim {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`, stdin from /dev/null, stdout and stderr
  // appended to `log_path` ("" discards them). kIOError when it cannot start.
  static Result<ChildProcess> Start(const std::vector<std::string>& argv, const std::string& log_path = "");
  // The same with stdout and stderr to separate files.
  static Result<ChildProcess> Start(const std::vector<std::string>& argv, const std::string& out_path,
                                    const std::string& err_path);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(); }

  pid_t pid() const { return pid_; }
  // False once the process has exited (it is then reaped).
  bool Running();
  // The exit code once exited, -signal when killed by one; meaningless while Running().
  int ExitCode() const;
  // Waits up to `timeout`; the exit code, or kTimedOut (left running).
  int Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then up to `grace` for a clean exit, then SIGKILL. The exit code.
  int Stop(std::chrono::milliseconds grace);
  void Signal(int signal);
  // SIGKILL and reap; returns at once.
  void Kill();

  static constexpr int kTimedOut = -1000;

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

}  // namespace station::sim
