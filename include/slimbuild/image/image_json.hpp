// The JSON documents of an OCI image, as pure functions of their inputs: the
// image config (image-spec config.md), the image manifest (manifest.md), an
// OCI 1.1 artifact manifest with a subject, and the platform object of an
// index entry. No I/O and no clock, so the same inputs give the same
// documents (and, through util::canonical_json, the same bytes and digests).
// Optional fields are omitted when empty rather than written as null or "",
// which is what docker, ko and crane do and what digests are compared with.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>

namespace slimbuild::image {

// The empty config of artifacts: the two bytes "{}" (image-spec manifest.md,
// "Guidance for an Empty Descriptor").
inline constexpr const char* kEmptyJson = "{}";
inline constexpr const char* kEmptyJsonDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

// Throws Error when a field cannot be represented (no architecture, an env
// entry without '=', a timestamp outside years 1970..9999).
nlohmann::json image_config_json(const ImageConfigSpec& spec, const std::vector<std::string>& diff_ids);

nlohmann::json platform_json(const ImageConfigSpec& spec);

// Descriptors are written with mediaType, digest, size (and annotations or
// artifactType when set); nothing else of the Descriptor leaks in.
nlohmann::json image_manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers,
                                   const std::map<std::string, std::string>& annotations);

// An image index over per-platform image manifests (image-spec
// image-index.md); each entry keeps its platform object.
nlohmann::json image_index_json(const std::vector<Descriptor>& manifests,
                                const std::map<std::string, std::string>& annotations);

nlohmann::json artifact_manifest_json(const std::string& artifact_type, const Descriptor& config,
                                      const Descriptor& layer, const Descriptor& subject,
                                      const std::map<std::string, std::string>& annotations);

// RFC 3339 UTC with seconds, e.g. "2024-01-02T03:04:05Z".
std::string rfc3339(int64_t epoch_seconds);

}  // namespace slimbuild::image
