#pragma once
// The sync heartbeat: a sync every heartbeat tells national this station
// is there and brings back its manifest rows and mail; any reply means the
// link is up, none for 3 heartbeats (3 s at least) means it is down.

#include <cstdint>
#include <string>
#include <string_view>

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
  // The link is up and national said nothing for HeartbeatTimeoutMs.
  bool Silent(SteadyClock::time_point now) const;
  int HeartbeatTimeoutMs() const;
  // Marks the link down; the sync in flight is given up.
  void LinkDown();

  // Sends a sync when one is due: none in flight and a heartbeat passed
  // (at once while national has more), or the one in flight is past the
  // reply timeout.
  void SendIfDue(SteadyClock::time_point now);
  // The clerk asked: a sync now, whatever is in flight.
  void Hurry();
  // Stores the manifest rows (`manifest_csv`, "" when none) and mail of a
  // reply, and moves the cursors over them.
  void OnReply(const SyncReply& reply, std::string_view manifest_csv);

 private:
  bool Due(SteadyClock::time_point now) const;
  void Send(SteadyClock::time_point now);

  LinkContext link_;
  std::int64_t manifest_seq_;  // national's manifest rows up to this are in station.db
  std::int64_t mail_seq_;      // and its mail up to this
  bool link_up_ = false;
  SteadyClock::time_point last_contact_{};
  SteadyClock::time_point last_sync_sent_{};
  // One sync in flight at a time: on a link slower than the heartbeat, a
  // new sync each heartbeat would queue page after page behind each other.
  // It is given up (and sent again) only after the reply timeout or when
  // the link goes down.
  std::string sync_req_;    // the sync in flight, "" when none
  bool sync_more_ = false;  // national said "more": sync again at once
};

}  // namespace station
