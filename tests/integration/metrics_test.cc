// stationd --metrics (issue 7 point 6): a real stationd, real docks, the
// endpoint fetched with curl and the body read by Prometheus's own parser
// (python3-prometheus-client), its figures compared with stationctl's.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/gun_files.h"
#include "tests/support/station_process.h"
#include "tests/support/temp_dir.h"

using namespace station::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// Debian's python3, where python3-prometheus-client is installed (a python3
// earlier on PATH, e.g. pyenv's, would not have it).
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kCurl = "/usr/bin/curl";  // RunCommand does not search PATH

// Reads the exposition text in argv[1] with prometheus_client's parser (it
// raises on anything that is not valid text format) and prints every sample
// as JSON: "name{label=value,...}" (labels sorted, station left out) -> value.
constexpr const char* kParse = R"py(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding='utf-8').read()
out, families = {}, []
for family in text_string_to_metric_families(text):
    families.append(family.name)
    for s in family.samples:
        assert s.labels.get('station') == '571001', s
        labels = ','.join('%s=%s' % kv for kv in sorted(s.labels.items()) if kv[0] != 'station')
        key = s.name + ('{' + labels + '}' if labels else '')
        assert key not in out, key
        out[key] = s.value
assert len(families) == len(set(families)), families
print(json.dumps(out))
)py";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The metrics address from stationd.json: written just after the ingest
// endpoint StartStationd waits for, so wait for it too (bounded).
std::string MetricsAddress(const std::string& data_dir) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto info = json::parse(ReadFile(data_dir + "/stationd.json"), nullptr, false);
    if (!info.is_discarded() && info.contains("metrics")) return info["metrics"].get<std::string>();
    std::this_thread::sleep_for(20ms);
  }
  FAIL("stationd.json never named the metrics address");
  return "";
}

}  // namespace

