#include "tests/support/text_file.h"

#include <fstream>
#include <sstream>

namespace station::test {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool LogHas(const std::string& path, const std::string& words) { return ReadText(path).find(words) != std::string::npos; }

}  // namespace station::test
