#pragma once
// Reading an integer field of a JSON message (the decoders of wire.h,
// upload_wire.h, uplink_wire.h and daemon/control_protocol.h).
//
// nlohmann::json's value() and get<std::int64_t>() turn a number written
// with a fraction or an exponent (1.5, 1e300) into an integer with a plain
// cast, which is undefined behaviour when it is out of range: a peer could
// send one. These refuse such a number as value() refuses a string in an
// integer field, by throwing json::type_error, which the decoders catch.
// Only what our encoders never write is refused: they write integers.

#include <nlohmann/json.hpp>

namespace station {

template <typename T>
T IntegerOf(const nlohmann::json& v) {
  if (v.is_number_float()) {
    throw nlohmann::json::type_error::create(
        302, "type must be an integer, but is a number with a fraction or an exponent", &v);
  }
  return v.get<T>();
}

// json::value(key, fallback) for an integer field: the fallback when the
// key is absent; throws as value() does when `object` is not an object or
// the field is not a number, and as IntegerOf() does for a float.
template <typename T>
T IntegerValue(const nlohmann::json& object, const char* key, T fallback) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end()) return IntegerOf<T>(*it);
  }
  return object.value(key, fallback);
}

}  // namespace station
