#include "tests/support/gun_keys.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "security/key_file.h"
#include "tests/support/station_process.h"
#include "tests/support/wait.h"

namespace station::test {
namespace {

// Made once with zmq_curve_keypair; none begins with '-'.
constexpr const char* kFixedSecretKeys[] = {
    "kZ]?f2lIVD:Bxa5.%FK1LY-Ie{(sQ#JhP3M<44)k",
    "gueezy5CK3M4IdA?l%f*N5RI0o>3fD@[AT2y<ZRG",
    "Bf+:g/mZ)x*&xy.A^k$2E+@byam5b:S2veTwC<:O",
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

GunKeys CreateGunKeys(const std::string& dir, const std::string& name) {
  std::filesystem::create_directories(dir);
  auto made = RunCommand({StationctlPath(), "keys", "create", name, "--out", dir}, std::chrono::seconds(20));
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  GunKeys keys{name, dir + "/" + name + ".key", dir + "/" + name + ".key_secret", ""};
  auto public_key = security::ReadPublicKey(keys.public_file);
  REQUIRE(public_key.ok());
  keys.public_key = *public_key;
  return keys;
}

GunKeys FixedGunKeys(const std::string& dir, const std::string& name, int which) {
  REQUIRE(which >= 0);
  REQUIRE(which < static_cast<int>(std::size(kFixedSecretKeys)));
  std::filesystem::create_directories(dir);
  auto public_key = security::PublicKeyOf(kFixedSecretKeys[which]);
  REQUIRE(public_key.ok());
  const security::CurveKeyPair pair{*public_key, kFixedSecretKeys[which]};
  REQUIRE(security::WriteKeyFiles(dir + "/" + name, pair, "gun " + name).ok());
  return {name, dir + "/" + name + ".key", dir + "/" + name + ".key_secret", *public_key};
}

void Enroll(const std::string& data_dir, const std::string& key_file, const std::string& role,
            const std::string& name) {
  auto r = RunStationctl(data_dir, {"keys", "enroll", key_file, "--" + role, name, "--by", "it-admin"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

std::size_t LogLength(const std::string& log_path) { return ReadAll(log_path).size(); }

bool WaitForKeysInForce(const std::string& log_path, std::size_t from, int active) {
  const std::string line = "keys changed: " + std::to_string(active) + " active";
  return WaitFor(
      [&] {
        const std::string text = ReadAll(log_path);
        return text.size() > from && text.find(line, from) != std::string::npos;
      },
      std::chrono::seconds(10));
}

}  // namespace station::test
