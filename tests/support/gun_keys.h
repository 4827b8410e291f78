#pragma once
// Gun key pairs for tests that run stationd with CURVE: made with stationctl
// keys create, or fixed, and enrolled the clerk's way; and a bounded wait for
// stationd to put a change of keys.db in force.

#include <string>

namespace station::test {

// A gun's key pair on disk: NAME.key and NAME.key_secret.
struct GunKeys {
  std::string name, public_file, secret_file;
  std::string public_key;  // the Z85 text, for commands that take the key itself
};

// A fresh pair from stationctl keys create NAME --out DIR.
GunKeys CreateGunKeys(const std::string& dir, const std::string& name);

// The same pair every run (`which` picks one of a few), written as stationctl
// writes them: a test that passes a key's text to a command must not hang on
// a random key's first character (one public key in 85 begins with '-').
GunKeys FixedGunKeys(const std::string& dir, const std::string& name, int which);

// stationctl keys enroll KEY_FILE --ROLE NAME --by it-admin; REQUIREs exit 0.
void Enroll(const std::string& data_dir, const std::string& key_file, const std::string& role,
            const std::string& name);

// The length of stationd's log now, to wait for what comes after.
std::size_t LogLength(const std::string& log_path);

// Waits (up to 10 s) until stationd's log, past `from`, says the keys in
// force changed to `active` active keys ("keys changed: N active"): the ZAP
// handler looks at keys.db twice a second. Needs stationd at --log-level info.
bool WaitForKeysInForce(const std::string& log_path, std::size_t from, int active);

}  // namespace station::test
