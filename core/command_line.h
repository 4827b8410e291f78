#pragma once
// What every program's thin main does the same way (DESIGN §6): parse the
// flags, answer --help, refuse bad arguments with one line and exit code 2,
// and turn SIGTERM/SIGINT into a file descriptor a poll loop can watch.

#include <optional>
#include <string>

#include <boost/program_options.hpp>

#include "core/status.h"

namespace station {

// Parses `argv` against `visible` (what --help shows) and `hidden`; when
// `hidden` has an option named "words", the positional arguments go there,
// whatever their first character: a word beginning with '-' that names no
// option is one ("keys revoke -MLWdkz?s8D..."), and so is every word after
// "--". An option's value is the word after it, even one beginning with '-'.
// A mistyped option then reaches the program as a word: it says so.
// Returns the exit code when the program should stop now (0 after --help,
// 2 after a one-line reason on stderr), or nullopt to go on.
std::optional<int> ParseCommandLine(int argc, char** argv, const char* program,
                                    const boost::program_options::options_description& visible,
                                    boost::program_options::variables_map& vm,
                                    const boost::program_options::options_description* hidden = nullptr);

// Prints "program: what (see --help)" to stderr and returns 2.
int UsageError(const char* program, const std::string& what);

// Blocks SIGTERM and SIGINT in the calling thread (threads started later
// inherit it, so no system call is interrupted) and returns a descriptor
// that becomes readable when one arrives. Call before starting threads.
Result<int> OpenStopSignalFd();

}  // namespace station
