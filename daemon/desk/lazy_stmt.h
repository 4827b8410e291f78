#pragma once
// A statement prepared on its first use and kept for its connection's
// life, for the desk's classes that own their statements: a caller that
// makes one call prepares only what that call uses, a thread that makes
// thousands prepares each statement once.

#include <optional>

#include "sql/sqlite.h"

namespace station {

class LazyStmt {
 public:
  // The statement of `text` on `db`, ready to bind: prepared the first
  // time, reset with its bindings cleared every time after. REQUIRES: the
  // same `db` and `text` every time (the SQL stays beside its one caller).
  Result<sql::Stmt*> Get(sql::Db& db, const char* text) {
    if (!stmt_) {
      auto prepared = sql::Stmt::Prepare(db, text);
      if (!prepared.ok()) return prepared.status();
      stmt_.emplace(std::move(*prepared));
    } else {
      stmt_->Reset();
    }
    return &*stmt_;
  }

 private:
  std::optional<sql::Stmt> stmt_;
};

}  // namespace station
