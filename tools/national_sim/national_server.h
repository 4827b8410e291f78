#pragma once
// national-sim's service loop: a ROUTER that takes uploads, stores them
// before acknowledging, and can misbehave on purpose for fault tests.

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include <zmq.hpp>

#include "tools/national_sim/national_store.h"

namespace station::national {

struct Faults {
  int drop_replies_percent = 0;  // store, then do not answer this share of uploads
  std::int64_t exit_after = 0;   // exit (as if it crashed) after this many uploads; 0: never
  std::uint64_t seed = 1;        // for the drop decisions, so a run can be repeated
};

class NationalServer {
 public:
  static Result<std::unique_ptr<NationalServer>> Start(zmq::context_t& context, NationalStore& store,
                                                       const std::string& endpoint, const Faults& faults);
  const std::string& endpoint() const { return endpoint_; }
  // Serves until `stop_fd` is readable (OK), or the exit-after fault fires
  // (kUnavailable, "exit-after reached").
  Status Run(int stop_fd);

 private:
  NationalServer(zmq::context_t& context, NationalStore& store, const Faults& faults);
  std::string HandleUpload(std::vector<zmq::message_t>& frames);

  NationalStore& store_;
  Faults faults_;
  std::mt19937_64 rng_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::int64_t uploads_ = 0;
};

}  // namespace station::national
