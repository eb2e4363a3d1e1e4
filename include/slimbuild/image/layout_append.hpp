// Adding a referrer (a signature bundle, an SBOM) to an OCI layout that is
// already on disk, as `slimbuild sign LAYOUT` does: its blobs are written,
// each atomically, the referrer manifest last, so a reader sees either no
// referrer or a complete one. index.json is left as it is (referrers are not
// listed there; see LayoutWriter::add_referrer). Adding the same referrer
// twice changes nothing.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <slimbuild/image/layout.hpp>

namespace slimbuild::image {

Descriptor append_referrer(const fs::path& layout, const Descriptor& subject, const std::string& artifact_type,
                           std::string_view content, const std::string& content_media_type,
                           const std::map<std::string, std::string>& annotations);

}  // namespace slimbuild::image
