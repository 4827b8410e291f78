#include "daemon/uplink/sync_heartbeat.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "core/clock.h"
#include "scanner/manifest.h"

namespace station {
namespace {

using std::chrono::milliseconds;

// Syncs whose questions are kept for their replies: a reply later than
// this many heartbeats is applied all the same, only its answers about
// uploads are not (those uploads go again at their reply timeout).
constexpr std::size_t kSyncsRemembered = 8;

}  // namespace

SyncHeartbeat::SyncHeartbeat(LinkContext link, const UplinkCursors& cursors)
    : link_(link), manifest_seq_(cursors.manifest_seq), mail_seq_(cursors.mail_seq) {}

bool SyncHeartbeat::Contact(SteadyClock::time_point now) {
  last_contact_ = now;
  link_.status.last_contact_ms = NowMs();
  if (link_up_) return false;
  link_up_ = true;
  link_.status.link_changed_ms = link_.status.last_contact_ms;
  return true;
}

int SyncHeartbeat::HeartbeatTimeoutMs() const { return std::max(3 * link_.options.heartbeat_ms, 3000); }

bool SyncHeartbeat::Silent(SteadyClock::time_point now) const {
  return link_up_ && now - last_contact_ > milliseconds(HeartbeatTimeoutMs());
}

void SyncHeartbeat::LinkDown() { link_up_ = false; }

void SyncHeartbeat::ConnectionLost() {
  link_up_ = false;
  sync_req_.clear();
}

int SyncHeartbeat::ReplaceAfterMs() const {
  const int wait = sync_rtt_ms_ < 0 ? std::max(link_.options.heartbeat_ms, 1000)
                                    : std::max(link_.options.heartbeat_ms / 2, 2 * sync_rtt_ms_);
  return std::min(wait, link_.options.reply_timeout_ms);
}

bool SyncHeartbeat::Due(SteadyClock::time_point now) const {
  if (!sync_req_.empty()) return now - last_sync_sent_ >= milliseconds(ReplaceAfterMs());
  return (sync_more_ && link_up_) || now - last_sync_sent_ >= milliseconds(link_.options.heartbeat_ms);
}

void SyncHeartbeat::SendIfDue(SteadyClock::time_point now, std::vector<std::string> unanswered_uploads) {
  if (Due(now)) Send(now, std::move(unanswered_uploads));
}

void SyncHeartbeat::Send(SteadyClock::time_point now, std::vector<std::string> unanswered_uploads) {
  sync_req_ = link_.sender.NextReq("s");
  last_sync_sent_ = now;
  sync_more_ = false;
  SyncRequest request{sync_req_, link_.station, manifest_seq_, mail_seq_, std::move(unanswered_uploads)};
  // Not queued: no connection yet (ZMQ_IMMEDIATE). Try again in 100 ms
  // rather than a heartbeat later, so a link that comes back (or that the
  // clerk's upload reconnected) is found at once. Costs nothing on the wire.
  if (!link_.sender.Send(EncodeSyncRequest(request), nullptr)) {
    sync_req_.clear();
    last_sync_sent_ = now - milliseconds(link_.options.heartbeat_ms) + milliseconds(100);
    return;
  }
  sent_.push_back({sync_req_, now, std::move(request.uploads)});
  if (sent_.size() > kSyncsRemembered) sent_.pop_front();
}

void SyncHeartbeat::Hurry() {
  last_sync_sent_ = {};
  sync_req_.clear();
}

std::vector<std::string> SyncHeartbeat::AskedIn(const std::string& req) const {
  for (const Sent& s : sent_) {
    if (s.req == req) return s.uploads;
  }
  return {};
}

void SyncHeartbeat::OnReply(const SyncReply& reply, std::string_view manifest_csv, SteadyClock::time_point now) {
  if (reply.req == sync_req_) sync_req_.clear();
  for (const Sent& s : sent_) {
    if (s.req != reply.req) continue;
    const int rtt_ms = static_cast<int>(std::chrono::duration_cast<milliseconds>(now - s.at).count());
    sync_rtt_ms_ = sync_rtt_ms_ < 0 ? rtt_ms : (7 * sync_rtt_ms_ + rtt_ms) / 8;
  }
  // An older sync's answer (one replaced by a newer sync) is still good:
  // replies come in the order of the requests, so it is not older than
  // what was applied, unless the cursor is already past it.
  if (reply.manifest_to < manifest_seq_) return;
  UplinkStatus& status = link_.status;
  if (!reply.ok) {
    status.last_error = reply.code + ": " + reply.error;
    return;
  }
  Manifest manifest;
  if (!manifest_csv.empty()) {
    auto read = ReadManifest(manifest_csv);
    if (!read.ok()) {
      spdlog::error("national sent a manifest this station cannot read: {}", LogText(read.status().ToString()));
      status.last_error = "manifest from national: " + read.status().message();
      return;
    }
    manifest = std::move(*read);
  }
  if (manifest.rows.empty() && manifest.problems.empty() && reply.mail.empty() && reply.manifest_to <= manifest_seq_) {
    return;  // nothing new: no write
  }
  auto applied = link_.store.ApplySync(manifest, reply.manifest_to, reply.mail, NowMs());
  if (!applied.ok()) {
    spdlog::error("could not store what national sent: {}", LogText(applied.status().ToString()));
    return;  // the cursors did not move: it comes again with the next sync
  }
  manifest_seq_ = std::max(manifest_seq_, reply.manifest_to);
  for (const MailItem& m : reply.mail) mail_seq_ = std::max(mail_seq_, m.seq);
  const int rows = applied->manifest.stored + applied->manifest.updated;
  status.manifest_rows_received += rows;
  status.mail_received += applied->mail_new;
  if (rows > 0 || applied->mail_new > 0 || !applied->manifest.rejected.empty()) {
    spdlog::info("from national: manifest new={} updated={} rejected={} mail={}", applied->manifest.stored,
                 applied->manifest.updated, applied->manifest.rejected.size(), applied->mail_new);
  }
  sync_more_ = reply.manifest_more || reply.mail_more;
}

}  // namespace station
