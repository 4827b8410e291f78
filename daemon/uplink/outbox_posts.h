#pragma once
// Posts: the outbox's messages to other stations go to national, up to 16
// at a time, each marked posted (or refused for good) in station.db when
// national acknowledges it. Unanswered ones are offered again after the
// reply timeout; a refusal "not now" waits about 5 s.

#include <map>
#include <string>

#include "daemon/uplink/link_context.h"
#include "wire/national.h"

namespace station {

class OutboxPosts {
 public:
  explicit OutboxPosts(LinkContext link) : link_(link) {}

  // Forgets posts past the reply timeout; once none are in flight, offers
  // the outbox's waiting messages, at most once a heartbeat.
  void Send(SteadyClock::time_point now);
  void OnAck(const PostAck& ack);
  // The link went down: whatever was in flight is offered again.
  void Forget() { in_flight_.clear(); }

 private:
  struct Sent {
    std::string msg_id;
    SteadyClock::time_point resend_at;
  };

  LinkContext link_;
  std::map<std::string, Sent> in_flight_;  // by req
  SteadyClock::time_point next_check_{};   // when to read the outbox again
};

}  // namespace station
