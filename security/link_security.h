#pragma once
// How a socket is secured, in one place for every program: CURVE with an
// enforcing ZAP domain on servers (RELIABILITY.md §3), a pinned server key
// and the client's own pair on clients. ipc:// endpoints (a file on this
// machine, guarded by its permissions) and the explicit --insecure
// development switch stay unauthenticated.

#include <string>

#include <zmq.hpp>

#include "security/curve_key.h"

namespace station::security {

// ZMQ_ZAP_ENFORCE_DOMAIN sits behind ZMQ_BUILD_DRAFT_API in zmq.h, yet
// Debian's libzmq 4.3.4 takes it (RELIABILITY.md V3): without it a CURVE
// server with no ZAP handler lets any key in.
inline constexpr int kZapEnforceDomain = 93;

struct ServerSecurity {
  bool curve = false;       // false: NULL mechanism (ipc:// or --insecure)
  std::string secret_key;   // the server's own (Z85)
  std::string zap_domain;   // kGunDomain or kStationDomain
};

struct ClientSecurity {
  bool curve = false;
  std::string server_key;   // the server's public key, pinned (Z85)
  CurveKeyPair own;         // this client's long-term pair
};

// Sets the options before bind/connect. Throws zmq::error_t as the other
// socket options do.
void ApplyServerSecurity(zmq::socket_t& socket, const ServerSecurity& security);
void ApplyClientSecurity(zmq::socket_t& socket, const ClientSecurity& security);

bool IsIpcEndpoint(const std::string& endpoint);

// kInvalidArgument unless `endpoint` stays on this machine (ipc://, or tcp://
// on 127.0.0.1, localhost or [::1]): the only places --insecure may be used.
Status CheckLoopbackOnly(const std::string& endpoint, const std::string& flag);

// The startup guard of RELIABILITY.md T16 on the libzmq at hand: version
// 4.3.4 or later (CVE-2020-15166 and earlier CURVE/ZAP faults) with CURVE.
Status CheckLibzmqForCurve(int major, int minor, int patch, bool has_curve);
Status CheckLibzmqForCurve();  // the libzmq this process runs with

}  // namespace station::security
