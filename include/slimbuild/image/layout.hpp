// Reading an OCI image layout (image-spec "image-layout.md"): oci-layout,
// index.json, blobs/sha256/<hex>. Used by push, inspect, verify and diff, and
// by tests. Blob bytes are streamed from disk; only JSON documents are read
// whole. Every digest read from disk is checked (is_sha256_digest) before it
// is turned into a path, so a hostile index cannot name files outside blobs/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/util/handles.hpp>

namespace slimbuild::image {

namespace fs = std::filesystem;

inline constexpr const char* kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kAnnotationRefName = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<std::string> artifact_type;
  nlohmann::json platform;  // null when absent

  nlohmann::json to_json() const;
  static Descriptor from_json(const nlohmann::json& j);  // throws Error on bad fields
};

bool is_manifest_media_type(std::string_view t);  // OCI or docker image manifest
bool is_index_media_type(std::string_view t);     // OCI index or docker manifest list
bool is_config_media_type(std::string_view t);    // OCI or docker image config
bool is_layer_media_type(std::string_view t);     // OCI or docker layer, any compression
// Throws Error when `doc`, the JSON blob `d` names, is not what d's media type
// says: an index listed as a manifest (or the reverse), a doc whose own
// "mediaType" differs, an image manifest with a non-config config or a
// non-layer layer. Media types it does not know are not checked.
void check_described(const Descriptor& d, const nlohmann::json& doc);

enum class BlobCheck { Digest, SizeOnly };
// "linux/arm64/v8" for a descriptor's platform object; "" when there is none.
std::string platform_name(const nlohmann::json& platform);
// True when `wanted` ("linux/arm64", "linux/arm/v7") names `platform`; a
// wanted name without a variant matches any variant.
bool platform_matches(const nlohmann::json& platform, const std::string& wanted);

class LayoutReader {
 public:
  // Throws Error when `dir` is not an OCI layout (missing oci-layout/index.json).
  explicit LayoutReader(fs::path dir);

  const fs::path& dir() const { return dir_; }
  const nlohmann::json& index() const { return index_; }
  std::vector<Descriptor> manifests() const;  // index.json "manifests"
  // The image manifest or image index named `ref`
  // (org.opencontainers.image.ref.name); with no ref, the only one in
  // index.json besides referrers (error if several). slimbuild no longer
  // lists referrers in index.json, but older slimbuild layouts and other
  // tools (oras) do: such entries (artifactType or a subject annotation)
  // never count as "the image".
  Descriptor find_entry(const std::optional<std::string>& ref = std::nullopt) const;
  // Like find_entry, but an image manifest only: an index is an error that
  // lists its platforms and suggests --platform.
  Descriptor find_image(const std::optional<std::string>& ref = std::nullopt) const;
  // The images `entry` stands for: an index's entries (each with its
  // platform), or the image manifest itself.
  std::vector<Descriptor> platform_images(const Descriptor& entry) const;
  // The OCI 1.1 referrers of `subject_digest` (image manifests whose
  // "subject" names it), optionally only those of `artifact_type`: the one
  // place that finds them. They are looked for both among index.json's
  // entries (layouts of older slimbuild versions and of oras) and among the
  // blobs themselves (how slimbuild and cosign store them: unlisted, so that
  // loaders reading index.json see one image). Each descriptor carries the
  // manifest's mediaType, its artifactType (else its config's mediaType, as
  // the distribution spec's referrers API says) and its annotations; sorted
  // by digest, each once. A blob that is not such a manifest (a symlink, too
  // large, not JSON, corrupted, an index, another subject) is skipped, never
  // an error.
  std::vector<Descriptor> referrers(const std::string& subject_digest, const std::string& artifact_type = "") const;

  fs::path blob_path(const std::string& digest) const;  // throws on a malformed digest
  // Something is stored for `digest` (open_blob checks what it is).
  bool has_blob(const std::string& digest) const;
  // Opens the blob for streaming: O_NOFOLLOW, then fstat on the descriptor
  // (a regular file of exactly d.size bytes). With BlobCheck::Digest the whole
  // blob is hashed first (pread, the offset stays 0), so nothing that does
  // not match d.digest is ever uploaded or used; SizeOnly is for readers
  // that hash in their own pass and discard the result on a mismatch.
  util::Fd open_blob(const Descriptor& d, BlobCheck check = BlobCheck::Digest) const;
  // Reads a (JSON-sized) blob whole and checks its digest and size.
  std::string read_blob(const Descriptor& d) const;
  // read_blob, parsed under the JSON size/depth caps, and check_described.
  nlohmann::json read_json_blob(const Descriptor& d) const;

 private:
  fs::path dir_;
  nlohmann::json index_;
};

}  // namespace slimbuild::image
