// stationd's configuration (issue 7 point 2) through the real binary: the
// config file, flags over it, --print-config and its round trip, and bad
// configuration refused at start with exit code 2 and the option named.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station::test;
using namespace std::chrono_literals;

namespace {

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

}  // namespace

TEST_CASE("stationd --print-config shows the file's settings with flags over them and reads back the same",
          "[integration][config]") {
  TempDir dir;
  const std::string conf = dir.Path("stationd.conf");
  WriteText(conf,
            "# a station's settings\n"
            "station = 571001\n"
            "data-dir = " +
                dir.Path("data") +
                "\n"
                "\n"
                "upload-window = 3   # overridden by the flag below\n"
                "reconcile-grace-hours = 12.5\n"
                "reconcile-grace = 310001=48\n"
                "log-level = debug\n"
                "log-file = " +
                dir.Path("stationd.log") +
                "\n"
                "insecure = true\n");
  auto first = RunCommand({StationdPath(), "--config", conf, "--upload-window", "9", "--print-config"}, 10s);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("\nstation = 571001\n"));
  CHECK_THAT(first.out, Catch::Contains("\nupload-window = 9\n"));  // the flag wins over the file
  CHECK_THAT(first.out, Catch::Contains("\nreconcile-grace-hours = 12.5\n"));
  CHECK_THAT(first.out, Catch::Contains("\nreconcile-grace = 310001=48\n"));
  CHECK_THAT(first.out, Catch::Contains("\nlog-level = debug\n"));
  CHECK_THAT(first.out, Catch::Contains("\ninsecure = true\n"));
  CHECK_THAT(first.out, Catch::Contains("\nmax-message-bytes = 4194304\n"));              // a default, shown
  CHECK_THAT(first.out, Catch::Contains("\n# national =\n"));                             // unset, commented out
  CHECK_THAT(first.out, Catch::Contains("\n# largest batch body accepted, in bytes\n"));  // its help
  // Only printed: nothing started, no database made.
  CHECK_FALSE(std::filesystem::exists(dir.Path("data")));

  // The printed settings, saved as a config file, are the same settings.
  const std::string saved = dir.Path("saved.conf");
  WriteText(saved, first.out);
  auto second = RunCommand({StationdPath(), "--config", saved, "--print-config"}, 10s);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out == first.out);
}

