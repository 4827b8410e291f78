#include "security/curve_key.h"

#include <zmq.h>

#include <algorithm>

namespace station::security {
namespace {

// The 85 characters of ZeroMQ's Z85 alphabet (RFC 32).
constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

}  // namespace

Result<CurveKeyPair> NewCurveKeyPair() {
  char public_key[kZ85KeyLength + 1] = {};
  char secret_key[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Unavailable("CURVE key pair", "this libzmq has no CURVE support (zmq_has(\"curve\") is 0)");
  }
  return CurveKeyPair{public_key, secret_key};
}

bool IsZ85Key(std::string_view text) {
  return text.size() == kZ85KeyLength &&
         std::all_of(text.begin(), text.end(), [](char c) { return kZ85Alphabet.find(c) != std::string_view::npos; });
}

Result<std::string> PublicKeyOf(std::string_view secret_key) {
  if (!IsZ85Key(secret_key)) return Status::InvalidArgument("secret key", "not a 40-character Z85 key");
  const std::string secret(secret_key);
  char public_key[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(public_key, secret.c_str()) != 0) {
    return Status::InvalidArgument("secret key", "libzmq could not derive its public key");
  }
  return std::string(public_key);
}

std::string Z85OfBinaryKey(std::string_view binary) {
  if (binary.size() != 32) return std::string();
  char text[kZ85KeyLength + 1] = {};
  zmq_z85_encode(text, reinterpret_cast<const std::uint8_t*>(binary.data()), binary.size());
  return text;
}

std::string ShortKey(std::string_view z85) { return std::string(z85.substr(0, 8)) + "…"; }

}  // namespace station::security
