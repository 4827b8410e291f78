#include "daemon/stationd_config.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include <spdlog/fmt/fmt.h>

namespace station {
namespace po = boost::program_options;
namespace {

std::string Trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The option's name as the file and the flags spell it: no dashes.
std::string Bare(std::string name) {
  while (!name.empty() && name[0] == '-') name.erase(0, 1);
  return name;
}

// A value's text the way parse_config_file reads it back: it drops what
// follows '#' and trims the ends, and a line ends the value.
bool Writable(const std::string& v) {
  return v.find_first_of("#\n\r") == std::string::npos && Trim(v) == v;
}

// One stored value as config file values (several for a repeatable option).
Result<std::vector<std::string>> ValueTexts(const std::string& name, const boost::any& value) {
  std::vector<std::string> out;
  if (auto* v = boost::any_cast<std::string>(&value)) {
    out.push_back(*v);
  } else if (auto* v = boost::any_cast<std::vector<std::string>>(&value)) {
    out = *v;
  } else if (auto* v = boost::any_cast<bool>(&value)) {
    out.push_back(*v ? "true" : "false");
  } else if (auto* v = boost::any_cast<int>(&value)) {
    out.push_back(std::to_string(*v));
  } else if (auto* v = boost::any_cast<long>(&value)) {
    out.push_back(std::to_string(*v));
  } else if (auto* v = boost::any_cast<long long>(&value)) {
    out.push_back(std::to_string(*v));
  } else if (auto* v = boost::any_cast<unsigned long>(&value)) {
    out.push_back(std::to_string(*v));
  } else if (auto* v = boost::any_cast<double>(&value)) {
    out.push_back(fmt::format("{}", *v));  // the shortest text that reads back the same
  } else {
    return Status::InvalidArgument("--" + name, "has a type --print-config cannot write");
  }
  for (const std::string& v : out) {
    if (!Writable(v)) {
      return Status::InvalidArgument("--" + name + " '" + v + "'",
                                     "a config file value cannot hold '#', a line break or space at either end");
    }
  }
  return out;
}

}  // namespace

StationdOptions::StationdOptions()
    : max_message_bytes_(s_.daemon.ingest.max_message_bytes),
      reconcile_every_s_(s_.daemon.reconcile.every_ms / 1000),
      grace_hours_(static_cast<double>(s_.daemon.reconcile.settings.grace_ms) / 3'600'000.0),
      answer_within_min_(s_.daemon.problems.settings.deadlines.answer_within_ms / 60'000),
      close_within_h_(s_.daemon.problems.settings.deadlines.close_within_ms / 3'600'000),
      settings_("Settings (also config file keys: key = value)") {
  DaemonConfig& config = s_.daemon;
  LogOptions& log = s_.log;
  settings_.add_options()
      ("station", po::value(&config.ingest.station), "this station's six-digit code (required)")
      ("data-dir", po::value(&config.data_dir), "folder for station.db and the run files (required)")
      ("ingest", po::value(&config.ingest.endpoint)->default_value(config.ingest.endpoint),
       "ZeroMQ endpoint the docks connect to; tcp://127.0.0.1:* picks a free port")
      ("control", po::value(&config.control),
       "the clerk's control socket for stationctl (default ipc://<data-dir>/control.sock)")
      ("metrics", po::value(&config.metrics.listen),
       "serve the status figures to Prometheus at http://HOST:PORT/metrics, e.g. 127.0.0.1:9571; port 0 or * "
       "picks a free one, written to stationd.json (default: none, off)")
      ("metrics-allow-remote", po::bool_switch(&config.metrics.allow_remote),
       "let --metrics listen on an address that is not loopback (the figures are not authenticated)")
      ("national", po::value(&config.uplink.endpoint),
       "the national system's endpoint (tcp://HOST:PORT); scans are uploaded there and its manifest fetched "
       "(default: none, no uplink)")
      ("national-key", po::value(&config.national_key),
       "national's public key, pinned: its .key file or the 40-character Z85 text (required with a tcp:// --national)")
      ("insecure", po::bool_switch(&config.insecure),
       "DEVELOPMENT ONLY: no CURVE authentication or encryption on the dock port and the national link; "
       "loopback endpoints only")
      ("national-heartbeat-ms", po::value(&config.uplink.heartbeat_ms)->default_value(config.uplink.heartbeat_ms),
       "a sync with national this often; no answer for 3x this (at least 3 s) marks the link down")
      ("national-reply-timeout-ms",
       po::value(&config.uplink.reply_timeout_ms)->default_value(config.uplink.reply_timeout_ms),
       "an upload not answered in this time is sent again (the wait doubles up to 60 s)")
      ("national-reconnect-max-ms",
       po::value(&config.uplink.reconnect_max_ms)->default_value(config.uplink.reconnect_max_ms),
       "reconnect attempts start 1 s apart and slow down to this")
      ("upload-window", po::value(&config.uplink.window)->default_value(config.uplink.window),
       "uploads in flight at once")
      ("upload-scans", po::value(&config.uplink.upload_scans)->default_value(config.uplink.upload_scans),
       "scans per upload")
      ("reconcile-every-s", po::value(&reconcile_every_s_)->default_value(reconcile_every_s_),
       "reconcile arrivals against the manifest this often, in seconds (0: only when a clerk asks)")
      ("reconcile-grace-hours", po::value(&grace_hours_)->default_value(grace_hours_),
       "a manifested parcel counts as missing this long after its dispatch")
      ("reconcile-grace", po::value(&grace_by_origin_)->composing(),
       "ORIGIN=HOURS: another grace period for parcels from this origin station (repeatable; "
       "the file's and the flags' are all kept)")
      ("problem-answer-within-min", po::value(&answer_within_min_)->default_value(answer_within_min_),
       "a problem case not answered by its origin station this long after it opened is escalated")
      ("problem-close-within-h", po::value(&close_within_h_)->default_value(close_within_h_),
       "a problem case not closed this long after it opened is escalated")
      ("damage-tolerance-g",
       po::value(&config.problems.settings.damage.grams)->default_value(config.problems.settings.damage.grams),
       "a damaged parcel this much lighter than declared, or less, is whole: rewrap and deliver")
      ("damage-tolerance-pct",
       po::value(&config.problems.settings.damage.percent)->default_value(config.problems.settings.damage.percent),
       "... or this % of the declared weight, when that is more; lighter than both: short, claim")
      ("retention-days", po::value(&config.retention_days)->default_value(config.retention_days),
       "stationctl prune never removes a scan received less than this many days ago (at least 365: DESIGN §4)")
      ("problem-clock-file", po::value(&config.problems.clock_file),
       "for tests: the problem desk's time is read from this file (Unix ms) instead of the clock")
      ("max-message-bytes", po::value(&max_message_bytes_)->default_value(max_message_bytes_),
       "largest batch body accepted, in bytes")
      ("min-free-mb", po::value(&config.ingest.disk.min_free_mb)->default_value(config.ingest.disk.min_free_mb),
       "batches are answered \"disk space low, retry later\" while the data folder's volume has less than "
       "this many MiB, or 10 %, free (whichever is more)")
      ("log-level", po::value(&log.level)->default_value(log.level),
       "trace, debug, info, warn, error, critical or off (SPDLOG_LEVEL overrides)")
      ("log-file", po::value(&log.file),
       "also log to this file, rotated by size (default: none, stderr only; under systemd the journal has it)")
      ("log-max-mb", po::value(&log.file_max_mb)->default_value(log.file_max_mb),
       "rotate the log file at this size in MiB (0.01 to 1024; a fraction is allowed: 0.05 = 50 KiB)")
      ("log-files", po::value(&log.file_count)->default_value(log.file_count),
       "rotated log files kept besides the current one (1 to 100): FILE.1.log ... FILE.N.log");
}

void StationdOptions::NoteFlags(const po::variables_map& vm) {
  for (const auto& [name, value] : vm) {
    if (!value.defaulted()) from_flags_.insert(name);
  }
}

std::string StationdOptions::ConfigError(const po::error_with_option_name& e, const std::string& source,
                                         const std::string& text) const {
  const std::string key = Bare(e.get_option_name());
  const auto found = file_lines_.find(key);
  const bool twice = dynamic_cast<const po::multiple_occurrences*>(&e) != nullptr;
  // A key given twice is wrong on its second line; a bad value on the
  // first (values are read in order, and a second line is refused as a repeat).
  const std::size_t i = twice && found != file_lines_.end() && found->second.size() > 1 ? 1 : 0;
  std::string where = "config file " + source;
  if (found != file_lines_.end()) where += " line " + std::to_string(found->second[i].line);
  // Written here, not by e.what(): Boost's message template loops forever
  // when a key or value holds its own placeholder ("%canonical_option%",
  // "%value%"; found by fuzz_config).
  if (dynamic_cast<const po::unknown_option*>(&e)) return where + ": unknown key '" + key + "'";
  if (twice) return where + ": '" + key + "' is given more than once";
  if (dynamic_cast<const po::validation_error*>(&e) && found != file_lines_.end()) {
    return where + ": '" + found->second[i].value + "' is not a valid value for '" + key + "'";
  }
  return where + ": " + (text.find('%') == std::string::npos ? e.what() : "'" + key + "' refused");
}

Status StationdOptions::ReadConfig(const std::string& text, const std::string& source, po::variables_map& vm) {
  source_ = source;
  // parse_config_file names the key but not the line: find the lines here.
  std::istringstream lines(text);
  std::string line;
  std::string section;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string content = Trim(line.substr(0, line.find('#')));
    if (content.empty()) continue;
    if (content.front() == '[' && content.back() == ']') {
      section = Trim(content.substr(1, content.size() - 2)) + ".";
      continue;
    }
    const auto eq = content.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("config file " + source + " line " + std::to_string(number),
                                     "'" + content + "' is not key = value");
    }
    file_lines_[section + Trim(content.substr(0, eq))].push_back({number, Trim(content.substr(eq + 1))});
  }
  try {
    std::istringstream in(text);
    po::store(po::parse_config_file(in, settings_), vm);
    po::notify(vm);
  } catch (const po::error_with_option_name& e) {
    return Status::InvalidArgument(ConfigError(e, source, text));
  } catch (const po::error& e) {
    return Status::InvalidArgument("config file " + source, e.what());
  }
  return Status::OK();
}

