#include "tools/stationctl/upload.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/utf8.h"
#include "daemon/storage/run_file.h"
#include "tools/stationctl/control_client.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using std::chrono::milliseconds;

// "3 min 12 s", "2 h 5 min": how long ago, for a clerk.
std::string Age(std::int64_t since_ms) {
  std::int64_t s = std::max<std::int64_t>(0, (NowMs() - since_ms) / 1000);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
  return std::to_string(s / 86400) + " d " + std::to_string(s / 3600 % 24) + " h";
}

Result<UplinkStatus> Call(const std::string& data_dir, const char* cmd) {
  auto reply = CallDaemon(data_dir, {std::string("u-") + cmd, cmd, ""}, "", milliseconds(5000));
  if (!reply.ok()) return reply.status();
  if (!reply->ok) return Status::Unavailable(reply->code + ": " + reply->error);
  return reply->uplink;
}

nlohmann::json UplinkJson(const UplinkStatus& s) {
  return {{"configured", s.configured}, {"national", s.endpoint}, {"link_up", s.link_up},
          {"link_changed_ms", s.link_changed_ms}, {"last_contact_ms", s.last_contact_ms},
          {"last_upload_ms", s.last_upload_ms}, {"uploaded_upto", s.uploaded_upto},
          {"backlog", s.backlog}, {"oldest_waiting_ms", s.oldest_waiting_ms},
          {"uploaded_this_run", s.uploaded_this_run}, {"resends", s.resends}, {"last_error", s.last_error}};
}

std::string LinkLine(const UplinkStatus& s) {
  if (!s.configured) return "not configured (stationd runs without --national)";
  std::string line = std::string(s.link_up ? "up" : "DOWN") + " to " + s.endpoint;
  if (s.link_changed_ms > 0) line += std::string(s.link_up ? ", up for " : ", down for ") + Age(s.link_changed_ms);
  if (!s.link_up && s.last_contact_ms > 0) line += ", last contact " + LocalTime(s.last_contact_ms);
  if (!s.last_error.empty()) line += "; national said: " + s.last_error;
  return line;
}

void DrawBar(bool tty, std::int64_t done, std::int64_t total, double rate, const UplinkStatus& s) {
  constexpr int kWidth = 30;
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] ";
  std::string text = bar + std::to_string(static_cast<int>(fraction * 100)) + "%  " + Count(done) + " of " +
                     Count(total) + " scans up";
  if (rate > 0) text += ", " + Count(static_cast<std::int64_t>(rate)) + " scans/s";
  if (!s.link_up) text += "  (link down: waiting for national)";
  if (tty) {
    std::cout << "\r" << text << "\033[K" << std::flush;
  } else {
    std::cout << text << "\n" << std::flush;
  }
}

}  // namespace

Result<UplinkStatus> LiveUplink(const std::string& data_dir) { return Call(data_dir, "uplink_status"); }

void PrintUplink(std::ostream& out, const StationSummary& summary, const Result<UplinkStatus>& live) {
  const std::int64_t backlog = std::max<std::int64_t>(0, summary.newest_scan_id - summary.uploaded_upto);
  out << "\nNational system:\n";
  out << "  link:                 " << (live.ok() ? LinkLine(*live) : "unknown (" + live.status().message() + ")")
      << "\n";
  out << "  waiting to go up:     " << Count(backlog) << " scans";
  if (backlog > 0 && summary.oldest_waiting_ms > 0) out << ", oldest received " << Age(summary.oldest_waiting_ms) << " ago";
  if (live.ok() && live->set_aside > 0) {
    out << "\n  set aside:            " << Count(live->set_aside) << " scans national refused for good (latest: "
        << Utf8Excerpt(live->set_aside_reason, 200) << "); see: stationctl quarantine --kind national";
  }
  out << "\n  last upload:          "
      << (summary.last_upload_ms > 0 ? LocalTime(summary.last_upload_ms) + " (" + Age(summary.last_upload_ms) + " ago)"
                                     : std::string("never"))
      << "\n";
  out << "  manifest rows held:   " << Count(summary.manifest_rows) << "\n";
  out << "  messages in / out:    " << summary.inbox << " received, " << summary.outbox_waiting
      << " waiting to be sent";
  if (summary.outbox_refused > 0) {
    out << ", " << summary.outbox_refused << " refused by national (outbox.refused says why)";
  }
  out << "\n";
}

int CmdUpload(const CtlOptions& options) {
  auto first = Call(options.data_dir, "upload");
  if (!first.ok()) {
    std::cerr << "stationctl: " << first.status().ToString() << "\n";
    return 1;
  }
  if (!first->configured) {
    std::cerr << "stationctl: stationd has no national system to upload to (start it with --national ENDPOINT)\n";
    return 1;
  }
  if (options.no_wait || first->backlog == 0) {
    if (options.json) {
      std::cout << UplinkJson(*first).dump(2) << "\n";
    } else if (first->backlog == 0) {
      std::cout << "All scans are at the national system (link " << LinkLine(*first) << ").\n";
    } else {
      std::cout << "Upload requested: " << Count(first->backlog) << " scans waiting; link " << LinkLine(*first)
                << ".\n";
    }
    return 0;
  }
  const bool tty = !options.json && ::isatty(STDOUT_FILENO);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(options.timeout_s);
  const std::int64_t start_upto = first->uploaded_upto;
  std::int64_t total = first->backlog;
  UplinkStatus now = *first;
  auto last_print = start - std::chrono::hours(1);
  while (now.backlog > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      if (tty) std::cout << "\n";
      std::cerr << "stationctl: " << Count(now.backlog) << " scans still waiting after " << options.timeout_s
                << " s; link " << LinkLine(now) << ". They stay safe at the station and go up by themselves.\n";
      if (options.json) std::cout << UplinkJson(now).dump(2) << "\n";
      return 2;
    }
    std::this_thread::sleep_for(milliseconds(200));
    auto next = Call(options.data_dir, "uplink_status");
    if (!next.ok()) {
      if (tty) std::cout << "\n";
      std::cerr << "stationctl: " << next.status().ToString() << "\n";
      return 1;
    }
    now = *next;
    const std::int64_t done = now.uploaded_upto - start_upto;
    total = std::max(total, done + now.backlog);  // scans docked meanwhile join the bar
    const auto t = std::chrono::steady_clock::now();
    if (!options.json && (tty || t - last_print >= std::chrono::seconds(1) || now.backlog == 0)) {
      const double seconds = std::chrono::duration<double>(t - start).count();
      DrawBar(tty, done, total, seconds > 0 ? static_cast<double>(done) / seconds : 0, now);
      last_print = t;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.json) {
    nlohmann::json j = UplinkJson(now);
    j["uploaded_now"] = now.uploaded_upto - start_upto;
    j["seconds"] = seconds;
    std::cout << j.dump(2) << "\n";
  } else {
    if (tty) std::cout << "\n";
    std::cout << "All scans are at the national system: " << Count(now.uploaded_upto - start_upto) << " uploaded in "
              << static_cast<int>(seconds * 10) / 10.0 << " s.\n";
  }
  return 0;
}

}  // namespace station
