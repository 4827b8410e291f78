#pragma once
// What national-sim remembers of the uploads it answered, so that a sync can
// ask about an upload whose reply was lost (docs/protocol.md, "Sync"), and
// its poison rule: uploads it refuses InvalidArgument on purpose.

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "wire/upload.h"

namespace station::national {

class UploadReplies {
 public:
  // Replies remembered per station, the oldest forgotten first: far more
  // than a station's window of uploads in flight.
  static constexpr std::size_t kPerStation = 4096;

  // `reply` (an encoded upload_ack) was sent, or dropped, for `station`'s `req`.
  void Remember(const std::string& station, const std::string& req, const std::string& reply);
  // The replies to those of `reqs` that `station` was answered, in the
  // order asked; one never answered is left out.
  std::vector<UploadAck> Answers(const std::string& station, const std::vector<std::string>& reqs) const;

 private:
  struct Station {
    std::unordered_map<std::string, std::string> replies;  // req -> upload_ack
    std::deque<std::string> order;                         // reqs, oldest first
  };
  std::map<std::string, Station> stations_;
};

// The poison rule (--refuse-waybill): InvalidArgument when an upload holds
// a scan of one of `waybills`, naming the first such scan; OK otherwise.
Status CheckPoison(const std::vector<std::string>& waybills, const std::vector<UploadedScan>& scans);

}  // namespace station::national
