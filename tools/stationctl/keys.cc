#include "core/clock.h"
#include "tools/stationctl/keys.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "security/key_file.h"
#include "security/key_store.h"
#include "tools/stationctl/clerk_request.h"
#include "tools/stationctl/table.h"

namespace station {
namespace {

using security::KeyRole;

// keys.db of the data folder. The folder must exist: a typo in --data-dir
// must not enroll a key into a file no daemon reads.
Result<security::KeyStore> OpenKeyStore(const CtlOptions& options) {
  struct stat st;
  if (::stat(options.data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::NotFound("data folder " + options.data_dir,
                            "does not exist (give the station's or national-sim's --data-dir)");
  }
  return security::KeyStore::Open(security::KeyStorePath(options.data_dir));
}

// The folder's own public key, made by its daemon on its first start.
std::string OwnPublicKey(const CtlOptions& options, std::string* file) {
  for (const char* name : {"station", "national"}) {
    const std::string path = options.data_dir + "/keys/" + name + ".key";
    auto key = security::ReadPublicKey(path);
    if (key.ok()) {
      *file = path;
      return *key;
    }
  }
  return std::string();
}

}  // namespace

int CmdKeysCreate(const CtlOptions& options, const std::string& name) {
  // The same rule as enrollment, so the pair made can be enrolled as NAME.
  const bool station = security::CheckKeyName(KeyRole::kStation, name).ok();
  if (Status s = security::CheckKeyName(KeyRole::kGun, name); !s.ok()) return Fail(s);
  auto pair = security::NewCurveKeyPair();
  if (!pair.ok()) return Fail(pair.status());
  std::error_code made;
  std::filesystem::create_directories(options.key_out, made);  // the secret file itself is 0600
  if (made) return Fail(Status::IOError("folder " + options.key_out, made.message()));
  const std::string base = options.key_out + "/" + name;
  if (Status s = security::WriteKeyFiles(base, *pair, (station ? "station " : "gun ") + name); !s.ok()) return Fail(s);
  if (options.json) {
    std::cout << nlohmann::json{{"name", name}, {"public_key", pair->public_key}, {"public_file", base + ".key"},
                                {"secret_file", base + ".key_secret"}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "created " << base << ".key (public: enroll it with stationctl keys enroll)\n"
            << "    and " << base << ".key_secret (secret, mode 0600: keep it on the " << (station ? "station" : "gun")
            << ", nowhere else)\n"
            << "public key " << pair->public_key << "\n";
  return 0;
}

int CmdKeysEnroll(const CtlOptions& options, const std::string& file_or_key) {
  if (options.gun.empty() == options.station.empty()) {
    return Fail(Status::InvalidArgument("keys enroll", "give exactly one of --gun DEVICE or --station CODE"));
  }
  const KeyRole role = options.gun.empty() ? KeyRole::kStation : KeyRole::kGun;
  const std::string& name = options.gun.empty() ? options.station : options.gun;
  auto key = security::ReadPublicKey(file_or_key);
  if (!key.ok()) return Fail(key.status());
  if (file_or_key.find(".key_secret") != std::string::npos) {
    std::cerr << "stationctl: warning: " << file_or_key
              << " is a secret key file; only its public key is enrolled. Enroll the .key file next time: the "
                 "secret one should never leave the "
              << (options.gun.empty() ? "station" : "dock") << "\n";
  }
  auto store = OpenKeyStore(options);
  if (!store.ok()) return Fail(store.status());
  if (Status s = store->Enroll(*key, role, name, ClerkName(options), NowMs()); !s.ok()) return Fail(s);
  if (options.json) {
    std::cout << nlohmann::json{{"enrolled", name}, {"role", KeyRoleName(role)}, {"public_key", *key}}.dump(2) << "\n";
  } else {
    std::cout << "enrolled " << KeyRoleName(role) << " " << name << " (key " << security::ShortKey(*key)
              << "); a running daemon lets it in within a second\n";
  }
  return 0;
}

int CmdKeysList(const CtlOptions& options) {
  auto store = OpenKeyStore(options);
  if (!store.ok()) return Fail(store.status());
  auto keys = store->List();
  if (!keys.ok()) return Fail(keys.status());
  std::string own_file;
  const std::string own = OwnPublicKey(options, &own_file);
  if (options.json) {
    nlohmann::json out = {{"own_public_key", own}, {"keys", nlohmann::json::array()}};
    for (const security::EnrolledKey& k : *keys) {
      out["keys"].push_back({{"name", k.name},
                             {"role", KeyRoleName(k.role)},
                             {"public_key", k.public_key},
                             {"state", k.active() ? "active" : "revoked"},
                             {"enrolled_ms", k.enrolled_ms},
                             {"enrolled_by", k.enrolled_by},
                             {"revoked_ms", k.revoked_ms},
                             {"revoked_by", k.revoked_by}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (!own.empty()) std::cout << "this folder's own public key: " << own << " (" << own_file << ")\n";
  if (keys->empty()) {
    std::cout << "no keys enrolled: nobody can connect (stationctl keys enroll FILE --gun DEVICE)\n";
    return 0;
  }
  Table table({"name", "role", "key", "state", "enrolled", "by", "revoked", "by"});
  int active = 0;
  for (const security::EnrolledKey& k : *keys) {
    active += k.active() ? 1 : 0;
    table.AddRow({k.name, KeyRoleName(k.role), security::ShortKey(k.public_key), k.active() ? "active" : "revoked",
                  LocalTime(k.enrolled_ms), k.enrolled_by, LocalTime(k.revoked_ms), k.active() ? "" : k.revoked_by});
  }
  table.Print(std::cout);
  std::cout << Count(active) << " active, " << Count(static_cast<std::int64_t>(keys->size()) - active)
            << " revoked\n";
  return 0;
}

int CmdKeysRevoke(const CtlOptions& options, const std::string& name_or_key) {
  auto store = OpenKeyStore(options);
  if (!store.ok()) return Fail(store.status());
  auto revoked = store->Revoke(name_or_key, ClerkName(options), NowMs());
  if (!revoked.ok()) return Fail(revoked.status());
  if (options.json) {
    std::cout << nlohmann::json{{"revoked", name_or_key}, {"keys", *revoked}}.dump(2) << "\n";
  } else {
    std::cout << "revoked " << *revoked << " key(s) of " << name_or_key
              << "; a running daemon refuses them and closes their connections within a second\n";
  }
  return 0;
}

}  // namespace station
