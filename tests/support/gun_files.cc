#include "tests/support/gun_files.h"

#include <stdexcept>

namespace station::test {

void WriteFileAtomically(const std::string& path, const std::string& text) {
  if (Status s = sim::WriteFileAtomically(path, text); !s.ok()) throw std::runtime_error(s.ToString());
}

}  // namespace station::test
