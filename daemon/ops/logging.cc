#include "daemon/ops/logging.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include <spdlog/cfg/env.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace station {
namespace {

constexpr double kMinFileMb = 0.01;  // 10 KiB: a few dozen lines
constexpr double kMaxFileMb = 1024;

// True when systemd connected our stderr to the journal: JOURNAL_STREAM
// holds "DEVICE:INODE" of that stream (systemd.exec(5)). Compared with
// stderr itself, because a child whose stderr was redirected inherits the
// variable without the stream.
bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

// "%*": the line's syslog priority as sd-daemon(3) reads it from the start
// of a line ("<3>" error ... "<7>" debug), which journald keeps as the
// entry's PRIORITY.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view prefix;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::info: prefix = "<6>"; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      default: break;
    }
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

spdlog::sink_ptr StderrSink() {
  if (StderrIsJournal()) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%l %n: %v");
    sink->set_formatter(std::move(formatter));
    return sink;
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();  // colour only on a terminal
  sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %n: %v");
  return sink;
}

}  // namespace

Status CheckLogOptions(const LogOptions& options) {
  auto parsed = spdlog::level::from_str(options.level);
  if (parsed == spdlog::level::off && options.level != "off") {
    return Status::InvalidArgument("--log-level '" + options.level + "'",
                                   "use trace, debug, info, warn, error, critical or off");
  }
  if (!std::isfinite(options.file_max_mb) || options.file_max_mb < kMinFileMb || options.file_max_mb > kMaxFileMb) {
    return Status::InvalidArgument("--log-max-mb", "must be between 0.01 and 1024");
  }
  if (options.file_count < 1 || options.file_count > 100) {
    return Status::InvalidArgument("--log-files", "must be between 1 and 100");
  }
  return Status::OK();
}

Status InitLogging(const std::string& program, const LogOptions& options) {
  if (Status s = CheckLogOptions(options); !s.ok()) return s;
  std::vector<spdlog::sink_ptr> sinks{StderrSink()};
  if (!options.file.empty()) {
    const auto max_bytes = static_cast<std::size_t>(std::llround(options.file_max_mb * 1024 * 1024));
    try {
      auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          options.file, max_bytes, static_cast<std::size_t>(options.file_count));
      file->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %n: %v");
      sinks.push_back(std::move(file));
    } catch (const spdlog::spdlog_ex& e) {
      return Status::IOError("--log-file '" + options.file + "'", e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>(program, sinks.begin(), sinks.end());
  // Every line reaches the file at once (fflush, not fsync): the lines
  // just before a crash are the ones worth reading.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options.level));
  spdlog::cfg::load_env_levels();
  return Status::OK();
}

Status InitLogging(const std::string& program, const std::string& level) {
  LogOptions options;
  options.level = level;
  return InitLogging(program, options);
}

}  // namespace station
