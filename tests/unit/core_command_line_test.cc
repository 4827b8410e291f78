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

namespace {

// A program that takes positional words, as stationctl does.
struct Parsed {
  std::optional<int> exit_code;
  std::vector<std::string> words;
  std::string note;
  bool json = false;
};

Parsed ParseWords(std::vector<std::string> args) {
  Parsed parsed;
  po::options_description options("test");
  options.add_options()("note", po::value(&parsed.note), "a note")("json", po::bool_switch(&parsed.json), "json")(
      "no-wait", po::bool_switch(), "no wait");
  po::options_description hidden;
  hidden.add_options()("words", po::value(&parsed.words));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  po::variables_map vm;
  parsed.exit_code = ParseCommandLine(static_cast<int>(argv.size()), argv.data(), "test", options, vm, &hidden);
  return parsed;
}

}  // namespace

TEST_CASE("issue 16: a positional word may begin with '-', and '--' ends the options", "[cli]") {
  // A Z85 key begins with '-' about once in 85: it was "unrecognised option".
  const std::string key = "-MLWdkz?s8Dde:#.X?M&D!tYIFtxE))5Ca3s+/KS";
  auto revoke = ParseWords({"prog", "keys", "revoke", key, "--json"});
  CHECK(revoke.exit_code == std::nullopt);
  CHECK(revoke.words == std::vector<std::string>{"keys", "revoke", key});
  CHECK(revoke.json);
  auto after_dashes = ParseWords({"prog", "--json", "keys", "revoke", "--", "--json", key});
  CHECK(after_dashes.exit_code == std::nullopt);
  CHECK(after_dashes.words == std::vector<std::string>{"keys", "revoke", "--json", key});
  // An option's value is the next word whatever it begins with.
  auto note = ParseWords({"prog", "problems", "close", "-C1", "--note", "-5 parcels; see --json", "--json"});
  CHECK(note.exit_code == std::nullopt);
  CHECK(note.words == std::vector<std::string>{"problems", "close", "-C1"});
  CHECK(note.note == "-5 parcels; see --json");
  CHECK(note.json);
  // What looks like an option and is none is still refused by name; an
  // abbreviation still works; a value missing at the end is said so.
  CHECK(ParseWords({"prog", "status", "--jsno"}).exit_code == 2);
  CHECK(ParseWords({"prog", "keys", "revoke", "--Json"}).exit_code == 2);  // a mistyped option, not a key
  CHECK(ParseWords({"prog", "status", "-x"}).exit_code == 2);
  CHECK(ParseWords({"prog", "status", "--js"}).json);
  CHECK(ParseWords({"prog", "status", "--no"}).exit_code == 2);  // no-wait or note?
  CHECK(ParseWords({"prog", "problems", "close", "C1", "--note"}).exit_code == 2);
  CHECK(ParseWords({"prog", "problems", "close", "C1", "--note", ""}).exit_code == std::nullopt);
}
