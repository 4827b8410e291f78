#include "tools/national_sim/national_server.h"

#include <chrono>

#include <spdlog/spdlog.h>

namespace station::national {
namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

NationalServer::NationalServer(zmq::context_t& context, NationalStore& store, const Faults& faults)
    : store_(store), faults_(faults), rng_(faults.seed), socket_(context, zmq::socket_type::router) {}

Result<std::unique_ptr<NationalServer>> NationalServer::Start(zmq::context_t& context, NationalStore& store,
                                                              const std::string& endpoint, const Faults& faults) {
  std::unique_ptr<NationalServer> server(new NationalServer(context, store, faults));
  try {
    server->socket_.set(zmq::sockopt::linger, 0);
    server->socket_.set(zmq::sockopt::router_mandatory, 1);
    server->socket_.set(zmq::sockopt::maxmsgsize, int64_t{64} << 20);
    server->socket_.set(zmq::sockopt::heartbeat_ivl, 10000);
    server->socket_.set(zmq::sockopt::heartbeat_timeout, 30000);
    server->socket_.bind(endpoint);
    server->endpoint_ = server->socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("bind " + endpoint, e.what());
  }
  return server;
}

std::string NationalServer::HandleUpload(std::vector<zmq::message_t>& frames) {
  UploadAck ack;
  const auto refuse = [&](const Status& s) {
    ack.ok = false;
    ack.code = CodeName(s.code());
    ack.error = s.message();
    return EncodeUploadAck(ack);
  };
  if (frames.size() != 3) return refuse(Status::InvalidArgument("upload", "two frames: a JSON header and a CSV body"));
  auto header = DecodeUploadHeader(frames[1].to_string_view());
  if (!header.ok()) return refuse(header.status());
  ack.req = header->req;
  auto scans = ReadUploadBody(frames[2].to_string_view());
  if (!scans.ok()) return refuse(scans.status());
  Status saved = store_.SaveUpload(header->station, *scans, NowMs(), ack.stored, ack.duplicates);
  if (!saved.ok()) {
    spdlog::error("upload not stored station={} error=\"{}\"", header->station, saved.ToString());
    return refuse(Status::Unavailable("storage failed, retry later", saved.message()));
  }
  ack.ok = true;
  for (const UploadedScan& s : *scans) ack.last_id = std::max(ack.last_id, s.id);
  spdlog::info("upload stored station={} scans={} stored={} duplicates={} last_id={}", header->station,
               scans->size(), ack.stored, ack.duplicates, ack.last_id);
  return EncodeUploadAck(ack);
}

Status NationalServer::Run(int stop_fd) {
  zmq::pollitem_t items[2] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, stop_fd, ZMQ_POLLIN, 0}};
  std::uniform_int_distribution<int> percent(0, 99);
  for (;;) {
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(1000));
      if (items[1].revents & ZMQ_POLLIN) return Status::OK();
      if (!(items[0].revents & ZMQ_POLLIN)) continue;
      for (;;) {
        std::vector<zmq::message_t> frames;
        for (;;) {
          zmq::message_t frame;
          auto got = socket_.recv(frame, frames.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
          if (!got) break;
          bool more = frame.more();
          if (frames.size() < 4) frames.push_back(std::move(frame));
          if (!more) break;
        }
        if (frames.empty()) break;
        std::string reply = HandleUpload(frames);
        ++uploads_;
        // Fault switches act after the commit: the scans are held, only the
        // answer is lost, as on a real network.
        if (faults_.drop_replies_percent > 0 && percent(rng_) < faults_.drop_replies_percent) {
          spdlog::debug("reply dropped on purpose upload={}", uploads_);
        } else {
          try {
            socket_.send(frames[0], zmq::send_flags::sndmore | zmq::send_flags::dontwait);
            socket_.send(zmq::buffer(reply), zmq::send_flags::dontwait);
          } catch (const zmq::error_t& e) {
            spdlog::debug("reply not delivered error=\"{}\"", e.what());
          }
        }
        if (faults_.exit_after > 0 && uploads_ >= faults_.exit_after) {
          return Status::Unavailable("exit-after reached", std::to_string(uploads_) + " uploads");
        }
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return Status::OK();
      return Status::Unavailable("national socket", e.what());
    }
  }
}

}  // namespace station::national
