#pragma once
// Reading an integer field of a JSON message, in every decoder of wire/:
// one place decides what an integer is and whether it is in range.
//
// nlohmann::json keeps a positive integer as unsigned 64-bit and a negative
// one as signed, and get<int>() casts either without a check: 4294967297
// read as int is 1, -4294967295 is 1 too. A float (1.5, 1e300) cast to an
// integer is undefined behaviour when out of range. So fields are read here
// as 64-bit values and checked against the range the field allows; a value
// outside it, a float or another type is not that field's integer.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace station {

// The value of `v` when it is an integer (not a float) within [min, max],
// else nullopt. Never throws.
inline std::optional<std::int64_t> IntegerIn(const nlohmann::json& v, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  if (v.is_number_unsigned()) {
    const std::uint64_t u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    value = static_cast<std::int64_t>(u);
  } else if (v.is_number_integer()) {
    value = v.get<std::int64_t>();
  } else {
    return std::nullopt;
  }
  if (value < min || value > max) return std::nullopt;
  return value;
}

// The field `key` of `object` as IntegerIn() reads it; nullopt also when
// `object` is not an object or has no such field.
inline std::optional<std::int64_t> IntegerFieldIn(const nlohmann::json& object, const char* key, std::int64_t min,
                                                  std::int64_t max) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  return IntegerIn(*it, min, max);
}

// `v` as a T, for decoders that catch json::exception: throws
// json::type_error for anything but an integer (a float included) and
// json::out_of_range for an integer T cannot hold, never casts.
template <typename T>
T IntegerOf(const nlohmann::json& v) {
  static_assert(std::numeric_limits<T>::is_integer && std::numeric_limits<T>::is_signed, "a signed integer type");
  if (!v.is_number()) {
    throw nlohmann::json::type_error::create(302, std::string("type must be number, but is ") + v.type_name(), &v);
  }
  if (v.is_number_float()) {
    throw nlohmann::json::type_error::create(
        302, "type must be an integer, but is a number with a fraction or an exponent", &v);
  }
  auto value = IntegerIn(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  if (!value) throw nlohmann::json::out_of_range::create(406, "integer out of range", &v);
  return static_cast<T>(*value);
}

// json::value(key, fallback) for an integer field: the fallback when the
// key is absent; throws as IntegerOf() does when the field is there, and
// as value() does when `object` is not an object.
template <typename T>
T IntegerValue(const nlohmann::json& object, const char* key, T fallback) {
  if (object.is_object()) {
    auto it = object.find(key);
    if (it != object.end()) return IntegerOf<T>(*it);
  }
  return object.value(key, fallback);
}

}  // namespace station
