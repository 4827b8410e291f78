#pragma once
// A SQLite VFS that lets a test simulate power loss (RELIABILITY.md T2).
//
// The "powerloss" VFS wraps the default one. Before SQLite changes a file
// (a write or a truncate of the database, its WAL or its journal), the shim
// appends what is about to be overwritten to "<file>.undo"; when SQLite
// syncs the file, its undo journal is emptied. Kill the process with
// SIGKILL, call RevertUnsynced(), and each file is as it would be after a
// power cut that lost every write since its last sync: the harshest outcome
// that a disk honouring fsync allows.
//
// The undo journals are written without fsync on purpose: SIGKILL loses no
// page cache, and the simulated power cut happens only in RevertUnsynced().

#include <cstdint>
#include <string>

#include "core/status.h"

namespace station::test {

inline constexpr char kPowerlossVfsName[] = "powerloss";

// Registers the "powerloss" VFS as the process's default VFS, so that every
// connection goes through it. Call once, before the first sqlite3_open.
// kIOError when there is no default VFS to wrap or registration fails.
Status RegisterPowerlossVfs();

// What RevertUnsynced() undid.
struct RevertSummary {
  int files = 0;             // files with at least one unsynced change
  std::int64_t changes = 0;  // writes and truncates undone
};

// The power cut: for every "<file>.undo" in `dir`, undoes the recorded
// changes to <file> newest first, which leaves it as of its last sync, then
// deletes the undo journal. Also deletes "*-shm" files: the WAL index is
// rebuilt from the WAL at the next open. No process may have the files open.
// kIOError when a file cannot be read or restored.
Result<RevertSummary> RevertUnsynced(const std::string& dir);

}  // namespace station::test
