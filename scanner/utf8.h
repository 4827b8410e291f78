#pragma once
// UTF-8 checks for free text from guns (notes, signers' names).

#include <cstddef>
#include <optional>
#include <string_view>

namespace station {

// The number of code points in `text`, or nullopt when it is not valid UTF-8
// (overlong forms, surrogates and values past U+10FFFF are invalid).
std::optional<std::size_t> Utf8CodePoints(std::string_view text);

}  // namespace station
