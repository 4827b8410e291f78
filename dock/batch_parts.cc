#include "dock/batch_parts.h"

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

#include "scanner/batch_file.h"

namespace station::dock {

std::size_t QueueBatchFile(const std::string& name, std::string text, std::size_t part_rows, const std::string& nonce,
                           std::uint64_t& next_req, PartsByReq& parts) {
  auto file = std::make_shared<FileState>();
  file->name = name;
  file->text = std::move(text);
  file->summary = {{"file", name}, {"parts", 0}, {"accepted", 0}, {"duplicates", 0},
                   {"rejected", nlohmann::json::array()}, {"conflicts", nlohmann::json::array()}};
  auto split = SplitBatchFile(file->text, part_rows);
  std::vector<BatchSlice> slices;
  std::string_view preamble;
  if (split.ok()) {
    preamble = split->preamble;
    slices = split->slices;
    if (slices.empty()) slices.push_back(BatchSlice{0, 0, {}});  // a batch with no rows still docks
  } else {
    // Unreadable as a batch. Send it anyway, whole: stationd refuses it
    // with the reason and keeps a trace in its quarantine, so the clerk
    // sees it, not only this dock's rejected/ folder.
    std::string_view whole = file->text;
    slices.push_back(BatchSlice{0, 0, whole.substr(0, std::min(whole.size(), kMaxBatchBodyBytes))});
  }
  file->parts = slices.size();
  file->parts_left = slices.size();
  file->summary["parts"] = slices.size();
  for (const BatchSlice& slice : slices) {
    // Zero-padded so the map's order is the sending order.
    char req_text[48];
    std::snprintf(req_text, sizeof req_text, "%s-%010llu", nonce.c_str(), static_cast<unsigned long long>(++next_req));
    std::string req = req_text;
    Part part;
    part.file = file;
    part.header = EncodeBatchHeader({req, slice.first_line});
    part.body.reserve(preamble.size() + slice.text.size());
    part.body.append(preamble);
    part.body.append(slice.text);
    parts.emplace(req, std::move(part));
  }
  return slices.size();
}

void AddToSummary(FileState& file, const BatchAck& ack) {
  nlohmann::json& s = file.summary;
  s["device"] = ack.device;
  s["batch"] = ack.batch;
  s["accepted"] = s["accepted"].get<int>() + ack.accepted;
  s["duplicates"] = s["duplicates"].get<int>() + ack.duplicates;
  for (const AckRow& r : ack.rejected) s["rejected"].push_back({{"line", r.line}, {"seq", r.seq}, {"reason", r.reason}});
  for (const AckRow& r : ack.conflicts) s["conflicts"].push_back({{"line", r.line}, {"seq", r.seq}, {"reason", r.reason}});
}

int DropPartsOf(const FileState& file, PartsByReq& parts) {
  int in_flight = 0;
  for (auto it = parts.begin(); it != parts.end();) {
    if (it->second.file.get() == &file) {
      if (it->second.in_flight) ++in_flight;
      it = parts.erase(it);
    } else {
      ++it;
    }
  }
  return in_flight;
}

}  // namespace station::dock
