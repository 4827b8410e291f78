// libFuzzer harness: the clerk's channel, stationctl <-> stationd
// (wire/control.h). The first byte picks the decoder, the rest is
// the frame:
//   Q  DecodeControlRequest (read by stationd)
//   R  DecodeControlReply   (read by stationctl)
// any other byte picks one by its value. A request that decodes must come
// back the same through EncodeControlRequest. A reply has no one encoder
// (each command has its own), so each part of the decoded reply goes
// through the encoder of the command that carries it and must come back the
// same (fuzz/check.h, CheckRoundTrip).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wire/control.h"
#include "fuzz/check.h"

namespace {

using station::ControlReply;
using station::fuzz::CheckRoundTrip;

void CheckReplyParts(const ControlReply& reply) {
  const auto decode = station::DecodeControlReply;
  CheckRoundTrip(
      "ping reply", reply, [](const ControlReply& r) { return station::EncodePing("", r.station); }, decode);
  CheckRoundTrip(
      "manifest_import reply", reply, [](const ControlReply& r) { return station::EncodeManifestImport("", r.import); },
      decode);
  CheckRoundTrip(
      "uplink reply", reply, [](const ControlReply& r) { return station::EncodeUplinkStatus("", r.uplink); }, decode);
  CheckRoundTrip(
      "reconcile reply", reply,
      [](const ControlReply& r) { return station::EncodeReconcileStatus("", r.ticket, r.reconcile); }, decode);
  CheckRoundTrip(
      "discrepancy_close reply", reply,
      [](const ControlReply& r) { return station::EncodeDiscrepancyClosed("", r.discrepancy); }, decode);
  CheckRoundTrip(
      "problem reply", reply, [](const ControlReply& r) { return station::EncodeProblemReply("", r.problem); }, decode);
  CheckRoundTrip(
      "prune reply", reply,
      [](const ControlReply& r) { return station::EncodePruneStatus("", r.prune_ticket, r.retention_days, r.prune); },
      decode);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view frame(reinterpret_cast<const char*>(data) + 1, size - 1);
  const char pick = static_cast<char>(data[0]);
  const bool request = pick == 'Q' || (pick != 'R' && data[0] % 2 == 0);
  if (request) {
    auto r = station::DecodeControlRequest(frame);
    if (r.ok()) {
      CheckRoundTrip("control request", *r, station::EncodeControlRequest, station::DecodeControlRequest,
                     station::kMaxControlRequestBytes);
    }
  } else {
    auto reply = station::DecodeControlReply(frame);
    if (reply.ok()) CheckReplyParts(*reply);
  }
  return 0;
}
