#include "daemon/storage/outbox.h"

namespace station {

Result<bool> Outbox::Queue(const OutboxMessage& message, std::int64_t now_ms) {
  if (!insert_) {
    auto insert = sql::Stmt::Prepare(db_,
                                     "INSERT INTO outbox (msg_id, to_station, kind, body, created_ms)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (msg_id) DO NOTHING");
    if (!insert.ok()) return insert.status();
    insert_.emplace(std::move(*insert));
  }
  insert_->Reset();
  insert_->Bind(1, message.msg_id).Bind(2, message.to).Bind(3, message.kind).Bind(4, message.body).Bind(5, now_ms);
  if (Status s = insert_->Run(); !s.ok()) return s;
  return db_.Changes() > 0;
}

}  // namespace station
