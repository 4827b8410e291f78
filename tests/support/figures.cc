#include "tests/support/figures.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace station::test {

void PrintFigures(const char* format, ...) {
  char line[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  std::fputs(line, stdout);
  std::fflush(stdout);
  if (const char* path = std::getenv("STATION_FIGURES_FILE")) {
    if (std::FILE* f = std::fopen(path, "a")) {
      std::fputs(line, f);
      std::fclose(f);
    }
  }
}

}  // namespace station::test
