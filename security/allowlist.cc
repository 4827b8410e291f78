#include "security/allowlist.h"

#include "security/curve_key.h"

namespace station::security {

Allowlist::Allowlist(const std::vector<EnrolledKey>& keys) {
  for (const EnrolledKey& k : keys) {
    by_key_[k.public_key] = k;
    if (k.active()) {
      ++active_by_name_[{k.role, k.name}];
      ++active_keys_;
    }
  }
}

ZapDecision Allowlist::Decide(std::string_view domain, std::string_view mechanism, std::string_view client_key) const {
  ZapDecision d;
  KeyRole wanted;
  if (domain == kGunDomain) {
    wanted = KeyRole::kGun;
  } else if (domain == kStationDomain) {
    wanted = KeyRole::kStation;
  } else {
    d.why = "unknown ZAP domain '" + std::string(domain) + "'";
    return d;
  }
  if (mechanism != "CURVE") {
    d.why = "mechanism " + std::string(mechanism) + " (only CURVE is accepted)";
    return d;
  }
  auto it = by_key_.find(std::string(client_key));
  if (it == by_key_.end()) {
    d.why = "key " + ShortKey(client_key) + " is not enrolled";
    return d;
  }
  const EnrolledKey& k = it->second;
  const std::string who = std::string(KeyRoleName(k.role)) + " " + k.name;
  if (!k.active()) {
    d.why = "key " + ShortKey(client_key) + " of " + who + " was revoked by " + k.revoked_by;
    return d;
  }
  if (k.role != wanted) {
    d.why = "key " + ShortKey(client_key) + " is enrolled for " + who + ", not for a " + KeyRoleName(wanted);
    return d;
  }
  d.allowed = true;
  d.user_id = k.name;
  return d;
}

bool Allowlist::IsActive(KeyRole role, const std::string& name) const {
  return active_by_name_.count({role, name}) > 0;
}

bool Allowlist::IsKeyActive(KeyRole role, const std::string& key) const {
  auto it = by_key_.find(key);
  return it != by_key_.end() && it->second.active() && it->second.role == role;
}

std::vector<Allowlist::LostKey> Allowlist::LostKeys(const Allowlist& now) const {
  std::vector<LostKey> lost;
  for (const auto& [key, k] : by_key_) {
    if (!k.active()) continue;
    auto it = now.by_key_.find(key);
    if (it == now.by_key_.end() || !it->second.active()) lost.push_back({k.name, key});
  }
  return lost;
}

}  // namespace station::security
