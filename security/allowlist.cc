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

std::vector<std::string> Allowlist::LostKeys(const Allowlist& now) const {
  std::vector<std::string> lost;
  for (const auto& [who, count] : active_by_name_) {
    auto it = now.active_by_name_.find(who);
    if (it == now.active_by_name_.end() || it->second < count) lost.push_back(who.second);
  }
  return lost;
}

}  // namespace station::security
