#pragma once
// The sync heartbeat: a sync every heartbeat tells national this station
// is there, brings back its manifest rows and mail, and asks about uploads
// whose replies have not come. Any reply of any kind means the link is up;
// none at all for 3 heartbeats (3 s at least) means it is down.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/uplink/link_context.h"
#include "wire/national.h"

namespace station {

class SyncHeartbeat {
 public:
  // Resumes from the manifest and mail cursors in station.db.
  SyncHeartbeat(LinkContext link, const UplinkCursors& cursors);

  bool link_up() const { return link_up_; }
  // National answered something. true when that brings the link up.
  bool Contact(SteadyClock::time_point now);
  // The link is up and national said nothing at all for HeartbeatTimeoutMs.
  bool Silent(SteadyClock::time_point now) const;
  int HeartbeatTimeoutMs() const;
  // Marks the link down. The heartbeat goes on at its period: the next
  // reply of any kind brings the link up again.
  void LinkDown();
  // The connection closed: the sync in flight died with it.
  void ConnectionLost();

  // Sends a sync when one is due: a heartbeat after the last one (at once
  // while national has more), or, while the last one is unanswered, half a
  // heartbeat after it (ReplaceAfterMs): a lost reply is followed up before
  // the heartbeat timeout has only two answers it could have had.
  // `unanswered_uploads`: the reqs the sync asks national about
  // (UploadWindow::Unanswered).
  void SendIfDue(SteadyClock::time_point now, std::vector<std::string> unanswered_uploads);
  // The clerk asked: a sync now, whatever is in flight.
  void Hurry();
  // The uploads the sync `req` asked about; empty when it asked about none
  // or is no longer remembered.
  std::vector<std::string> AskedIn(const std::string& req) const;
  // Stores the manifest rows (`manifest_csv`, "" when none) and mail of a
  // reply, and moves the cursors over them. A late reply to a sync that
  // was replaced is applied too: the cursors only move forward.
  void OnReply(const SyncReply& reply, std::string_view manifest_csv, SteadyClock::time_point now);

 private:
  bool Due(SteadyClock::time_point now) const;
  // How long a sync may go unanswered before a new one replaces it: half a
  // heartbeat, or twice the smoothed time national took to answer syncs
  // when that is longer (a slow link fetching big manifest pages); a
  // heartbeat, at least 1 s, before any sync was answered; at most the
  // reply timeout.
  int ReplaceAfterMs() const;
  void Send(SteadyClock::time_point now, std::vector<std::string> unanswered_uploads);

  LinkContext link_;
  std::int64_t manifest_seq_;  // national's manifest rows up to this are in station.db
  std::int64_t mail_seq_;      // and its mail up to this
  bool link_up_ = false;
  SteadyClock::time_point last_contact_{};
  SteadyClock::time_point last_sync_sent_{};
  std::string sync_req_;    // the newest sync, "" when answered (or none)
  bool sync_more_ = false;  // national said "more": sync again at once
  int sync_rtt_ms_ = -1;    // smoothed time national took to answer a sync; -1: none yet
  // The last few syncs sent, with the uploads each asked about, so that a
  // late reply is matched to its question.
  struct Sent {
    std::string req;
    SteadyClock::time_point at;
    std::vector<std::string> uploads;
  };
  std::deque<Sent> sent_;
};

}  // namespace station
