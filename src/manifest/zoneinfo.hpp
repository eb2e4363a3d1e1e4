// Time zone names checked against the tz database the image will be built
// from (<sysroot>/usr/share/zoneinfo). A typo in a zone name would otherwise
// only show up at run time as a silent fallback to UTC, so it is an error
// here, with a suggestion from the zones that do exist.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "manifest/validate.hpp"

namespace slimbuild::manifest {

// Where the tz database lives under a sysroot.
std::filesystem::path zoneinfo_dir(const std::filesystem::path& sysroot);

// Syntax only: "Area/City" made of [A-Za-z0-9_+-], no "..", no leading '/'.
std::optional<Problem> check_zone_syntax(std::string_view zone);

// Syntax, then: <zoneinfo>/<zone> is a TZif file. Problems read as the end of
// "<key> ...", e.g. "is an unknown time zone 'Europe/Lubljana'".
std::optional<Problem> check_zone(const std::filesystem::path& zoneinfo, std::string_view zone);

}  // namespace slimbuild::manifest
