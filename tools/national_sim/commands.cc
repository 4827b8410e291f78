#include "core/clock.h"
#include "tools/national_sim/commands.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace station::national {
namespace {

using json = nlohmann::json;

int Fail(const Status& s) {
  std::cerr << "national-sim: " << s.ToString() << "\n";
  return 1;
}

std::string Dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

}  // namespace

Result<ManifestFileLoad> LoadManifestFile(NationalStore& store, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("manifest file " + path, "cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto manifest = ReadManifest(text.str());
  if (!manifest.ok()) return Status::InvalidArgument(path, manifest.status().message());
  ManifestFileLoad load;
  auto counts = store.LoadManifest(manifest->rows, NowMs());
  if (!counts.ok()) return counts.status();
  load.counts = *counts;
  load.rejected = std::move(manifest->problems);
  return load;
}

int ManifestAdd(const std::string& data_dir, const std::string& file, bool as_json) {
  // A second connection beside a running national-sim: WAL lets it write
  // between the server's commits (waiting up to the busy timeout for one).
  // The folder and national.db are made when missing, so a manifest can be
  // loaded before the first start.
  ::mkdir(data_dir.c_str(), 0750);
  auto store = NationalStore::Open(data_dir + "/national.db");
  if (!store.ok()) return Fail(store.status());
  auto load = LoadManifestFile(**store, file);
  if (!load.ok()) return Fail(load.status());
  const auto& c = load->counts;
  if (as_json) {
    json rejected = json::array();
    for (const ManifestProblem& p : load->rejected) {
      rejected.push_back({{"line", p.line}, {"reason", p.reason}, {"raw", p.raw}});
    }
    std::cout << Dump({{"file", file}, {"added", c.added}, {"changed", c.changed}, {"unchanged", c.unchanged},
                       {"rejected", rejected}})
              << "\n";
  } else {
    std::cout << "Manifest " << file << ": " << c.added << " added, " << c.changed << " changed, " << c.unchanged
              << " unchanged, " << load->rejected.size() << " rejected\n";
    for (const ManifestProblem& p : load->rejected) std::cout << file << ":" << p.line << ": " << p.reason << "\n";
  }
  return load->rejected.empty() ? 0 : 1;
}

int Query(const std::string& data_dir, const std::string& station, const std::string& waybill, bool as_json) {
  auto store = NationalStore::Open(data_dir + "/national.db", /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  json out;
  if (!waybill.empty()) {
    auto history = (*store)->History(waybill);
    if (!history.ok()) return Fail(history.status());
    out["waybill"] = waybill;
    out["scans"] = json::array();
    for (const auto& [at, s] : *history) {
      if (!station.empty() && at != station) continue;
      out["scans"].push_back({{"station", at}, {"device", s.device}, {"batch", s.batch}, {"seq", s.seq},
                              {"type", s.type}, {"time", s.time}, {"courier", s.courier}});
    }
  } else {
    auto counts = (*store)->Counts();
    if (!counts.ok()) return Fail(counts.status());
    // A station asked for by name is listed even when nothing is held for it.
    if (!station.empty()) (*counts)[station];
    out["stations"] = json::object();
    for (const auto& [code, c] : *counts) {
      if (!station.empty() && code != station) continue;
      out["stations"][code] = {{"scans", c.scans},
                               {"duplicates_seen", c.duplicates_seen},
                               {"by_type", c.by_type},
                               {"manifest_rows", c.manifest_rows},
                               {"mailbox", {{"held", c.mail_held}, {"latest_seq", c.mail_latest_seq}}}};
    }
  }
  if (as_json) {
    std::cout << Dump(out) << "\n";
  } else if (out.contains("stations")) {
    for (const auto& [code, c] : out["stations"].items()) {
      std::cout << code << ": " << c["scans"] << " scans, " << c["duplicates_seen"] << " resends seen, "
                << c["manifest_rows"] << " manifest rows, " << c["mailbox"]["held"] << " messages in the mailbox"
                << " (latest seq " << c["mailbox"]["latest_seq"] << ")\n";
    }
  } else {
    for (const auto& s : out["scans"]) {
      std::cout << s["time"].get<std::string>() << "  " << s["station"].get<std::string>() << "  "
                << s["type"].get<std::string>() << "\n";
    }
  }
  return 0;
}

}  // namespace station::national
