#pragma once
// A batch file in the dock agent's hands: cut into parts for sending, and the
// summary of stationd's acknowledgements that is filed away beside it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "wire/dock.h"

namespace station::dock {

using SteadyClock = std::chrono::steady_clock;

struct FileState {
  std::string name;
  std::string text;  // the file; parts point into it
  std::size_t parts = 0;
  std::size_t parts_left = 0;
  std::size_t parts_refused = 0;  // refused whole by stationd (e.g. one row larger than a message)
  std::string first_refusal;
  bool finished = false;
  nlohmann::json summary;  // accumulated acks
};

struct Part {
  std::shared_ptr<FileState> file;
  std::string header;  // frame 1
  std::string body;    // frame 2
  bool in_flight = false;
  SteadyClock::time_point sent_at{};
  SteadyClock::time_point not_before{};  // backoff after a "retry later"
  int retries = 0;
};

// The parts not yet settled, by req. The reqs are zero-padded counters, so
// the map's order is the sending order.
using PartsByReq = std::map<std::string, Part>;

// Cuts the batch file `name` (its whole `text`) into parts of at most
// `part_rows` rows and adds them to `parts`, numbered after `next_req`.
// A file that is no readable batch becomes one part, the file's head, for
// stationd to refuse with the reason. Returns how many parts it made.
std::size_t QueueBatchFile(const std::string& name, std::string text, std::size_t part_rows, const std::string& nonce,
                           std::uint64_t& next_req, PartsByReq& parts);

// Adds an accepted part's acknowledgement to its file's summary.
void AddToSummary(FileState& file, const BatchAck& ack);

// Drops every part of `file` from `parts`; returns how many of them were in flight.
int DropPartsOf(const FileState& file, PartsByReq& parts);

}  // namespace station::dock
