#include "core/command_line.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <cstring>
#include <iostream>

namespace station {
namespace po = boost::program_options;

int UsageError(const char* program, const std::string& what) {
  std::cerr << program << ": " << what << " (see --help)\n";
  return 2;
}

std::optional<int> ParseCommandLine(int argc, char** argv, const char* program, const po::options_description& visible,
                                    po::variables_map& vm, const po::options_description* hidden) {
  po::options_description all;
  all.add(visible);
  po::positional_options_description positional;
  if (hidden) {
    all.add(*hidden);
    if (hidden->find_nothrow("words", false)) positional.add("words", -1);
  }
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << visible << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error_with_option_name& e) {
    // Boost builds this message by replacing placeholders ("%canonical_option%",
    // "%value%") until none is left, which never ends when an argument holds
    // one itself (found by fuzz_config): then the message is written here.
    for (int i = 1; i < argc; ++i) {
      if (std::strchr(argv[i], '%')) return UsageError(program, "option '" + e.get_option_name() + "' refused");
    }
    return UsageError(program, e.what());
  } catch (const po::error& e) {
    return UsageError(program, e.what());
  }
  return std::nullopt;
}

Result<int> OpenStopSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return Status::IOError("block SIGTERM and SIGINT");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) return Status::IOError("signalfd");
  return fd;
}

}  // namespace station
