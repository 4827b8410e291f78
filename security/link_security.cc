#include "security/link_security.h"

namespace station::security {

void ApplyServerSecurity(zmq::socket_t& socket, const ServerSecurity& security) {
  if (!security.curve) return;
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, security.secret_key);
  socket.set(zmq::sockopt::zap_domain, security.zap_domain);
  const int enforce = 1;
  if (zmq_setsockopt(socket.handle(), kZapEnforceDomain, &enforce, sizeof enforce) != 0) throw zmq::error_t();
}

void ApplyClientSecurity(zmq::socket_t& socket, const ClientSecurity& security) {
  if (!security.curve) return;
  socket.set(zmq::sockopt::curve_serverkey, security.server_key);
  socket.set(zmq::sockopt::curve_publickey, security.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, security.own.secret_key);
}

bool IsIpcEndpoint(const std::string& endpoint) { return endpoint.rfind("ipc://", 0) == 0; }

Status CheckLoopbackOnly(const std::string& endpoint, const std::string& flag) {
  if (IsIpcEndpoint(endpoint) || endpoint.rfind("inproc://", 0) == 0) return Status::OK();
  for (const char* host : {"tcp://127.0.0.1:", "tcp://localhost:", "tcp://[::1]:"}) {
    if (endpoint.rfind(host, 0) == 0) return Status::OK();
  }
  return Status::InvalidArgument(flag + " '" + endpoint + "'",
                                 "--insecure allows only ipc:// or tcp:// on 127.0.0.1, localhost or [::1]; "
                                 "anything else must use CURVE keys");
}

Status CheckLibzmqForCurve(int major, int minor, int patch, bool has_curve) {
  const std::string version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (std::make_tuple(major, minor, patch) < std::make_tuple(4, 3, 4)) {
    return Status::Unavailable("libzmq " + version,
                               "is older than 4.3.4, which fixed known CURVE/ZAP faults (CVE-2020-15166); upgrade it");
  }
  if (!has_curve) return Status::Unavailable("libzmq " + version, "was built without CURVE (zmq_has(\"curve\") is 0)");
  return Status::OK();
}

Status CheckLibzmqForCurve() {
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  return CheckLibzmqForCurve(major, minor, patch, zmq_has("curve") != 0);
}

}  // namespace station::security
