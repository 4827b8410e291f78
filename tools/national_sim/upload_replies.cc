#include "tools/national_sim/upload_replies.h"

#include <algorithm>

namespace station::national {

void UploadReplies::Remember(const std::string& station, const std::string& req, const std::string& reply) {
  Station& s = stations_[station];
  auto [it, fresh] = s.replies.insert_or_assign(req, reply);
  if (!fresh) return;
  s.order.push_back(req);
  if (s.order.size() > kPerStation) {
    s.replies.erase(s.order.front());
    s.order.pop_front();
  }
}

std::vector<UploadAck> UploadReplies::Answers(const std::string& station, const std::vector<std::string>& reqs) const {
  std::vector<UploadAck> answers;
  auto s = stations_.find(station);
  if (s == stations_.end()) return answers;
  for (const std::string& req : reqs) {
    auto reply = s->second.replies.find(req);
    if (reply == s->second.replies.end()) continue;
    auto ack = DecodeUploadAck(reply->second);
    if (ack.ok()) answers.push_back(std::move(*ack));
  }
  return answers;
}

Status CheckPoison(const std::vector<std::string>& waybills, const std::vector<UploadedScan>& scans) {
  if (waybills.empty()) return Status::OK();
  for (const UploadedScan& scan : scans) {
    if (std::find(waybills.begin(), waybills.end(), scan.waybill) != waybills.end()) {
      return Status::InvalidArgument(
          "scan " + std::to_string(scan.id),
          "waybill " + scan.waybill + " is refused by this national system (--refuse-waybill)");
    }
  }
  return Status::OK();
}

}  // namespace station::national
