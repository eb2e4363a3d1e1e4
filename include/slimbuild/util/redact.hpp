// The one redaction layer. Whatever becomes a secret during a run (a registry
// password, an identity token, base64(user:password), a bearer token) is
// registered here the moment slimbuild holds it, and every line that leaves
// the process passes through redact(): log lines (info, -v debug, warnings,
// retry lines), the final error and its hint, and the results printed on
// stdout (--json documents included). Text from the network (registry error
// bodies) is redacted too before it is shortened for a message, so a secret
// cut in half at the cut cannot slip through either.
#pragma once

#include <string>
#include <string_view>

namespace slimbuild::util {

// Secrets shorter than this are not searched for: replacing every "ab" in a
// message would garble it without protecting anything.
inline constexpr std::size_t kMinSecretLength = 4;

// Registers `secret` for the rest of the process (thread-safe, idempotent).
void add_secret(std::string_view secret);
// `text` with every registered secret replaced by "***".
std::string redact(std::string_view text);

}  // namespace slimbuild::util