TEST_CASE("stationd --metrics serves the status figures as Prometheus text, equal to stationctl status",
          "[integration][metrics]") {
  TempDir dir;
  auto station = StartStationd(dir.Path("data"), "571001", dir.Path("stationd.log"), nullptr, "tcp://127.0.0.1:*",
                               {"--metrics", "127.0.0.1:0"});
  const std::string address = MetricsAddress(dir.Path("data"));
  CHECK(address.rfind("127.0.0.1:", 0) == 0);
  CHECK(address != "127.0.0.1:0");
  CHECK_THAT(ReadFile(dir.Path("stationd.log")), Catch::Contains("http://" + address + "/metrics"));

  // 40 good scans in one batch, and a batch with two good rows and two bad
  // ones (quarantined).
  std::filesystem::create_directories(dir.Path("spool"));
  WriteFileAtomically(dir.Path("spool/a.csv"), MakeGunFile({"PDA-0042", "C1001", "571001", "20261124-0003", 40, 9}));
  WriteFileAtomically(dir.Path("spool/b.csv"),
                      GunFileWith("PDA-0043", "20261124-0001",
                                  {"ZT7730012345678,arrival,2026-11-24T07:58:12+08:00,310001,,1250,,",
                                   "not a waybill,arrival,2026-11-24T07:58:13+08:00,310001,,,,",
                                   "ZT7730012345679,arrival,2026-11-24T07:58:14+08:00,310001,,800,,",
                                   "ZT7730012345680,no_such_type,2026-11-24T07:58:15+08:00,,,,,"}));
  const int docked = DockOnce(station.endpoint, dir.Path("spool"), 30s);
  CHECK(docked != ChildProcess::kTimedOut);
  REQUIRE(CountScans(dir.Path("data")) == 42);
  REQUIRE(QueryInt(dir.Path("data"), "SELECT count(*) FROM quarantine") == 2);

  const std::string url = "http://" + address + "/metrics";
  auto fetched = RunCommand({kCurl, "-sS", "--max-time", "10", "-D", dir.Path("headers.txt"), "-o",
                             dir.Path("metrics.txt"), url},
                            15s);
  REQUIRE(fetched.exit_code == 0);
  const std::string headers = ReadFile(dir.Path("headers.txt"));
  CHECK_THAT(headers, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(headers, Catch::Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  const std::string body = ReadFile(dir.Path("metrics.txt"));
  CHECK_THAT(body, Catch::Contains("# TYPE stationsync_scans_stored_total counter"));
  CHECK_THAT(body, Catch::Contains("# HELP stationsync_upload_backlog_scans "));

  auto parsed = RunCommand({kPython, "-c", kParse, dir.Path("metrics.txt")}, 20s);
  INFO(parsed.err);
  REQUIRE(parsed.exit_code == 0);
  const json m = json::parse(parsed.out);

  auto status = RunStationctl(dir.Path("data"), {"status", "--json"});
  REQUIRE(status.exit_code == 0);
  const json s = json::parse(status.out);
  const json& f = s["figures"];
  CHECK(s["scans"] == 42);
  CHECK(m["stationsync_scans_stored_total"] == 42.0);
  CHECK(m["stationsync_scans_stored_total"] == f["totals"]["scans_stored"].get<double>());
  CHECK(m["stationsync_quarantined_rows_total"] == 2.0);
  CHECK(m["stationsync_quarantined_rows_total"] == f["totals"]["quarantined"].get<double>());
  CHECK(m["stationsync_docks_total"] == f["totals"]["docks"].get<double>());
  CHECK(m["stationsync_batches_total"] == 2.0);
  // No --national: nothing goes up, everything waits.
  CHECK(m["stationsync_upload_backlog_scans"] == 42.0);
  CHECK(m["stationsync_upload_backlog_scans"] == f["backlogs"]["upload_scans"].get<double>());
  CHECK(s["national"]["backlog"] == 42);
  CHECK(m["stationsync_national_configured"] == 0.0);
  CHECK(m.count("stationsync_national_link_up") == 0);
  // Docked a moment ago: in every window. A window's rate is per minute.
  CHECK(m["stationsync_scans_received_per_minute{window=1m}"] == 42.0);
  CHECK(m["stationsync_scans_received_per_minute{window=5m}"] == Approx(42.0 / 5));
  CHECK(m["stationsync_scans_received_per_minute{window=15m}"] == f["per_minute"]["scans"]["15m"].get<double>());
  CHECK(m["stationsync_discrepancies_open{kind=missing}"] == 0.0);
  CHECK(m["stationsync_database_bytes"].get<double>() > 0);
  CHECK(f["metrics"] == url);

  auto text = RunStationctl(dir.Path("data"), {"status"});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("scans stored:         42 / 8.4 / 2.8"));
  CHECK_THAT(text.out, Catch::Contains("scans not uploaded:   42"));
  CHECK_THAT(text.out, Catch::Contains("Prometheus figures:   " + url));

  // Only /metrics, only GET and HEAD.
  auto other = RunCommand({kCurl, "-s", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                           "http://" + address + "/"},
                          15s);
  CHECK(other.out == "404");
  auto post = RunCommand({kCurl, "-s", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                          url},
                         15s);
  CHECK(post.out == "405");
  auto head = RunCommand({kCurl, "-sS", "--max-time", "10", "-I", url}, 15s);
  CHECK_THAT(head.out, Catch::StartsWith("HTTP/1.1 200"));
}

TEST_CASE("stationd refuses a --metrics address that is not loopback, naming it", "[integration][metrics]") {
  TempDir dir;
  auto refused = RunCommand({StationdPath(), "--station", "571001", "--data-dir", dir.Path("data"), "--ingest",
                             "tcp://127.0.0.1:*", "--insecure", "--metrics", "0.0.0.0:9571"},
                            10s);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("--metrics '0.0.0.0:9571'"));
  CHECK_THAT(refused.err, Catch::Contains("loopback"));
  CHECK_FALSE(std::filesystem::exists(dir.Path("data/stationd.json")));
  auto garbled = RunCommand({StationdPath(), "--station", "571001", "--data-dir", dir.Path("data"), "--ingest",
                             "tcp://127.0.0.1:*", "--insecure", "--metrics", "127.0.0.1:http"},
                            10s);
  CHECK(garbled.exit_code == 2);
  CHECK_THAT(garbled.err, Catch::Contains("--metrics '127.0.0.1:http'"));
}
