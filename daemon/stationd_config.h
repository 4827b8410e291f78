#pragma once
// stationd's settings as the operator writes them. Every flag is also a
// config file key of the same name (key = value lines); flags win over the
// file, the file over the defaults. The same table checks the values and
// writes the settings in effect back out in the file's format
// (--print-config), so what it prints can be saved as a config file.

#include <boost/program_options.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/daemon_config.h"
#include "daemon/ops/logging.h"
#include "core/status.h"

namespace station {

// Everything stationd needs to start.
struct StationdSettings {
  DaemonConfig daemon;
  LogOptions log;
};

class StationdOptions {
 public:
  StationdOptions();  // the defaults
  // The options are bound to this object's members: it stays where it is.
  StationdOptions(const StationdOptions&) = delete;
  StationdOptions& operator=(const StationdOptions&) = delete;

  // The settings: the flags that are also config file keys.
  const boost::program_options::options_description& settings() const { return settings_; }

  // Call once the command line is stored in `vm`: remembers which settings
  // came from flags, so that later errors can say where a value came from.
  void NoteFlags(const boost::program_options::variables_map& vm);

  // Reads config file text (key = value lines, '#' comments) into `vm`
  // and notifies it; a value already stored from a flag wins. `source`
  // names the file in errors. kInvalidArgument names the file, the line and
  // the key: an unknown key, a bad value, a key given twice.
  Status ReadConfig(const std::string& text, const std::string& source,
                    boost::program_options::variables_map& vm);

  // The settings from the stored values, every range checked.
  // kInvalidArgument names the option, and the file and line when the
  // config file set it.
  Result<StationdSettings> Finish() const;

  // The settings in effect as a config file: each key with its help as a
  // comment; settings with no value appear commented out.
  // kInvalidArgument for a value a config file cannot hold (a '#' or a
  // line break in it, or space at either end).
  Result<std::string> Format(const boost::program_options::variables_map& vm) const;

 private:
  // The message for Boost's refusal `e` of the config file's text.
  std::string ConfigError(const boost::program_options::error_with_option_name& e, const std::string& source,
                          const std::string& text) const;
  // `why` about option `name`, with where the config file set it.
  Status Refuse(const std::string& name, const std::string& why) const;
  // The same for an error whose message starts with "--name".
  Status Located(const Status& status) const;

  StationdSettings s_;
  // Options whose value is converted before use.
  std::size_t max_message_bytes_;
  std::int64_t reconcile_every_s_;
  double grace_hours_;
  std::vector<std::string> grace_by_origin_;
  std::int64_t answer_within_min_;
  std::int64_t close_within_h_;

  boost::program_options::options_description settings_;
  std::set<std::string> from_flags_;
  std::string source_;                      // the config file read, if any
  struct FileLine {
    int line = 0;
    std::string value;
  };
  std::map<std::string, std::vector<FileLine>> file_lines_;  // key -> where that file sets it
};

// Config file text to settings, as stationd --config does, without flags
// (for the config parser's fuzz harness). The same errors as above.
Result<StationdSettings> ParseStationdConfigText(const std::string& text);

}  // namespace station
