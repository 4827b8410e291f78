#include "tests/faults/fault_support.h"

#include <cstdlib>
#include <stdexcept>

#include "daemon/storage/run_file.h"
#include "tests/support/gun_files.h"

namespace station::test {

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
ScopedEnv::~ScopedEnv() { ::unsetenv(name_); }

std::int64_t EnvNumber(const char* name, std::int64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoll(text, nullptr, 10) : fallback;
}

const char* AnswerName(Answer answer) {
  switch (answer) {
    case Answer::kStored:
      return "stored";
    case Answer::kRetryLater:
      return "retry later";
    case Answer::kOther:
      return "other";
    case Answer::kNone:
      break;
  }
  return "no answer";
}

RawDock::RawDock(zmq::context_t& context, const std::string& endpoint) : socket_(context, zmq::socket_type::dealer) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.connect(endpoint);
}

void RawDock::Send(const std::string& batch, int rows, std::uint64_t seed) {
  GunFileSpec spec;
  spec.device = kFaultDevice;
  spec.station = kFaultStation;
  spec.batch = batch;
  spec.rows = rows;
  spec.seed = seed;
  const std::string header = EncodeBatchHeader({batch, /*first_line=*/3});
  const std::string body = MakeGunFile(spec);
  socket_.send(zmq::buffer(header), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(body), zmq::send_flags::none);
}

std::optional<BatchAck> RawDock::Receive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
  zmq::message_t reply;
  if (!socket_.recv(reply, zmq::recv_flags::dontwait)) return std::nullopt;
  auto ack = DecodeBatchAck(reply.to_string_view());
  if (!ack.ok()) throw std::runtime_error("undecodable reply: " + reply.to_string());
  return *ack;
}

Answer RawDock::Call(const std::string& batch, int rows, std::uint64_t seed, std::chrono::milliseconds timeout,
                     BatchAck* out) {
  Send(batch, rows, seed);
  auto ack = Receive(timeout);
  if (!ack) return Answer::kNone;
  if (out) *out = *ack;
  return Classify(*ack, rows);
}

Answer Classify(const BatchAck& ack, int rows) {
  if (ack.ok) return ack.accepted + ack.duplicates == rows ? Answer::kStored : Answer::kOther;
  return ack.code == "Unavailable" ? Answer::kRetryLater : Answer::kOther;
}

std::int64_t StoredRows(sql::Db& db, const std::string& batch) {
  auto count = sql::Stmt::Prepare(db, "SELECT count(*) FROM scans_full WHERE device = ?1 AND batch = ?2");
  if (!count.ok()) throw std::runtime_error(count.status().ToString());
  count->Bind(1, std::string_view(kFaultDevice)).Bind(2, std::string_view(batch));
  auto row = count->Step();
  if (!row.ok() || !*row) throw std::runtime_error("count rows of " + batch + ": " + row.status().ToString());
  const std::int64_t n = count->ColumnInt(0);
  count->Reset();  // no read transaction left open
  return n;
}

sql::Db OpenTestConnection(const std::string& data_dir) {
  sql::OpenOptions options;
  options.create = false;
  auto db = sql::Db::Open(DatabasePath(data_dir), options);
  if (!db.ok()) throw std::runtime_error(db.status().ToString());
  return std::move(*db);
}

}  // namespace station::test
