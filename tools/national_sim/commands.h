#pragma once
// national-sim's commands besides serving: loading manifest files (at start
// and with `manifest-add`) and `query`. Results go to stdout (text, or JSON
// with --json), diagnostics to stderr; each returns the exit code.

#include <string>
#include <vector>

#include "tools/national_sim/national_store.h"

namespace station::national {

// A manifest file loaded into national.db: the counts, and every row that
// was refused (the others are loaded all the same).
struct ManifestFileLoad {
  NationalStore::ManifestLoad counts;
  std::vector<ManifestProblem> rejected;
};
// Reads `path` and loads its good rows in one transaction. kNotFound when
// the file cannot be read, kInvalidArgument when its header row is missing
// or lacks a column (nothing is loaded then), kIOError when storing failed.
Result<ManifestFileLoad> LoadManifestFile(NationalStore& store, const std::string& path);

// `national-sim manifest-add`: 0 when every row was taken, 1 when a row was
// rejected (each is listed with its line and reason) or on failure.
int ManifestAdd(const std::string& data_dir, const std::string& file, bool as_json);

// `national-sim query`: per station (or only `station`), or one waybill's
// scans when `waybill` is given.
int Query(const std::string& data_dir, const std::string& station, const std::string& waybill, bool as_json);

}  // namespace station::national
