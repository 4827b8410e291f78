#pragma once
// The station → national upload (docs/protocol.md, "Upload"): frame 1 a
// JSON header, frame 2 a CSV of scans with the columns below. Shared by
// national-sim and, next, stationd's uplink (issue 3).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace station {

inline constexpr const char* kUploadColumns =
    "id,device,batch,seq,courier,waybill,bag,type,time,peer_station,weight_g,reason,note,received_ms";

struct UploadHeader {
  std::string req;
  std::string station;  // the sender (until CURVE binds it to the key: issue 6)
};

// One scan as the national system receives it.
struct UploadedScan {
  std::int64_t id = 0;  // the station's scans.id: the upload cursor
  std::string device, batch;
  std::int64_t seq = 0;
  std::string courier, waybill, bag, type, time, peer_station;
  std::optional<std::int64_t> weight_g;
  std::string reason, note;
  std::int64_t received_ms = 0;
};

std::string EncodeUploadHeader(const UploadHeader& header);
Result<UploadHeader> DecodeUploadHeader(std::string_view json);

// Appends one CSV row for `scan` (the body starts with kUploadColumns).
void AppendUploadRow(std::string& body, const UploadedScan& scan);
// Reads a whole upload body. Any bad row refuses the upload: it comes from
// a station's own database, so a bad row means a broken sender, not a gun.
Result<std::vector<UploadedScan>> ReadUploadBody(std::string_view body);

struct UploadAck {
  std::string req;
  bool ok = false;
  std::string code, error;  // when !ok
  std::int64_t last_id = 0;  // the highest scans.id of the upload: all up to it are held
  int stored = 0;
  int duplicates = 0;
};
std::string EncodeUploadAck(const UploadAck& ack);
Result<UploadAck> DecodeUploadAck(std::string_view json);

}  // namespace station
