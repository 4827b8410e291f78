#include "daemon/uplink/upload_window.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "core/clock.h"

namespace station {
namespace {

using std::chrono::milliseconds;

}  // namespace

UploadWindow::UploadWindow(LinkContext link, const UplinkCursors& cursors, std::int64_t newest_id)
    : link_(link),
      uploaded_upto_(cursors.uploaded_upto),
      last_upload_ms_(cursors.last_upload_ms),
      sent_upto_(cursors.uploaded_upto),
      newest_id_(newest_id) {}

void UploadWindow::Refresh(SteadyClock::time_point now) {
  if (now < next_refresh_) return;
  next_refresh_ = now + milliseconds(500);
  if (auto newest = link_.store.MaxScanId(); newest.ok()) newest_id_ = std::max(newest_id_, *newest);
  auto oldest = link_.store.OldestWaitingReceivedMs(uploaded_upto_);
  link_.status.oldest_waiting_ms = oldest.ok() && *oldest ? **oldest : 0;
}

void UploadWindow::SendOne(InFlight& item, SteadyClock::time_point now) {
  item.req = link_.sender.NextReq("u");
  item.send_order = link_.sender.serial();
  item.refused = false;
  item.lost = false;
  item.resend_at = now + milliseconds(link_.jitter.Around(item.timeout_ms));
  // Not queued (no connection): its timer sends it again.
  if (!link_.sender.Send(EncodeUploadHeader({item.req, link_.station}), &item.body)) {
    item.resend_at = now + milliseconds(100);
  }
}

void UploadWindow::Send(SteadyClock::time_point now) {
  for (InFlight& f : in_flight_) {
    if (!f.acked && now >= f.resend_at) {
      if (f.lost) {
        ++link_.status.resends;
      } else if (!f.refused) {
        ++link_.status.resends;
        f.timeout_ms = std::min(f.timeout_ms * 2, kMaxBackoffMs);
      }
      SendOne(f, now);
    }
  }
  while (static_cast<int>(in_flight_.size()) < link_.options.window && sent_upto_ < newest_id_) {
    if (!AddNext(now)) return;
  }
}

bool UploadWindow::Read(std::int64_t after, int limit, InFlight& item) {
  item.after = after;
  item.body = std::string(kUploadColumns) + "\n";
  if (Status s = link_.store.ReadUpload(after, limit, item.body, item.count, item.last_id); !s.ok()) {
    spdlog::error("cannot read scans to upload: {}", s.ToString());
    return false;
  }
  item.timeout_ms = link_.options.reply_timeout_ms;
  return true;
}

bool UploadWindow::AddNext(SteadyClock::time_point now) {
  InFlight item;
  if (!Read(sent_upto_, link_.options.upload_scans, item)) return false;
  if (item.count == 0) {
    newest_id_ = sent_upto_;
    return false;
  }
  sent_upto_ = item.last_id;
  in_flight_.push_back(std::move(item));
  SendOne(in_flight_.back(), now);
  return true;
}

void UploadWindow::Hurry(SteadyClock::time_point now) {
  // One sent and unanswered is left to the sync the clerk's hurry also
  // sends: it settles it, or finds it never arrived and sends it again.
  for (InFlight& f : in_flight_) {
    if (f.refused || f.lost) f.resend_at = std::min(f.resend_at, now);
  }
}

void UploadWindow::OnAck(const UploadAck& ack, SteadyClock::time_point now) {
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const InFlight& f) { return f.req == ack.req; });
  // Not in flight under this req: an answer to an earlier send of it. Acked
  // or refused already: a sync repeated the answer that came.
  if (it == in_flight_.end() || it->acked || it->refused) return;
  if (!ack.ok) return OnRefused(it, ack, now);
  it->acked = true;
  ++accepted_;
  std::string().swap(it->body);
  link_.status.uploaded_this_run += ack.stored;
  link_.status.last_error.clear();
}

void UploadWindow::OnRefused(std::deque<InFlight>::iterator it, const UploadAck& ack, SteadyClock::time_point now) {
  UplinkStatus& status = link_.status;
  status.last_error = ack.code + ": " + ack.error;
  // Only InvalidArgument says "never": anything else (Unavailable, a code
  // this station does not know) is retried for as long as it takes.
  if (ack.code == "InvalidArgument") {
    if (it->accepted_at_refusal < 0) it->accepted_at_refusal = accepted_;
    if (++it->invalid >= kInvalidTries && SplitOrSetAside(it, ack, now)) return;
  }
  it->refused = true;
  it->resend_at = now + milliseconds(link_.jitter.Around(it->backoff_ms));
  it->backoff_ms = std::min(it->backoff_ms * 2, kMaxBackoffMs);
  spdlog::warn("national refused an upload of {} scans ({}); trying again in about {} ms", it->count,
               LogText(status.last_error), it->backoff_ms / 2);
}

