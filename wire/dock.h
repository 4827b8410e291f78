#pragma once
// Dock <-> stationd messages (docs/protocol.md, "Batch upload"). Encoding
// and decoding only; the sockets live in the dock agent and the daemon.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "scanner/batch_file.h"  // kMaxBatchBodyBytes, the largest batch body a message carries

namespace station {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxHeaderBytes = 4096;
// The largest "first_line" a batch header may give.
inline constexpr std::int64_t kMaxLineNumber = 100'000'000;

// Frame 1 of a batch message; frame 2 is the CSV body.
struct BatchHeader {
  std::string req;     // the sender's id for this message, echoed in the ack
  int first_line = 0;  // file line of the body's first row
};

std::string EncodeBatchHeader(const BatchHeader& header);
// kInvalidArgument naming the bad field for anything but a version-1 batch header.
Result<BatchHeader> DecodeBatchHeader(std::string_view json);

struct AckRow {
  int line = 0;
  std::int64_t seq = 0;
  std::string reason;
};

// The reply to a batch message.
struct BatchAck {
  std::string req;
  bool ok = true;            // false: the message as a whole was refused
  std::string code;          // when !ok: a CodeName ("InvalidArgument", "Unavailable")
  std::string error;         // when !ok: why
  std::string device;        // when ok: the batch this part belongs to
  std::string batch;
  int accepted = 0;          // rows stored now
  int duplicates = 0;        // rows already stored, identical
  std::vector<AckRow> rejected;   // bad rows, each now in quarantine
  std::vector<AckRow> conflicts;  // same (device, batch, seq), different content
};

std::string EncodeBatchAck(const BatchAck& ack);
Result<BatchAck> DecodeBatchAck(std::string_view json);

// The reply to a message that is not a valid request at all.
BatchAck ErrorAck(std::string req, const Status& status);

}  // namespace station
