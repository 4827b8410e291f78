#include "core/command_line.h"

#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iostream>
#include <vector>

namespace station {
namespace po = boost::program_options;

int UsageError(const char* program, const std::string& what) {
  std::cerr << program << ": " << what << " (see --help)\n";
  return 2;
}

namespace {

// The option `word` names ("--name", "--name=value", "-x"), or nullptr when
// it names none. An ambiguous abbreviation counts as an option: Boost then
// says which ones it could be.
const po::option_description* OptionNamed(const po::options_description& options, const std::string& word) {
  try {
    if (word.size() > 2 && word.compare(0, 2, "--") == 0) {
      return options.find_nothrow(word.substr(2, word.find('=') - 2), /*approx=*/true);
    }
    if (word.size() == 2) return options.find_nothrow(word, /*approx=*/false);  // "-h"
  } catch (const po::ambiguous_option&) {
    static const po::option_description kAmbiguous;
    return &kAmbiguous;
  }
  return nullptr;
}

// True when `word` has the shape of an option ("--some-flag", "--Force",
// "--x=1", "-x"), known or not: such a word is left to Boost, which names
// it when it is unknown, rather than taken as a file or folder name. A Z85
// key has that shape only by a chance far below one in a million; "--"
// before it always works. ("-force" is not: "-C1" may be a case's name.)
bool ShapedLikeOption(const std::string& word) {
  if (word.size() == 2) return word[0] == '-' && std::isalnum(static_cast<unsigned char>(word[1]));
  if (word.size() < 3 || word.compare(0, 2, "--") != 0) return false;
  const std::size_t end = std::min(word.find('='), word.size());
  if (end == 2) return false;
  for (std::size_t i = 2; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(word[i]);
    if (!(std::isalnum(c) || c == '-' || c == '_')) return false;
  }
  return true;
}

// `args` (argv without the program's name) reordered so that Boost sees
// every positional word after "--": a word that begins with '-' but names
// no option and does not look like one is a positional word (a CURVE key
// in Z85 may begin with '-': "-MLWdkz?s8D..."), and so is everything after
// a "--" of the user's. An option's value stays with it, whatever its
// first character ("--note -5").
std::vector<std::string> PositionalAfterDashes(const po::options_description& options, int argc, char** argv) {
  std::vector<std::string> flags, words;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") {
      words.insert(words.end(), argv + i + 1, argv + argc);
      break;
    }
    const po::option_description* option = word.size() > 1 && word[0] == '-' ? OptionNamed(options, word) : nullptr;
    if (!option) {
      (word.size() > 1 && ShapedLikeOption(word) ? flags : words).push_back(word);
      continue;
    }
    flags.push_back(word);
    const bool takes_value = option->semantic() && option->semantic()->min_tokens() > 0;
    if (!takes_value || word.find('=') != std::string::npos) continue;
    // Missing at the end: said here, or Boost would take the "--" below for it.
    if (i + 1 == argc) throw po::invalid_command_line_syntax(po::invalid_command_line_syntax::missing_parameter, word);
    flags.push_back(argv[++i]);
  }
  flags.push_back("--");
  flags.insert(flags.end(), words.begin(), words.end());
  return flags;
}

}  // namespace

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
    // A program that takes positional words takes them whatever their first
    // character; one that takes none lets Boost name an unknown option.
    if (positional.max_total_count() > 0) {
      po::store(po::command_line_parser(PositionalAfterDashes(all, argc, argv)).options(all).positional(positional).run(),
                vm);
    } else {
      po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    }
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
