#include "tests/support/child_process.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace station::test {

ChildProcess Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  auto child = ChildProcess::Start(argv, log_path);
  if (!child.ok()) throw std::runtime_error(child.status().ToString());
  return std::move(*child);
}

RunResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  static int serial = 0;
  std::string base = "/tmp/station-test-run-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  RunResult result;
  {
    auto child = ChildProcess::Start(argv, base + ".out", base + ".err");
    if (!child.ok()) throw std::runtime_error(child.status().ToString());
    result.exit_code = child->Wait(timeout);
  }
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    std::remove(path.c_str());
    return s.str();
  };
  result.out = slurp(base + ".out");
  result.err = slurp(base + ".err");
  return result;
}

}  // namespace station::test
