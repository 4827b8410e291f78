#pragma once
// Real processes for integration tests (tools/sim/child_process.h), started
// the test's way: a failure to start throws, since the test cannot go on.

#include <chrono>
#include <string>
#include <vector>

#include "tools/sim/child_process.h"

namespace station::test {

using sim::ChildProcess;

// Starts `argv`; stdout and stderr appended to `log_path` ("" discards).
ChildProcess Spawn(const std::vector<std::string>& argv, const std::string& log_path = "");

// Runs a command to completion (bounded by `timeout`), capturing its output.
struct RunResult {
  int exit_code = -1;  // ChildProcess::kTimedOut when it ran too long (then killed)
  std::string out;
  std::string err;
};
RunResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace station::test
