// Text from untrusted places (manifests, tar names in foreign images, file
// names on disk): strict UTF-8 checking, and a printable form for messages
// and reports so a hostile name (ESC sequences, CR, LF) cannot garble a
// terminal or forge an output line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slimbuild::util {

// Length of the strict UTF-8 sequence at s[i] (1-4), or 0 when it is not one:
// bad lead or continuation bytes, truncated, overlong encodings, surrogates
// (U+D800..U+DFFF) and code points above U+10FFFF are all refused.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);
bool is_utf8(std::string_view s);

// Printable ASCII and valid non-control UTF-8 kept; control characters
// (C0, DEL, C1), backslash and invalid bytes as \xNN (\n, \r, \t, \e named).
std::string printable(std::string_view s);

}  // namespace slimbuild::util
