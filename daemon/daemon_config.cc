#include "daemon/daemon_config.h"

#include "scanner/identifiers.h"
#include "security/link_security.h"

namespace station {
namespace {

// The station, its folders and sockets, and what the operator set about storage.
Status CheckStationAndFolders(const DaemonConfig& config) {
  if (!IsStationCode(config.ingest.station)) {
    return Status::InvalidArgument("--station '" + config.ingest.station + "'", "a station code is six digits");
  }
  if (config.data_dir.empty()) return Status::InvalidArgument("--data-dir", "is required");
  if (config.ingest.endpoint.empty()) return Status::InvalidArgument("--ingest", "is required");
  if (config.ingest.max_message_bytes < 4096 || config.ingest.max_message_bytes > (64u << 20)) {
    return Status::InvalidArgument("--max-message-bytes", "must be between 4096 and 67108864");
  }
  if (config.ingest.disk.min_free_mb < 0 || config.ingest.disk.min_free_mb > 1'000'000) {
    return Status::InvalidArgument("--min-free-mb", "must be between 0 and 1000000");
  }
  if (config.retention_days < 365 || config.retention_days > 36'500) {
    return Status::InvalidArgument("--retention-days",
                                   "must be between 365 and 36500: scans are kept at least a year (DESIGN §4)");
  }
  if (!config.metrics.listen.empty()) {
    if (auto listen = ParseMetricsListen(config.metrics); !listen.ok()) return listen.status();
  }
  if (config.db.synchronous != "FULL" && config.db.synchronous != "NORMAL") {
    return Status::InvalidArgument("synchronous", "must be FULL (or NORMAL for the power-loss test only)");
  }
  if (!config.control.empty() && !security::IsIpcEndpoint(config.control) &&
      !(config.insecure && security::CheckLoopbackOnly(config.control, "--control").ok())) {
    return Status::InvalidArgument("--control '" + config.control + "'",
                                   "must be ipc:// (a socket file guarded by the data folder's permissions): the "
                                   "clerk's commands are not authenticated by key");
  }
  return Status::OK();
}

// The link to national: loopback only when insecure, its key, its timings.
Status CheckNationalLink(const DaemonConfig& config) {
  const UplinkOptions& u = config.uplink;
  if (config.insecure) {
    if (Status s = security::CheckLoopbackOnly(config.ingest.endpoint, "--ingest"); !s.ok()) return s;
    if (!u.endpoint.empty()) {
      if (Status s = security::CheckLoopbackOnly(u.endpoint, "--national"); !s.ok()) return s;
    }
  } else if (!u.endpoint.empty() && !security::IsIpcEndpoint(u.endpoint) && config.national_key.empty()) {
    return Status::InvalidArgument("--national-key",
                                   "is required with a tcp:// --national: national's public key (its .key file), "
                                   "so that this station talks only to the real national system");
  }
  if (!u.endpoint.empty()) {
    if (u.endpoint.rfind("tcp://", 0) != 0 && u.endpoint.rfind("ipc://", 0) != 0) {
      return Status::InvalidArgument("--national '" + u.endpoint + "'", "must be a tcp:// or ipc:// endpoint");
    }
    if (u.heartbeat_ms < 100 || u.heartbeat_ms > 60'000) {
      return Status::InvalidArgument("--national-heartbeat-ms", "must be between 100 and 60000");
    }
    if (u.reply_timeout_ms < 200 || u.reply_timeout_ms > 600'000) {
      return Status::InvalidArgument("--national-reply-timeout-ms", "must be between 200 and 600000");
    }
    if (u.reconnect_max_ms < 1000 || u.reconnect_max_ms > 600'000) {
      return Status::InvalidArgument("--national-reconnect-max-ms", "must be between 1000 and 600000");
    }
    if (u.window < 1 || u.window > 256) return Status::InvalidArgument("--upload-window", "must be between 1 and 256");
    if (u.upload_scans < 1 || u.upload_scans > 50'000) {
      return Status::InvalidArgument("--upload-scans", "must be between 1 and 50000");
    }
  }
  return Status::OK();
}

// When reconciliation runs and how long a parcel may be late.
Status CheckReconciliation(const DaemonConfig& config) {
  const ReconcilerOptions& r = config.reconcile;
  if (r.every_ms < 0 || r.every_ms > 7LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--reconcile-every-s", "must be between 0 and 604800");
  }
  if (r.settings.grace_ms < 0 || r.settings.grace_ms > 90LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--reconcile-grace-hours", "must be between 0 and 2160 (90 days)");
  }
  for (const auto& [origin, ms] : r.settings.grace_by_origin_ms) {
    if (!IsStationCode(origin)) {
      return Status::InvalidArgument("--reconcile-grace '" + origin + "'", "the origin is a six-digit station code");
    }
    if (ms < 0 || ms > 90LL * 24 * 3600 * 1000) {
      return Status::InvalidArgument("--reconcile-grace " + origin, "must be at most 2160 hours (90 days)");
    }
  }
  return Status::OK();
}

// The problem desk's deadlines and the damage rule.
Status CheckProblemDesk(const DaemonConfig& config) {
  const ProblemSettings& p = config.problems.settings;
  if (p.deadlines.answer_within_ms < 60'000 || p.deadlines.answer_within_ms > 7LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--problem-answer-within-min", "must be between 1 and 10080 (7 days)");
  }
  if (p.deadlines.close_within_ms < 3'600'000 || p.deadlines.close_within_ms > 90LL * 24 * 3600 * 1000) {
    return Status::InvalidArgument("--problem-close-within-h", "must be between 1 and 2160 (90 days)");
  }
  if (p.damage.grams < 0 || p.damage.grams > 100'000) {
    return Status::InvalidArgument("--damage-tolerance-g", "must be between 0 and 100000");
  }
  if (!(p.damage.percent >= 0 && p.damage.percent <= 100)) {
    return Status::InvalidArgument("--damage-tolerance-pct", "must be between 0 and 100");
  }
  return Status::OK();
}

}  // namespace

Status ValidateConfig(const DaemonConfig& config) {
  for (auto check : {CheckStationAndFolders, CheckNationalLink, CheckReconciliation, CheckProblemDesk}) {
    if (Status s = check(config); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace station