int UploadWindow::Unsettled() const {
  return static_cast<int>(std::count_if(in_flight_.begin(), in_flight_.end(), [](const InFlight& f) { return !f.acked; }));
}

bool UploadWindow::SplitOrSetAside(std::deque<InFlight>::iterator it, const UploadAck& ack,
                                   SteadyClock::time_point now) {
  UplinkStatus& status = link_.status;
  if (it->count > 1) {
    // Which of its scans national refuses is not said in a way a station
    // can rely on: halves, each tried afresh, until the refused scans are
    // alone in their uploads. The others go up as usual. Halves count in
    // the window: a national refusing everything splits nothing past it.
    if (Unsettled() >= link_.options.window) return false;
    InFlight first, second;
    if (!Read(it->after, it->count / 2, first) || first.count == 0 ||
        !Read(first.last_id, it->count - first.count, second) || second.last_id != it->last_id) {
      // Kept whole and tried again: never set aside for a failed read.
      spdlog::error("cannot read scans {}..{} again to split a refused upload", it->after + 1, it->last_id);
      return false;
    }
    spdlog::warn("national refused an upload of {} scans {} times ({}); sending it in two halves", it->count,
                 kInvalidTries, LogText(status.last_error));
    first.accepted_at_refusal = second.accepted_at_refusal = it->accepted_at_refusal;
    *it = std::move(second);
    it = in_flight_.insert(it, std::move(first));
    SendOne(*it, now);
    SendOne(*std::next(it), now);
    return true;
  }
  if (accepted_ <= it->accepted_at_refusal) {
    // National took nothing since it first refused this: the refusal may
    // be of every upload. "Not now", until an upload goes through.
    spdlog::warn("national refuses scan {} ({}) and has taken no upload since; kept, tried again", it->last_id,
                 LogText(status.last_error));
    return false;
  }
  const std::string reason = "national refused it (" + ack.code + "): " + ack.error;
  auto set_aside = link_.store.SetAside(it->after, it->last_id, reason, NowMs());
  if (!set_aside.ok()) {
    // Not recorded: not moved past either. It is tried again later.
    spdlog::error("could not set aside scans {}..{}: {}", it->after + 1, it->last_id, set_aside.status().ToString());
    return false;
  }
  spdlog::error("national refused scans {}..{} {} times ({}); {} set aside at the station (stationctl quarantine"
                " --kind national), the uploads behind them go on",
                it->after + 1, it->last_id, kInvalidTries, LogText(reason), *set_aside);
  status.set_aside += *set_aside;
  status.set_aside_reason = reason;
  it->acked = true;
  std::string().swap(it->body);
  return true;
}

std::vector<std::string> UploadWindow::Unanswered(std::size_t most) const {
  std::vector<std::string> reqs;
  for (const InFlight& f : in_flight_) {
    if (reqs.size() == most) break;
    if (!f.acked && !f.refused && !f.lost) reqs.push_back(f.req);
  }
  return reqs;
}

void UploadWindow::OnSyncAnswer(const std::vector<std::string>& asked, const std::vector<UploadAck>& answers,
                                SteadyClock::time_point now) {
  for (const UploadAck& answer : answers) {
    if (std::find(asked.begin(), asked.end(), answer.req) == asked.end()) continue;  // not ours to take
    auto it =
        std::find_if(in_flight_.begin(), in_flight_.end(), [&](const InFlight& f) { return f.req == answer.req; });
    // A held upload's last_id must be its own: a guard against a req
    // national remembers from elsewhere.
    if (it != in_flight_.end() && (!answer.ok || answer.last_id == it->last_id)) OnAck(answer, now);
  }
  for (const std::string& req : asked) {
    for (InFlight& f : in_flight_) {
      if (f.req == req && !f.acked && !f.refused && !f.lost) {
        f.lost = true;
        f.resend_at = now;
      }
    }
  }
}

void UploadWindow::ConnectionLost(SteadyClock::time_point now) {
  for (InFlight& f : in_flight_) {
    if (!f.acked && !f.refused) {
      f.lost = true;
      f.resend_at = now;
    }
  }
}

void UploadWindow::Advance() {
  std::int64_t upto = uploaded_upto_;
  while (!in_flight_.empty() && in_flight_.front().acked) {
    upto = in_flight_.front().last_id;
    in_flight_.pop_front();
  }
  if (upto == uploaded_upto_) return;
  const std::int64_t now_ms = NowMs();
  if (Status s = link_.store.SetUploadedUpto(upto, now_ms); !s.ok()) {
    // Not fatal: those scans are held at national; a restart resends them.
    spdlog::error("could not record the upload cursor: {}", s.ToString());
  }
  uploaded_upto_ = upto;
  last_upload_ms_ = now_ms;
}

}  // namespace station
