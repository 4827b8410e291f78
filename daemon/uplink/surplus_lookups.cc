#include "daemon/uplink/surplus_lookups.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/log_text.h"
#include "core/clock.h"
#include "scanner/identifiers.h"
#include "scanner/manifest.h"

namespace station {
namespace {

using std::chrono::milliseconds;

// A surplus waybill national did not know is asked again after this long:
// a manifest may reach national after the parcel reached us.
constexpr std::int64_t kLookupAgainMs = 24 * 3600 * 1000;

}  // namespace

void SurplusLookups::Send(SteadyClock::time_point now) {
  if (now < next_) return;
  if (!req_.empty()) {
    spdlog::warn("national did not answer lookup {} within {} ms; asking again", req_, link_.options.reply_timeout_ms);
    req_.clear();
  }
  next_ = now + milliseconds(link_.options.heartbeat_ms);
  const std::int64_t now_ms = NowMs();
  if (!QueueNewSurplus(now_ms)) return;
  auto waiting = ReadWaiting(now_ms);
  if (!waiting || waiting->empty()) return;
  LookupRequest request{link_.sender.NextReq("l"), link_.station, std::move(*waiting)};
  if (!link_.sender.Send(EncodeLookupRequest(request), nullptr)) {
    next_ = now + milliseconds(100);
    return;
  }
  req_ = request.req;
  asked_ = request.waybills.size();
  next_ = now + milliseconds(link_.options.reply_timeout_ms);
  if (Status s = link_.store.MarkLookupsSent(request.waybills, now_ms); !s.ok()) {
    spdlog::error("could not record lookup {} as sent: {}", request.req, s.ToString());  // a note only
  }
}

bool SurplusLookups::QueueNewSurplus(std::int64_t now_ms) {
  auto run = link_.store.LatestReconcileRun();
  if (!run.ok() || *run <= queued_run_) return true;
  if (Status s = link_.store.QueueLookups(now_ms, now_ms - kLookupAgainMs); !s.ok()) {
    spdlog::error("could not queue surplus parcels for lookup at national: {}", s.ToString());
    return false;
  }
  queued_run_ = *run;
  return true;
}

std::optional<std::vector<std::string>> SurplusLookups::ReadWaiting(std::int64_t now_ms) {
  auto waiting = link_.store.WaitingLookups(static_cast<int>(kMaxLookupWaybills));
  if (!waiting.ok()) {
    spdlog::error("cannot read the lookups waiting: {}", waiting.status().ToString());
    return std::nullopt;
  }
  // National refuses a whole lookup for one number it cannot read, and
  // would again each time: such a number (none should be stored) is set
  // aside as not found, to be asked again after a day.
  std::vector<std::string> unreadable;
  auto bad = [&](const std::string& w) {
    auto normal = NormalizeWaybill(w);
    if (normal.ok() && *normal == w) return false;
    unreadable.push_back(w);
    return true;
  };
  waiting->erase(std::remove_if(waiting->begin(), waiting->end(), bad), waiting->end());
  if (!unreadable.empty()) {
    spdlog::error("{} surplus waybills are not valid numbers and are not looked up at national, e.g. '{}'",
                  unreadable.size(), LogText(unreadable.front()));
    if (auto set_aside = link_.store.ApplyLookup({}, {}, unreadable, now_ms); !set_aside.ok()) {
      spdlog::error("could not set them aside: {}", set_aside.status().ToString());
    }
  }
  return std::move(*waiting);
}

void SurplusLookups::OnReply(const LookupReply& reply, std::string_view manifest_csv, SteadyClock::time_point now) {
  const bool current = reply.req == req_;
  if (current) req_.clear();
  UplinkStatus& status = link_.status;
  if (!reply.ok) {
    status.last_error = reply.code + ": " + reply.error;
    if (!current) return;  // an earlier send's refusal: the resend decides
    spdlog::warn("national refused a lookup ({}); asking again in about {} ms", LogText(status.last_error), backoff_ms_);
    next_ = now + milliseconds(link_.jitter.Around(backoff_ms_));
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
    return;
  }
  backoff_ms_ = 1000;
  // An answer to an earlier send is as good: national's rows are the same.
  Manifest rows;
  if (!manifest_csv.empty()) {
    auto read = ReadManifest(manifest_csv);
    if (!read.ok()) {
      spdlog::error("national answered a lookup with a manifest this station cannot read: {}",
                    LogText(read.status().ToString()));
      status.last_error = "lookup manifest from national: " + read.status().message();
      return;  // not marked answered: asked again after the reply timeout
    }
    rows = std::move(*read);
  }
  auto applied = link_.store.ApplyLookup(rows, reply.found, reply.not_found, NowMs());
  if (!applied.ok()) {
    spdlog::error("could not store national's answer to a lookup: {}", applied.status().ToString());
    return;
  }
  spdlog::info("lookup answered by national: found={} not_found={} manifest new={} updated={} rejected={}",
               reply.found.size(), reply.not_found.size(), applied->stored, applied->updated, applied->rejected.size());
  // The next waybills waiting, if any, at once; unless national left some
  // of these unanswered, which would only bring the same question back.
  if (current && reply.found.size() + reply.not_found.size() >= asked_) next_ = now;
}

void SurplusLookups::Forget() {
  req_.clear();
  next_ = {};  // ask again as soon as the link is back
}

}  // namespace station
