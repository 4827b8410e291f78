#include "tools/stationctl/control_client.h"

#include <zmq.hpp>

#include "daemon/storage/run_file.h"

namespace station {

Result<ControlReply> CallDaemon(const std::string& data_dir, const ControlRequest& request, const std::string& body,
                                std::chrono::milliseconds timeout, std::string* raw_reply) {
  auto daemon = FindRunningDaemon(data_dir);
  if (!daemon.ok()) return Status::Unavailable("stationd is not running", daemon.status().message());
  if (daemon->control.empty()) return Status::Unavailable("stationd has no control socket");
  std::string reply_text;
  try {
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
    socket.connect(daemon->control);
    const std::string header = EncodeControlRequest(request);
    socket.send(zmq::buffer(header), body.empty() ? zmq::send_flags::none : zmq::send_flags::sndmore);
    if (!body.empty()) socket.send(zmq::buffer(body), zmq::send_flags::none);
    zmq::message_t reply;
    if (!socket.recv(reply)) {
      return Status::Unavailable("stationd did not answer within " + std::to_string(timeout.count() / 1000) + " s");
    }
    reply_text = reply.to_string();
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("control socket " + daemon->control, e.what());
  }
  if (raw_reply) *raw_reply = reply_text;
  return DecodeControlReply(reply_text);
}

}  // namespace station
