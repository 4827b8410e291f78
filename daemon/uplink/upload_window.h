#pragma once
// The upload window: this station's scans go up in id order, up to
// options.window uploads in flight, and the cursor in station.db moves only
// over a contiguous run of acknowledged uploads. An unanswered upload is
// sent again after the reply timeout, doubling to 60 s; a refused one
// after a backoff from 1 s, doubling to 60 s.

#include <cstdint>
#include <deque>
#include <string>

#include "daemon/uplink/link_context.h"
#include "wire/upload.h"

namespace station {

class UploadWindow {
 public:
  // Resumes from the cursor: everything up to cursors.uploaded_upto is held
  // at national; `newest_id` is the newest scan committed.
  UploadWindow(LinkContext link, const UplinkCursors& cursors, std::int64_t newest_id);

  // Reads the newest scan id and the oldest waiting scan's time, at most
  // every 500 ms, or at the next call after RefreshSoon.
  void Refresh(SteadyClock::time_point now);
  void RefreshSoon() { next_refresh_ = {}; }

  // Resends what is due (counting a resend and doubling its timeout unless
  // it was refused), then fills the window with new uploads.
  void Send(SteadyClock::time_point now);
  // The clerk asked for an upload now: every upload waiting is due.
  void Hurry(SteadyClock::time_point now);
  // Settles the upload `ack` answers, if still in flight, and resends at
  // once every upload sent before it that is still unanswered.
  void OnAck(const UploadAck& ack, SteadyClock::time_point now);
  // Moves the cursor, in station.db too, over the acknowledged uploads at
  // the front of the window.
  void Advance();
  // The link went down: everything in flight goes back to waiting and is
  // sent again from the cursor once the link is back.
  void Restart();

  std::size_t in_flight() const { return in_flight_.size(); }
  std::int64_t uploaded_upto() const { return uploaded_upto_; }
  std::int64_t last_upload_ms() const { return last_upload_ms_; }  // 0: never
  std::int64_t newest_id() const { return newest_id_; }
  std::int64_t waiting() const { return newest_id_ - uploaded_upto_; }

 private:
  // One upload sent and not yet settled.
  struct InFlight {
    std::string req;
    std::int64_t last_id = 0;  // it holds the scans with id in (previous upload's last_id, last_id]
    int count = 0;
    std::string body;
    std::uint64_t send_order = 0;  // when it was last sent
    SteadyClock::time_point resend_at;
    int timeout_ms = 0;     // reply timeout, doubling with each resend
    int backoff_ms = 1000;  // wait after a refusal, doubling
    bool refused = false;   // answered "not now": wait for resend_at
    bool acked = false;
  };

  void SendOne(InFlight& item, SteadyClock::time_point now);
  // false when there is nothing more to read, or it could not be read.
  bool AddNext(SteadyClock::time_point now);
  void FastResend(std::uint64_t answered_order, SteadyClock::time_point now);

  LinkContext link_;
  std::int64_t uploaded_upto_;   // every scan with id <= this is held at national
  std::int64_t last_upload_ms_;  // when the cursor last moved
  std::int64_t sent_upto_;       // the last scan id handed to an upload
  std::int64_t newest_id_;       // the newest scan committed, as last read
  std::deque<InFlight> in_flight_;
  SteadyClock::time_point next_refresh_{};
};

}  // namespace station
