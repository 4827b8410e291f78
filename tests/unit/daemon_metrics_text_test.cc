#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include "daemon/ops/metrics_figures.h"
#include "daemon/ops/metrics_server.h"
#include "daemon/ops/metrics_text.h"

using namespace station;
using metrics::Family;
using metrics::Type;

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("metrics text: HELP and TYPE lines, then samples with labels", "[metrics]") {
  auto text = metrics::FormatText({
      {"stationsync_scans_stored_total", "Scans stored.", Type::kCounter, {{{{"station", "571001"}}, 42}}},
      {"stationsync_wal_bytes", "WAL size.", Type::kGauge, {{{{"station", "571001"}}, 1.5}}},
  });
  REQUIRE(text.ok());
  CHECK(Lines(*text) == std::vector<std::string>{
                            "# HELP stationsync_scans_stored_total Scans stored.",
                            "# TYPE stationsync_scans_stored_total counter",
                            "stationsync_scans_stored_total{station=\"571001\"} 42",
                            "# HELP stationsync_wal_bytes WAL size.",
                            "# TYPE stationsync_wal_bytes gauge",
                            "stationsync_wal_bytes{station=\"571001\"} 1.5",
                        });
  CHECK(text->back() == '\n');
}

TEST_CASE("metrics text: label values and HELP are escaped", "[metrics]") {
  CHECK(metrics::EscapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(metrics::EscapeLabelValue("站 571001") == "站 571001");
  CHECK(metrics::EscapeHelp("two\nlines \\ \"quoted\"") == "two\\nlines \\\\ \"quoted\"");
  auto text = metrics::FormatText({{"m", "h", Type::kGauge, {{{{"who", "say \"hi\"\n"}}, 1}}}});
  REQUIRE(text.ok());
  CHECK(text->find("m{who=\"say \\\"hi\\\"\\n\"} 1\n") != std::string::npos);
}

TEST_CASE("metrics text: bad names, counters without _total and duplicates are refused", "[metrics]") {
  CHECK(metrics::IsMetricName("stationsync_scans_total"));
  CHECK(metrics::IsMetricName("a:b_c9"));
  CHECK_FALSE(metrics::IsMetricName("9lives"));
  CHECK_FALSE(metrics::IsMetricName("has-dash"));
  CHECK_FALSE(metrics::IsMetricName(""));
  CHECK(metrics::IsLabelName("station"));
  CHECK_FALSE(metrics::IsLabelName("__name__"));
  CHECK_FALSE(metrics::IsLabelName("a:b"));

  auto bad_name = metrics::FormatText({{"bad-name", "h", Type::kGauge, {{{}, 1}}}});
  REQUIRE_FALSE(bad_name.ok());
  CHECK(bad_name.status().ToString().find("bad-name") != std::string::npos);
  auto counter = metrics::FormatText({{"stationsync_scans", "h", Type::kCounter, {{{}, 1}}}});
  REQUIRE_FALSE(counter.ok());
  CHECK(counter.status().ToString().find("_total") != std::string::npos);
  auto gauge_total = metrics::FormatText({{"x_total", "h", Type::kGauge, {{{}, 1}}}});
  CHECK_FALSE(gauge_total.ok());
  auto twice = metrics::FormatText({{"m", "h", Type::kGauge, {{{}, 1}}}, {"m", "h", Type::kGauge, {{{}, 2}}}});
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.status().ToString().find("two families") != std::string::npos);
  auto same_labels =
      metrics::FormatText({{"m", "h", Type::kGauge, {{{{"k", "v"}}, 1}, {{{"k", "v"}}, 2}}}});
  CHECK_FALSE(same_labels.ok());
  auto bad_label = metrics::FormatText({{"m", "h", Type::kGauge, {{{{"bad label", "v"}}, 1}}}});
  CHECK_FALSE(bad_label.ok());
}

TEST_CASE("metrics text: whole numbers without a fraction, NaN and infinities by name", "[metrics]") {
  auto text = metrics::FormatText({{"m", "h", Type::kGauge,
                                    {{{{"v", "big"}}, 12345678901.0}, {{{"v", "third"}}, 1.0 / 3},
                                     {{{"v", "nan"}}, std::nan("")}, {{{"v", "inf"}}, 1.0 / 0.0}}}});
  REQUIRE(text.ok());
  CHECK(text->find("m{v=\"big\"} 12345678901\n") != std::string::npos);
  CHECK(text->find("m{v=\"third\"} 0.33333333333333331\n") != std::string::npos);
  CHECK(text->find("m{v=\"nan\"} NaN\n") != std::string::npos);
  CHECK(text->find("m{v=\"inf\"} +Inf\n") != std::string::npos);
}

