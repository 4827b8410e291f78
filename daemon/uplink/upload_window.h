#pragma once
// The upload window: this station's scans go up in id order, up to
// options.window uploads in flight, and the cursor in station.db moves only
// over a contiguous run of acknowledged (or set aside) uploads. An upload
// whose reply is lost is settled by national's answer to the next sync; one
// national never got goes again then, or after its reply timeout, doubling
// to 60 s; a refused one after a backoff from 1 s, doubling to 60 s. An
// upload refused InvalidArgument kInvalidTries times is split in halves
// until the scans refused are found, and those are set aside.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "daemon/uplink/link_context.h"
#include "wire/upload.h"

namespace station {

// Times national may refuse an upload InvalidArgument (a row it will never
// take) before the upload is split, or its one scan set aside.
inline constexpr int kInvalidTries = 3;

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
  // The clerk asked for an upload now: every upload waiting for a backoff
  // after a refusal, or to go again, is due.
  void Hurry(SteadyClock::time_point now);
  // Settles the upload `ack` answers, if still in flight under that req.
  void OnAck(const UploadAck& ack, SteadyClock::time_point now);
  // The reqs of uploads sent and neither answered nor refused, oldest
  // first, at most `most`: the next sync asks national about them.
  std::vector<std::string> Unanswered(std::size_t most) const;
  // National answered a sync that asked about `asked`: `answers` settle the
  // uploads it answered, as their lost replies would have. National has
  // answered everything sent before the sync by then (replies come in
  // order), so one it does not list never arrived: it is due again at once
  // (the next Send).
  void OnSyncAnswer(const std::vector<std::string>& asked, const std::vector<UploadAck>& answers,
                    SteadyClock::time_point now);
  // The connection closed, and with it every request and reply on it:
  // each upload unanswered goes again as soon as the link is back (at once,
  // without waiting for its timeout). Acknowledged ones stay acknowledged:
  // national holds them.
  void ConnectionLost(SteadyClock::time_point now);
  // Moves the cursor, in station.db too, over the acknowledged uploads at
  // the front of the window.
  void Advance();

  std::size_t in_flight() const { return in_flight_.size(); }
  std::int64_t uploaded_upto() const { return uploaded_upto_; }
  std::int64_t last_upload_ms() const { return last_upload_ms_; }  // 0: never
  std::int64_t newest_id() const { return newest_id_; }
  std::int64_t waiting() const { return newest_id_ - uploaded_upto_; }

 private:
  // One upload sent and not yet settled.
  struct InFlight {
    std::string req;
    std::int64_t after = 0;    // it holds the scans with id in (after, last_id]
    std::int64_t last_id = 0;
    int count = 0;
    std::string body;
    std::uint64_t send_order = 0;  // when it was last sent
    SteadyClock::time_point resend_at;
    int timeout_ms = 0;     // reply timeout, doubling with each resend
    int backoff_ms = 1000;  // wait after a refusal, doubling
    bool refused = false;   // answered "not now": wait for resend_at
    bool lost = false;      // never got there: resend when the link is up, no timeout doubling
    int invalid = 0;        // InvalidArgument refusals so far
    // accepted_ when this range (or the upload it was split from) was first
    // refused InvalidArgument; -1 before that.
    std::int64_t accepted_at_refusal = -1;
    bool acked = false;     // held at national, or set aside
  };

  void SendOne(InFlight& item, SteadyClock::time_point now);
  // false when there is nothing more to read, or it could not be read.
  bool AddNext(SteadyClock::time_point now);
  // Reads up to `limit` scans with id > `after` into `item` (none: count
  // 0). false when they could not be read.
  bool Read(std::int64_t after, int limit, InFlight& item);
  void OnRefused(std::deque<InFlight>::iterator it, const UploadAck& ack, SteadyClock::time_point now);
  // After kInvalidTries InvalidArgument refusals: two halves in its place,
  // sent now; or, for a single scan, set aside (settled). false when
  // neither is safe yet: it is retried after a backoff, as "not now".
  bool SplitOrSetAside(std::deque<InFlight>::iterator it, const UploadAck& ack, SteadyClock::time_point now);
  // Uploads in flight not yet acknowledged nor set aside.
  int Unsettled() const;

  LinkContext link_;
  std::int64_t uploaded_upto_;   // every scan with id <= this is held at national
  std::int64_t last_upload_ms_;  // when the cursor last moved
  std::int64_t sent_upto_;       // the last scan id handed to an upload
  std::int64_t newest_id_;       // the newest scan committed, as last read
  std::deque<InFlight> in_flight_;
  // Uploads national acknowledged this run: a refusal is about one scan
  // only when national took other uploads after it (else it is about the
  // upload itself: a version or format national does not take, and
  // setting scans aside for it would withhold the whole backlog).
  std::int64_t accepted_ = 0;
  SteadyClock::time_point next_refresh_{};
};

}  // namespace station
