#pragma once
// Fault tests print their figures (acknowledged, stored, lost, duplicated).
// ctest hides a passing test's output, so the figures also go to the file
// named by $STATION_FIGURES_FILE, which scripts/test.sh prints at the end.

namespace station::test {

// printf-style; one call, one line.
void PrintFigures(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace station::test
