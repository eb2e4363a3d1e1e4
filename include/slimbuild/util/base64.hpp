// Standard base64 (RFC 4648 section 4, with padding) over OpenSSL's EVP
// block coder: DSSE envelopes, Sigstore bundles and registry credentials.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slimbuild::util {

std::string base64_encode(std::string_view data);

// nullopt for anything that is not canonical padded base64 (whitespace
// included) or longer than `max_size` encoded bytes.
std::optional<std::string> base64_decode(std::string_view text, std::size_t max_size = 64u << 20);

}  // namespace slimbuild::util
