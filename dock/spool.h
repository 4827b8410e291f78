#pragma once
// The dock's spool folder: where docked guns leave batch files (*.csv; a
// dock writes under another name and renames when the file is complete),
// and where the agent files them once stationd has answered:
// done/ (acknowledged) and rejected/ (refused whole, with NAME.why beside).

#include <string>
#include <vector>

#include "core/status.h"

namespace station {

class Spool {
 public:
  // Creates done/ and rejected/ under `dir` if need be.
  static Result<Spool> Open(const std::string& dir);

  // Batch files waiting, oldest name first (names sort by batch).
  std::vector<std::string> Waiting() const;
  // The whole content of spool file `name`.
  Result<std::string> Read(const std::string& name) const;
  // Moves `name` to done/ and writes done/NAME.ack.json with `ack_json`.
  // A name already in done/ (a re-docked gun) gets a ".N" suffix.
  Status MarkDone(const std::string& name, const std::string& ack_json);
  // Moves `name` to rejected/ and writes rejected/NAME.why with `why`.
  Status MarkRejected(const std::string& name, const std::string& why);

  const std::string& dir() const { return dir_; }

 private:
  explicit Spool(std::string dir) : dir_(std::move(dir)) {}
  Status MoveInto(const std::string& sub, const std::string& name, const std::string& side_suffix,
                  const std::string& side_text);
  std::string dir_;
};

}  // namespace station
