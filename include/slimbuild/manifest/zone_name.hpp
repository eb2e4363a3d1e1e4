// What a time zone name may be, decided once for the manifest loader (which
// checks tzdata:/timezone: against the tz database) and for rootfs (which
// copies the zone files): a relative path such as Europe/Ljubljana made of
// [A-Za-z0-9_+-] components, so nothing can climb out of zoneinfo.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace slimbuild::manifest {

// Why `zone` is not a zone name ("empty", "too long", "starts or ends with
// '/'", ...), or nullopt when it is one.
std::optional<std::string> zone_name_problem(std::string_view zone);

// True when `file` is a regular file that starts with the TZif magic
// (is_tzif_head: the rule on its first bytes, for callers that read it).
bool is_tzif_file(const std::filesystem::path& file);
bool is_tzif_head(std::string_view head);

}  // namespace slimbuild::manifest
