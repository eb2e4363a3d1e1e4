// Readers for the keys that tell the container runtime how to run the image
// rather than what files it holds: stop_signal, volumes, annotations,
// writable, capabilities and arbitrary_uid. Each checks its value the way
// docker would (signal names, absolute paths, capability names) so a mistake
// is a manifest error at its line, not a surprise at `docker run`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/manifest/yaml_reader.hpp>

namespace slimbuild::manifest {

// "SIGINT", "int", "sigterm", "SIGRTMIN+3" -> "SIGINT", "SIGINT", "SIGTERM",
// "SIGRTMIN+3"; a number 1..64 is kept as its decimal text, as docker does.
std::optional<std::string> read_stop_signal(const YamlNode& node, Diagnostics& diag);
// A list of absolute image directories, normalised, deduplicated, sorted.
// `what` is "volumes" or "writable"; writable also refuses "/" and "/tmp".
std::vector<std::string> read_image_dirs(const YamlNode& node, std::string_view what, Diagnostics& diag);
// OCI manifest annotations: single-line, non-empty keys.
std::map<std::string, std::string> read_annotations(const YamlNode& node, Diagnostics& diag);
// Capability names (any case, "cap_" optional) -> lower case names without
// "cap_", deduplicated, in bit order.
std::vector<std::string> read_capabilities(const YamlNode& node, Diagnostics& diag);
// true/false.
std::optional<bool> read_flag(const YamlNode& node, std::string_view what, Diagnostics& diag);

}  // namespace slimbuild::manifest
