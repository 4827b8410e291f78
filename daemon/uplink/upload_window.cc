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
  item.resend_at = now + milliseconds(link_.jitter.Around(item.timeout_ms));
  // Not queued (no connection): its timer sends it again.
  if (!link_.sender.Send(EncodeUploadHeader({item.req, link_.station}), &item.body)) {
    item.resend_at = now + milliseconds(100);
  }
}

void UploadWindow::Send(SteadyClock::time_point now) {
  for (InFlight& f : in_flight_) {
    if (!f.acked && now >= f.resend_at) {
      if (!f.refused) {
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

bool UploadWindow::AddNext(SteadyClock::time_point now) {
  InFlight item;
  item.body = std::string(kUploadColumns) + "\n";
  if (Status s = link_.store.ReadUpload(sent_upto_, link_.options.upload_scans, item.body, item.count, item.last_id);
      !s.ok()) {
    spdlog::error("cannot read scans to upload: {}", s.ToString());
    return false;
  }
  if (item.count == 0) {
    newest_id_ = sent_upto_;
    return false;
  }
  item.timeout_ms = link_.options.reply_timeout_ms;
  sent_upto_ = item.last_id;
  in_flight_.push_back(std::move(item));
  SendOne(in_flight_.back(), now);
  return true;
}

void UploadWindow::Hurry(SteadyClock::time_point now) {
  for (InFlight& f : in_flight_) f.resend_at = std::min(f.resend_at, now);
}

void UploadWindow::OnAck(const UploadAck& ack, SteadyClock::time_point now) {
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const InFlight& f) { return f.req == ack.req; });
  if (it == in_flight_.end()) return;  // an answer to an earlier send of an upload already settled
  const std::uint64_t order = it->send_order;
  UplinkStatus& status = link_.status;
  if (!ack.ok) {
    status.last_error = ack.code + ": " + ack.error;
    it->refused = true;
    it->resend_at = now + milliseconds(link_.jitter.Around(it->backoff_ms));
    it->backoff_ms = std::min(it->backoff_ms * 2, kMaxBackoffMs);
    spdlog::warn("national refused an upload of {} scans ({}); trying again in about {} ms", it->count,
                 LogText(status.last_error), it->backoff_ms / 2);
  } else {
    it->acked = true;
    std::string().swap(it->body);
    status.uploaded_this_run += ack.stored;
    status.last_error.clear();
  }
  FastResend(order, now);
}

// Replies come back in the order national received the requests, so an
// upload still unanswered when a later request is answered has lost its
// reply or its request: it is sent again now rather than at its timeout.
void UploadWindow::FastResend(std::uint64_t answered_order, SteadyClock::time_point now) {
  for (InFlight& f : in_flight_) {
    if (!f.acked && !f.refused && f.send_order < answered_order) {
      ++link_.status.resends;
      SendOne(f, now);
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

void UploadWindow::Restart() {
  in_flight_.clear();
  sent_upto_ = uploaded_upto_;
}

}  // namespace station
