#pragma once
// The dock agent: sends every batch file in the spool to stationd, in parts,
// with several parts in flight, and files each away once all its parts are
// acknowledged. Every part is resent until answered; stationd stores by
// (device, batch, seq), so a resend is harmless. No REQ lockstep: a DEALER
// socket, per-part timeouts, and a resend of everything in flight when the
// connection drops.

#include <chrono>
#include <cstdint>
#include <string>

#include "core/status.h"
#include "security/link_security.h"

namespace station {

struct DockOptions {
  std::string endpoint;  // stationd's ingest endpoint
  std::string spool;     // the spool folder
  bool once = false;     // handle what is there, then stop
  std::size_t part_rows = 1000;  // rows a message
  int window = 8;                // messages in flight
  std::chrono::milliseconds ack_timeout{5000};  // resend a part unanswered this long
  // --once: give up when nothing was acknowledged for this long.
  std::chrono::milliseconds give_up{60000};
  std::chrono::milliseconds rescan{500};  // how often to look for new files
  // CURVE: stationd's public key, pinned, and this gun's own pair.
  security::ClientSecurity security;
  // --once: give up after stationd refused the key, or the handshake
  // failed, this many times in a row.
  int auth_refusals_to_give_up = 3;
};

struct DockReport {
  int files_done = 0;
  int files_rejected = 0;
  int files_unfinished = 0;  // not acknowledged when it stopped, unreadable, or not filed away
  bool key_refused = false;  // stationd refused this gun's key, or its batches as another gun's
  // The last handshakes were cut short: most likely a wrong station key.
  bool handshake_failed = false;
  std::int64_t accepted = 0;
  std::int64_t duplicates = 0;
  std::int64_t rejected_rows = 0;
  std::int64_t conflicts = 0;
  std::int64_t refused_parts = 0;  // parts of otherwise delivered files refused whole (see their .ack.json)
};

// Runs until `stop_fd` is readable, or with `once` until the files present
// at the start are all answered (or it gives up). Non-OK only when the
// spool or the socket cannot be used at all.
Result<DockReport> RunDockAgent(const DockOptions& options, int stop_fd);

}  // namespace station
