#pragma once
// CurveZMQ key pairs (RFC 26) in the Z85 text form libzmq takes: 40
// characters for 32 bytes. Pure code over libzmq's own key functions.

#include <string>
#include <string_view>

#include "core/status.h"

namespace station::security {

inline constexpr std::size_t kZ85KeyLength = 40;

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85; never logged, never sent
};

// A fresh key pair from libsodium's random source (through libzmq).
// kUnavailable when libzmq was built without CURVE.
Result<CurveKeyPair> NewCurveKeyPair();

// True for 40 characters of the Z85 alphabet.
bool IsZ85Key(std::string_view text);

// The public key belonging to `secret_key` (Z85); kInvalidArgument when it is not a key.
Result<std::string> PublicKeyOf(std::string_view secret_key);

// The Z85 text of a 32-byte binary key (the ZAP request carries binary).
std::string Z85OfBinaryKey(std::string_view binary);

// The first 8 characters and an ellipsis: enough to tell keys apart in a
// log or a table, never the whole key.
std::string ShortKey(std::string_view z85);

}  // namespace station::security
