#pragma once
// UTF-8 checks for free text from guns (notes, signers' names).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace station {

// The length of the valid UTF-8 sequence at text[i] and its code point in
// `cp`, or 0 when the bytes there are not one (overlong, a surrogate, past
// U+10FFFF, cut short). `i` must be inside `text`.
std::size_t Utf8DecodeAt(std::string_view text, std::size_t i, std::uint32_t& cp);

// The number of code points in `text`, or nullopt when it is not valid UTF-8
// (overlong forms, surrogates and values past U+10FFFF are invalid).
std::optional<std::size_t> Utf8CodePoints(std::string_view text);

// At most `max_bytes` of `text` for an error message: cut on a character
// boundary, each invalid byte and each control character but tab, CR and LF
// shown as \xNN, "..." when cut. Input quoted in a reason must stay valid
// UTF-8 (it goes into JSON and the database) and harmless on a terminal.
std::string Utf8Excerpt(std::string_view text, std::size_t max_bytes = 40);

}  // namespace station
