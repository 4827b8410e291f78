// libFuzzer harness: stationd's config file reader (daemon/stationd_config.h),
// RELIABILITY.md T13. Any text is either settings or a refusal that says
// what was wrong (kInvalidArgument), never a crash, an exception or a hang.
// Settings that are accepted, written out as --print-config writes them and
// read back, are the same settings: the same text again.

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/program_options.hpp>

#include "daemon/stationd_config.h"
#include "fuzz/check.h"

namespace {

namespace po = boost::program_options;
using station::Code;
using station::Status;
using station::StationdOptions;
using station::fuzz::Fail;

void CheckRefusal(const char* what, const Status& status, const std::string& text) {
  if (status.code() != Code::kInvalidArgument || status.message().empty()) {
    Fail(what, "refused without a reason, or not as bad input: " + status.ToString() + "\n" + text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16 * 1024) return 0;  // a config file is a few KiB; longer inputs only slow the search
  const std::string text(reinterpret_cast<const char*>(data), size);
  StationdOptions options;
  po::variables_map vm;
  if (Status read = options.ReadConfig(text, "fuzz.conf", vm); !read.ok()) {
    CheckRefusal("reading", read, text);
    return 0;
  }
  auto settings = options.Finish();
  if (!settings.ok()) {
    CheckRefusal("checking", settings.status(), text);
    return 0;
  }
  auto printed = options.Format(vm);
  if (!printed.ok()) {
    // A value a config file cannot hold (a '#', a line break): refused by name.
    CheckRefusal("printing", printed.status(), text);
    return 0;
  }
  StationdOptions again;
  po::variables_map vm_again;
  if (Status read = again.ReadConfig(*printed, "printed.conf", vm_again); !read.ok()) {
    Fail("round trip", "--print-config's output is refused: " + read.ToString() + "\n" + *printed);
  }
  if (auto second = again.Finish(); !second.ok()) {
    Fail("round trip", "--print-config's output fails its check: " + second.status().ToString() + "\n" + *printed);
  }
  auto reprinted = again.Format(vm_again);
  if (!reprinted.ok() || *reprinted != *printed) {
    Fail("round trip", "printed differently the second time:\n" + *printed + "\n" +
                           (reprinted.ok() ? *reprinted : reprinted.status().ToString()));
  }
  return 0;
}
