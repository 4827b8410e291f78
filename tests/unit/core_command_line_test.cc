// The flag parsing every program shares (core/command_line.h): bad
// arguments end in exit code 2, whatever text they hold.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/command_line.h"

using namespace station;
namespace po = boost::program_options;

namespace {

std::optional<int> Parse(std::vector<std::string> args) {
  po::options_description options("test");
  int window = 0;
  options.add_options()("upload-window", po::value(&window), "uploads in flight");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  po::variables_map vm;
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), "test", options, vm);
}

}  // namespace

TEST_CASE("command line: an argument holding Boost's own message placeholders is refused, not looped on",
          "[cli]") {
  // Each of these made Boost's error message substitute forever (found by
  // fuzz_config in the config file parser, which shares the message code).
  CHECK(Parse({"prog", "--%canonical_option%x"}) == 2);
  CHECK(Parse({"prog", "--upload-window", "%value%"}) == 2);
  CHECK(Parse({"prog", "--upload-window=%canonical_option%"}) == 2);
  // Ordinary mistakes still get Boost's message, and good flags pass.
  CHECK(Parse({"prog", "--no-such-flag"}) == 2);
  CHECK(Parse({"prog", "--upload-window", "4"}) == std::nullopt);
}
