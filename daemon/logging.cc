#include "daemon/logging.h"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace station {

Status InitLogging(const std::string& program, const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("--log-level '" + level + "'",
                                   "use trace, debug, info, warn, error, critical or off");
  }
  auto logger = spdlog::stderr_color_mt(program);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %n: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(parsed);
  spdlog::cfg::load_env_levels();
  return Status::OK();
}

}  // namespace station
