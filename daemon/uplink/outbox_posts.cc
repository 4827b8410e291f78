#include "daemon/uplink/outbox_posts.h"

#include <iterator>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "core/clock.h"

namespace station {
namespace {

using std::chrono::milliseconds;

constexpr int kPostsInFlight = 16;

}  // namespace

void OutboxPosts::Send(SteadyClock::time_point now) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    it = now >= it->second.resend_at ? in_flight_.erase(it) : std::next(it);  // unanswered: offered again below
  }
  if (!in_flight_.empty() || now < next_check_) return;
  next_check_ = now + milliseconds(link_.options.heartbeat_ms);
  auto waiting = link_.store.WaitingPosts(kPostsInFlight);
  if (!waiting.ok()) {
    spdlog::error("cannot read the outbox: {}", waiting.status().ToString());
    return;
  }
  for (const WaitingPost& p : *waiting) {
    PostRequest request{link_.sender.NextReq("p"), link_.station, p.to, p.msg_id, p.kind};
    if (!link_.sender.Send(EncodePostRequest(request), &p.body)) return;
    in_flight_[request.req] = {p.msg_id, now + milliseconds(link_.options.reply_timeout_ms)};
  }
}

void OutboxPosts::OnAck(const PostAck& ack) {
  auto it = in_flight_.find(ack.req);
  if (it == in_flight_.end()) return;
  const std::string& msg_id = it->second.msg_id;
  UplinkStatus& status = link_.status;
  if (ack.ok) {
    if (Status s = link_.store.MarkPosted(msg_id, NowMs()); !s.ok()) {
      spdlog::error("could not mark message {} posted: {}", msg_id, s.ToString());
    }
  } else if (ack.code == "InvalidArgument") {
    // Sending it again would be refused again, and hold up the messages
    // behind it: set it aside with the reason.
    status.last_error = ack.code + ": " + ack.error;
    spdlog::error("national refused message {} for good ({}); it stays in the outbox, marked refused", msg_id,
                  LogText(status.last_error));
    if (Status s = link_.store.MarkRefused(msg_id, status.last_error); !s.ok()) {
      spdlog::error("could not mark message {} refused: {}", msg_id, s.ToString());
    }
  } else {
    status.last_error = ack.code + ": " + ack.error;
    next_check_ = SteadyClock::now() + milliseconds(link_.jitter.Around(5000));
  }
  in_flight_.erase(it);
}

}  // namespace station
