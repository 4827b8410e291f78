#pragma once
// A real process started for a test, killed for sure when the object dies.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace station::test {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; its stdout and stderr go to `log_path`
  // (appended), or are discarded when empty.
  static ChildProcess Start(const std::vector<std::string>& argv, const std::string& log_path = "");
  // The same with stdout and stderr to separate files.
  static ChildProcess Start(const std::vector<std::string>& argv, const std::string& out_path,
                            const std::string& err_path);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL and reap, if still running

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal`.
  void Signal(int signal);
  // SIGKILL and reap; returns at once.
  void Kill();
  // Waits up to `timeout` for the exit; the exit code, -signal when killed
  // by a signal, or -1000 on timeout (the process is left running).
  int Wait(std::chrono::milliseconds timeout);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// Runs a command to completion (bounded by `timeout`), capturing stdout.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace station::test