TEST_CASE("metrics: the station's families are valid, distinct and labelled with the station", "[metrics]") {
  StationFigures f;
  f.at_ms = 1'800'000'000'000;
  f.scans_stored = 120;
  f.scans_uploaded = 100;
  f.upload_backlog = 20;
  f.oldest_waiting_ms = f.at_ms - 90'000;
  f.scans_received = {6, 30, 120};
  f.index_lag = 3;
  f.discrepancies_open = {{"missing", 2}, {"surplus", 1}};
  UplinkStatus link;
  link.link_up = true;
  const auto families = StationFamilies(f, link, "571001", f.at_ms - 60'000);
  auto text = metrics::FormatText(families);
  REQUIRE(text.ok());
  std::set<std::string> names;
  for (const Family& family : families) {
    CHECK(family.name.rfind("stationsync_", 0) == 0);
    CHECK(names.insert(family.name).second);
    for (const auto& sample : family.samples) {
      REQUIRE_FALSE(sample.labels.empty());
      CHECK(sample.labels[0] == std::pair<std::string, std::string>{"station", "571001"});
    }
  }
  CHECK(text->find("stationsync_scans_stored_total{station=\"571001\"} 120\n") != std::string::npos);
  CHECK(text->find("stationsync_upload_backlog_scans{station=\"571001\"} 20\n") != std::string::npos);
  CHECK(text->find("stationsync_upload_oldest_waiting_seconds{station=\"571001\"} 90\n") != std::string::npos);
  CHECK(text->find("stationsync_scans_received_per_minute{station=\"571001\",window=\"5m\"} 6\n") !=
        std::string::npos);
  CHECK(text->find("stationsync_discrepancies_open{station=\"571001\",kind=\"missing\"} 2\n") != std::string::npos);
  CHECK(text->find("stationsync_discrepancies_open{station=\"571001\",kind=\"misrouted\"} 0\n") != std::string::npos);
  CHECK(text->find("stationsync_national_link_up{station=\"571001\"} 1\n") != std::string::npos);
  CHECK(text->find("stationsync_waybill_index_lag_scans{station=\"571001\"} 3\n") != std::string::npos);

  const auto no_link = StationFamilies(f, std::nullopt, "571001", f.at_ms);
  auto without = metrics::FormatText(no_link);
  REQUIRE(without.ok());
  CHECK(without->find("stationsync_national_configured{station=\"571001\"} 0\n") != std::string::npos);
  CHECK(without->find("stationsync_national_link_up") == std::string::npos);
}

TEST_CASE("metrics: --metrics takes a loopback HOST:PORT and refuses the rest by name", "[metrics]") {
  auto v4 = ParseMetricsListen({"127.0.0.1:9571"});
  REQUIRE(v4.ok());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9571);
  auto any_port = ParseMetricsListen({"127.0.0.1:*"});
  REQUIRE(any_port.ok());
  CHECK(any_port->port == 0);
  auto v6 = ParseMetricsListen({"[::1]:0"});
  REQUIRE(v6.ok());
  CHECK(v6->ipv6);
  CHECK(ParseMetricsListen({"localhost:9571"}).ok());

  auto remote = ParseMetricsListen({"0.0.0.0:9571"});
  REQUIRE_FALSE(remote.ok());
  CHECK(remote.status().ToString().find("--metrics '0.0.0.0:9571'") != std::string::npos);
  CHECK(remote.status().ToString().find("loopback") != std::string::npos);
  CHECK(ParseMetricsListen({"0.0.0.0:9571", /*allow_remote=*/true}).ok());
  CHECK_FALSE(ParseMetricsListen({"10.1.2.3:9571"}).ok());
  CHECK_FALSE(ParseMetricsListen({"[2001:db8::1]:9571"}).ok());
  for (const char* bad : {"9571", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:port", "host.lan:9571",
                          ":9571"}) {
    INFO(bad);
    auto parsed = ParseMetricsListen({bad});
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().ToString().find("--metrics") != std::string::npos);
  }
}
