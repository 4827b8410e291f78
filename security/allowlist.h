#pragma once
// One snapshot of keys.db, and the ZAP decision it gives (RFC 27): which
// key may connect on which domain, and as whom. Pure: no I/O.

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "security/key_store.h"

namespace station::security {

// The ZAP domains of our two server sockets. A gun's key opens only the
// station's dock port, a station's key only national's port.
inline constexpr const char* kGunDomain = "scanners";
inline constexpr const char* kStationDomain = "stations";

struct ZapDecision {
  bool allowed = false;
  std::string user_id;  // the enrolled name: every message of the connection carries it
  std::string why;      // when refused, for the security log
};

class Allowlist {
 public:
  Allowlist() = default;
  explicit Allowlist(const std::vector<EnrolledKey>& keys);

  // `client_key` is the Z85 text of the client's long-term public key.
  ZapDecision Decide(std::string_view domain, std::string_view mechanism, std::string_view client_key) const;

  // True while `name` has an active key of `role`.
  bool IsActive(KeyRole role, const std::string& name) const;

  // True while `key` (Z85) is enrolled for `role` and not revoked: checked
  // on every message, so a revoked key is refused even before its
  // connection is closed, and after a rotation the new key of the same
  // name still works.
  bool IsKeyActive(KeyRole role, const std::string& key) const;

  // The keys active here and not in `now`, with their names: their open
  // connections must be closed (ZAP is asked only at handshake).
  struct LostKey {
    std::string name, key;
  };
  std::vector<LostKey> LostKeys(const Allowlist& now) const;

  std::size_t active_count() const { return active_keys_; }

 private:
  std::unordered_map<std::string, EnrolledKey> by_key_;
  std::map<std::pair<KeyRole, std::string>, int> active_by_name_;
  std::size_t active_keys_ = 0;
};

}  // namespace station::security
