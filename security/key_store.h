#pragma once
// The allowlist: which guns and stations may connect, by public key, kept
// in keys.db in the data folder of stationd (guns) or national-sim
// (stations). stationctl writes it, whether or not a daemon runs; the
// daemon's ZAP handler reads it and notices a change within a second.
// Keys are never deleted: a revoked key stays, with who revoked it and
// when, so it cannot be enrolled again by mistake.

#include <cstdint>
#include <string>
#include <vector>

#include "sql/sqlite.h"
#include "core/status.h"

namespace station::security {

enum class KeyRole { kGun, kStation };
const char* KeyRoleName(KeyRole role);  // "gun", "station"

struct EnrolledKey {
  std::string public_key;  // Z85
  KeyRole role = KeyRole::kGun;
  std::string name;        // the gun's device id or the station's code: its identity on the link
  std::int64_t enrolled_ms = 0;
  std::string enrolled_by;
  std::int64_t revoked_ms = 0;  // 0: active
  std::string revoked_by;
  bool active() const { return revoked_ms == 0; }
};

// kInvalidArgument unless `name` can be an identity of `role`: a six-digit
// code for a station; 1 to 64 letters, digits, '.', '_' or '-' for a gun
// (the device= of its batch files).
Status CheckKeyName(KeyRole role, const std::string& name);

// keys.db beside station.db or national.db.
std::string KeyStorePath(const std::string& data_dir);

class KeyStore {
 public:
  static Result<KeyStore> Open(const std::string& path);

  // Enrolls `public_key` for `name`. kConflict when the key is enrolled
  // already (even to the same name) or was revoked: a revoked key is never
  // taken back; make a new pair. A name may have several active keys
  // (rotation: enroll the new one, then revoke the old one).
  Status Enroll(const std::string& public_key, KeyRole role, const std::string& name, const std::string& by,
                std::int64_t now_ms);

  // Revokes every active key of `name_or_key` (a name, or one public key).
  // Returns how many; kNotFound when none is active.
  Result<int> Revoke(const std::string& name_or_key, const std::string& by, std::int64_t now_ms);

  // Every key ever enrolled, by name, then enrollment time.
  Result<std::vector<EnrolledKey>> List();

  // Changes whenever another connection commits to keys.db (PRAGMA
  // data_version): cheap enough to ask every poll.
  Result<std::int64_t> Version();

 private:
  explicit KeyStore(sql::Db db) : db_(std::move(db)) {}
  sql::Db db_;
};

}  // namespace station::security
