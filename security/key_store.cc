#include "security/key_store.h"

#include <algorithm>
#include <cctype>

#include "scanner/identifiers.h"
#include "security/curve_key.h"

namespace station::security {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS curve_keys (
  public_key  TEXT PRIMARY KEY,  -- Z85, 40 characters
  role        TEXT NOT NULL CHECK (role IN ('gun', 'station')),
  name        TEXT NOT NULL,     -- the ZAP User-Id: a gun's device id or a station's code
  enrolled_ms INTEGER NOT NULL,
  enrolled_by TEXT NOT NULL,
  revoked_ms  INTEGER,           -- NULL: active
  revoked_by  TEXT
);
CREATE INDEX IF NOT EXISTS curve_keys_by_name ON curve_keys (name);
)sql";

KeyRole RoleFromName(std::string_view name) { return name == "station" ? KeyRole::kStation : KeyRole::kGun; }

}  // namespace

const char* KeyRoleName(KeyRole role) { return role == KeyRole::kStation ? "station" : "gun"; }

Status CheckKeyName(KeyRole role, const std::string& name) {
  if (role == KeyRole::kStation) {
    if (!IsStationCode(name)) return Status::InvalidArgument("station '" + name + "'", "a station code is six digits");
    return Status::OK();
  }
  const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
  if (!ok) {
    return Status::InvalidArgument("gun '" + name + "'",
                                   "a gun's name is its device id: 1 to 64 letters, digits, '.', '_' or '-'");
  }
  return Status::OK();
}

std::string KeyStorePath(const std::string& data_dir) { return data_dir + "/keys.db"; }

Result<KeyStore> KeyStore::Open(const std::string& path) {
  auto db = sql::Db::Open(path);
  if (!db.ok()) return db.status();
  if (Status s = db->Exec(kSchema); !s.ok()) return s;
  return KeyStore(std::move(*db));
}

Status KeyStore::Enroll(const std::string& public_key, KeyRole role, const std::string& name, const std::string& by,
                        std::int64_t now_ms) {
  if (!IsZ85Key(public_key)) return Status::InvalidArgument("public key", "not a 40-character Z85 key");
  if (Status s = CheckKeyName(role, name); !s.ok()) return s;
  auto txn = sql::Txn::Begin(db_);
  if (!txn.ok()) return txn.status();
  auto find = sql::Stmt::Prepare(db_, "SELECT role, name, revoked_ms FROM curve_keys WHERE public_key = ?");
  if (!find.ok()) return find.status();
  find->Bind(1, public_key);
  auto row = find->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    const std::string who = find->ColumnText(0) + " " + find->ColumnText(1);
    if (!find->ColumnIsNull(2)) {
      return Status::Conflict("key " + ShortKey(public_key),
                              "was enrolled for " + who + " and revoked; a revoked key is never taken back: create a new pair");
    }
    return Status::Conflict("key " + ShortKey(public_key), "is enrolled already, for " + who);
  }
  find->Reset();
  auto insert = sql::Stmt::Prepare(
      db_, "INSERT INTO curve_keys (public_key, role, name, enrolled_ms, enrolled_by) VALUES (?, ?, ?, ?, ?)");
  if (!insert.ok()) return insert.status();
  insert->Bind(1, public_key).Bind(2, std::string_view(KeyRoleName(role))).Bind(3, name).Bind(4, now_ms).Bind(5, by);
  if (Status s = insert->Run(); !s.ok()) return s;
  return txn->Commit();
}

Result<int> KeyStore::Revoke(const std::string& name_or_key, const std::string& by, std::int64_t now_ms) {
  auto update = sql::Stmt::Prepare(
      db_, "UPDATE curve_keys SET revoked_ms = ?1, revoked_by = ?2 WHERE (name = ?3 OR public_key = ?3) "
           "AND revoked_ms IS NULL");
  if (!update.ok()) return update.status();
  update->Bind(1, now_ms).Bind(2, by).Bind(3, name_or_key);
  if (Status s = update->Run(); !s.ok()) return s;
  const int revoked = db_.Changes();
  if (revoked == 0) return Status::NotFound("'" + name_or_key + "'", "no active key has this name or public key");
  return revoked;
}

Result<std::vector<EnrolledKey>> KeyStore::List() {
  auto select = sql::Stmt::Prepare(db_,
                                   "SELECT public_key, role, name, enrolled_ms, enrolled_by, revoked_ms, revoked_by "
                                   "FROM curve_keys ORDER BY name, enrolled_ms, public_key");
  if (!select.ok()) return select.status();
  std::vector<EnrolledKey> keys;
  Status s = select->ForEachRow([&keys](const sql::Stmt& row) {
    EnrolledKey k;
    k.public_key = row.ColumnText(0);
    k.role = RoleFromName(row.ColumnView(1));
    k.name = row.ColumnText(2);
    k.enrolled_ms = row.ColumnInt(3);
    k.enrolled_by = row.ColumnText(4);
    k.revoked_ms = row.ColumnIsNull(5) ? 0 : row.ColumnInt(5);
    k.revoked_by = row.ColumnText(6);
    keys.push_back(std::move(k));
  });
  if (!s.ok()) return s;
  return keys;
}

Result<std::int64_t> KeyStore::Version() { return db_.QueryInt("PRAGMA data_version"); }

}  // namespace station::security
