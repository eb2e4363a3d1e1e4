// What an image holds, as one JSON document (for `inspect --json`) and as
// text: run settings (user, entrypoint, env, ports...), platform, digests and
// sizes, referrers such as the SBOM, every file with mode/owner/size/link,
// and for each shared library which ELF pulled it in, found by re-running the
// loader's search (trace::trace_binary) on the unpacked image.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <slimbuild/inspect/image_source.hpp>

namespace slimbuild::inspect {

struct InspectOptions {
  bool trace_libraries = true;  // unpack the layers and trace the entrypoint
};

nlohmann::json inspect_image(const OpenedImage& image, const InspectOptions& options = {});
std::string inspect_text(const nlohmann::json& report);

}  // namespace slimbuild::inspect
