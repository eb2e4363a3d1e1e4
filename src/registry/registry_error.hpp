// Turning a failed registry exchange into the message users see: the step
// ("uploading blob sha256:ab12… (12.3 MiB) to host/repo"), the HTTP status,
// and the registry's own error JSON (errors[].code/message) — bounded,
// stripped of control characters, and never echoing request headers.
#pragma once

#include <cstdint>
#include <string>

#include <slimbuild/util/error.hpp>

namespace slimbuild::registry {

// "UNAUTHORIZED: authentication required; ..." from {"errors":[...]}, or a
// short printable excerpt of a non-JSON body; empty for an empty body.
std::string describe_registry_error(const std::string& body);

// "sha256:ab12cd34ef56…" for messages.
std::string short_digest(const std::string& digest);

// The Error for an unexpected HTTP status during `step`, with a hint that
// fits the status (401/403 credentials, 404 name, 5xx registry health).
Error http_error(const std::string& step, long status, const std::string& body);

}  // namespace slimbuild::registry