TEST_CASE("stationd refuses bad configuration at start with exit code 2, naming the option and the line",
          "[integration][config]") {
  TempDir dir;
  const std::string head = "station = 571001\ndata-dir = " + dir.Path("data") + "\ninsecure = true\n";
  struct Case {
    std::string name;
    std::string text;                   // the config file
    std::vector<std::string> expected;  // in the one-line reason
  };
  const std::vector<Case> cases = {
      {"unknown key", head + "upload-windw = 4\n", {"line 4", "upload-windw"}},
      {"bad value", head + "national-heartbeat-ms = often\n", {"line 4", "national-heartbeat-ms", "often"}},
      {"out of range", head + "max-message-bytes = 10\n", {"--max-message-bytes", "4096", "line 4"}},
      {"bad log level", head + "log-level = loud\n", {"--log-level", "loud", "line 4"}},
      {"log size out of range", head + "log-max-mb = 0\n", {"--log-max-mb", "line 4"}},
      {"key given twice", head + "station = 571002\n", {"line 4", "station", "more than once"}},
      {"not key = value", head + "ingest tcp://127.0.0.1:7701\n", {"line 4", "not key = value"}},
      // Boost's own message for these never ends (found by fuzz_config).
      {"key holding a message placeholder", head + "%canonical_option%x = 1\n", {"line 4", "unknown key"}},
      {"value holding a message placeholder", head + "upload-window = %value%\n", {"line 4", "'%value%'"}},
      {"bad station", "station = 57A001\ndata-dir = x\n", {"--station", "six digits", "line 1"}},
  };
  SECTION("each bad config file") {
    for (const Case& c : cases) {
      INFO(c.name);
      const std::string conf = dir.Path("bad.conf");
      WriteText(conf, c.text);
      auto run = RunCommand({StationdPath(), "--config", conf}, 10s);
      INFO(run.err);
      CHECK(run.exit_code == 2);
      CHECK_THAT(run.err, Catch::StartsWith("stationd: "));
      CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
      for (const std::string& e : c.expected) CHECK_THAT(run.err, Catch::Contains(e));
    }
    CHECK_FALSE(std::filesystem::exists(dir.Path("data")));  // none of them started
  }

  SECTION("a flag that fixes a bad file value wins, and the error names the flag when the flag is bad") {
    const std::string conf = dir.Path("fixed.conf");
    WriteText(conf, head + "max-message-bytes = 10\n");
    auto fixed = RunCommand({StationdPath(), "--config", conf, "--max-message-bytes", "8192", "--print-config"}, 10s);
    CHECK(fixed.exit_code == 0);
    CHECK_THAT(fixed.out, Catch::Contains("\nmax-message-bytes = 8192\n"));
    auto bad_flag = RunCommand({StationdPath(), "--config", conf, "--max-message-bytes", "1", "--print-config"}, 10s);
    CHECK(bad_flag.exit_code == 2);
    CHECK_THAT(bad_flag.err, Catch::Contains("--max-message-bytes"));
    CHECK_THAT(bad_flag.err, !Catch::Contains("line"));  // not the file's: the flag's
  }
  SECTION("a config file that cannot be read is named") {
    auto missing = RunCommand({StationdPath(), "--config", dir.Path("missing.conf")}, 10s);
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains(dir.Path("missing.conf")));
    CHECK_THAT(missing.err, Catch::Contains("No such file"));
    auto folder = RunCommand({StationdPath(), "--config", dir.path()}, 10s);
    CHECK(folder.exit_code == 2);
    CHECK_THAT(folder.err, Catch::Contains("is a folder"));
  }
  SECTION("a log file that cannot be opened is named") {
    const std::string conf = dir.Path("log.conf");
    WriteText(conf, head + "log-file = /proc/stationd-cannot-write-here/stationd.log\n");
    auto run = RunCommand({StationdPath(), "--config", conf}, 10s);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("--log-file '/proc/stationd-cannot-write-here/stationd.log'"));
  }
}

TEST_CASE("the sample config packaging/stationd.conf names every setting with its default and is refused unedited",
          "[integration][config]") {
  const std::string sample_path = STATIOND_SAMPLE_CONF;
  std::ifstream in(sample_path);
  REQUIRE(in);
  const std::string sample((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  // What the program itself says the settings and their defaults are.
  auto defaults =
      RunCommand({StationdPath(), "--station", "571001", "--data-dir", "/var/lib/stationsync", "--print-config"}, 10s);
  REQUIRE(defaults.exit_code == 0);
  std::istringstream lines(defaults.out);
  std::string line;
  int settings = 0;
  while (std::getline(lines, line)) {
    const bool unset = line.rfind("# ", 0) == 0 && line.size() > 2 && line.back() == '=';
    if (line.empty() || (line[0] == '#' && !unset)) continue;  // a description
    ++settings;
    INFO(line);
    if (unset) {
      // A setting with no default: the sample names it (with an example).
      CHECK_THAT(sample, Catch::Contains("\n# " + line.substr(2)));
    } else if (line.rfind("station =", 0) != 0 && line.rfind("data-dir =", 0) != 0) {
      CHECK_THAT(sample, Catch::Contains("\n# " + line + "\n"));  // at its default, commented out
    }
  }
  CHECK(settings >= 25);  // the parse above found them

  // The sample sets nothing but defaults, and its data folder is the unit's.
  auto with_station =
      RunCommand({StationdPath(), "--config", sample_path, "--station", "571001", "--print-config"}, 10s);
  INFO(with_station.err);
  CHECK(with_station.exit_code == 0);
  CHECK(with_station.out == defaults.out);
  // Left unedited, it is refused: the station code is empty.
  auto unedited = RunCommand({StationdPath(), "--config", sample_path, "--print-config"}, 10s);
  CHECK(unedited.exit_code == 2);
  CHECK_THAT(unedited.err, Catch::Contains("--station ''"));
  CHECK_THAT(unedited.err, Catch::Contains("stationd.conf line"));
}