Status StationdOptions::Refuse(const std::string& name, const std::string& why) const {
  return Located(Status::InvalidArgument("--" + name, why));
}

Status StationdOptions::Located(const Status& status) const {
  const std::string& message = status.message();
  if (message.rfind("--", 0) != 0) return status;
  const std::string name = message.substr(2, message.find_first_of(" ':", 2) - 2);
  const auto found = file_lines_.find(name);
  if (found == file_lines_.end() || from_flags_.count(name)) return status;
  return Status::InvalidArgument(message + " (config file " + source_ + " line " +
                                 std::to_string(found->second.back().line) + ")");
}

Result<StationdSettings> StationdOptions::Finish() const {
  StationdSettings out = s_;
  DaemonConfig& config = out.daemon;
  config.ingest.max_message_bytes = max_message_bytes_;
  config.log_level = out.log.level;
  // Ranges are checked here, before the arithmetic could overflow;
  // ValidateConfig checks the results again.
  if (reconcile_every_s_ < 0 || reconcile_every_s_ > 7 * 24 * 3600) {
    return Refuse("reconcile-every-s", "must be between 0 and 604800");
  }
  if (!std::isfinite(grace_hours_) || grace_hours_ < 0 || grace_hours_ > 2160) {
    return Refuse("reconcile-grace-hours", "must be between 0 and 2160 (90 days)");
  }
  if (answer_within_min_ < 1 || answer_within_min_ > 7 * 24 * 60) {
    return Refuse("problem-answer-within-min", "must be between 1 and 10080 (7 days)");
  }
  if (close_within_h_ < 1 || close_within_h_ > 90 * 24) {
    return Refuse("problem-close-within-h", "must be between 1 and 2160 (90 days)");
  }
  config.problems.settings.deadlines.answer_within_ms = answer_within_min_ * 60'000;
  config.problems.settings.deadlines.close_within_ms = close_within_h_ * 3'600'000;
  config.reconcile.every_ms = reconcile_every_s_ * 1000;
  config.reconcile.settings.grace_ms = static_cast<std::int64_t>(grace_hours_ * 3'600'000.0);
  for (const std::string& g : grace_by_origin_) {
    const auto eq = g.find('=');
    char* end = nullptr;
    const double hours = eq == std::string::npos ? -1 : std::strtod(g.c_str() + eq + 1, &end);
    if (eq == std::string::npos || end == g.c_str() + eq + 1 || *end != '\0' || !std::isfinite(hours) || hours < 0 ||
        hours > 2160) {
      return Refuse("reconcile-grace", "'" + g + "': expected ORIGIN=HOURS (0..2160), e.g. 310001=48");
    }
    config.reconcile.settings.grace_by_origin_ms[g.substr(0, eq)] = static_cast<std::int64_t>(hours * 3'600'000.0);
  }
  if (Status s = CheckLogOptions(out.log); !s.ok()) return Located(s);
  if (Status s = ValidateConfig(config); !s.ok()) return Located(s);
  return out;
}

Result<std::string> StationdOptions::Format(const po::variables_map& vm) const {
  std::string out =
      "# stationd settings in effect (stationd --print-config): flags, then the config file, then the defaults.\n"
      "# Saved as a file, stationd --config FILE reads them back.\n";
  for (const auto& option : settings_.options()) {
    const std::string name = option->long_name();
    out += "\n# " + option->description() + "\n";
    const auto found = vm.find(name);
    if (found == vm.end() || found->second.empty()) {
      out += "# " + name + " =\n";
      continue;
    }
    auto texts = ValueTexts(name, found->second.value());
    if (!texts.ok()) return texts.status();
    if (texts->empty()) out += "# " + name + " =\n";
    for (const std::string& text : *texts) out += name + " = " + text + "\n";
  }
  return out;
}

Result<StationdSettings> ParseStationdConfigText(const std::string& text) {
  StationdOptions options;
  po::variables_map vm;
  if (Status s = options.ReadConfig(text, "(text)", vm); !s.ok()) return s;
  return options.Finish();
}

}  // namespace station
