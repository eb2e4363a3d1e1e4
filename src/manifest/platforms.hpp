// Reader for the manifest's `platforms:` list (see platforms.cpp).
#pragma once

#include <filesystem>
#include <vector>

#include <slimbuild/manifest/manifest.hpp>

#include <slimbuild/manifest/yaml_reader.hpp>

namespace slimbuild::manifest {

// `platforms: [{platform, binary, sysroot?, libraries?, files?}, ...]`;
// repeated platforms are reported.
std::vector<PlatformSpec> read_platforms(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag);

}  // namespace slimbuild::manifest
