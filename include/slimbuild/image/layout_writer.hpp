// Writing an OCI image layout: a content-addressed blob store plus the image
// config, image manifest and index.json, all canonical JSON. The layout is
// assembled in an AtomicDir beside `output` and appears there only on
// commit(); a writer destroyed without commit() leaves nothing behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/util/fs.hpp>

namespace slimbuild::image {

// Throws Error unless `dir` may be replaced by a new layout: it is empty, or
// it holds an OCI layout and nothing else (oci-layout, index.json, blobs/
// with algorithm folders of plain files). A directory that merely contains
// a file named oci-layout next to sources is refused, untouched.
void check_replaceable_layout(const fs::path& dir);

// Everything the image config says besides the layer (image-spec config.md).
struct ImageConfigSpec {
  std::string architecture;                  // "amd64"
  std::string variant;                       // "" or "v8"...
  std::string os = "linux";
  std::string user;                          // "65532:65532"
  std::vector<std::string> env;              // "KEY=value", in output order
  std::vector<std::string> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;    // "3000/tcp"
  std::map<std::string, std::string> labels;
  std::string stop_signal;                   // "SIGINT"; empty = the runtime's default (SIGTERM)
  std::vector<std::string> volumes;          // "/var/lib/app"
  int64_t created = 0;                       // epoch seconds -> RFC 3339 "1970-01-01T00:00:00Z"
  std::string history_created_by = "slimbuild";
};

inline constexpr const char* kMediaTypeEmpty = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kAnnotationContainerdName = "io.containerd.image.name";

// What write_image put into the layout: the image manifest (as listed in
// index.json) and the config it names.
struct WrittenImage {
  Descriptor manifest;
  Descriptor config;
};

class LayoutWriter {
 public:
  explicit LayoutWriter(fs::path output);
  ~LayoutWriter();
  LayoutWriter(const LayoutWriter&) = delete;
  LayoutWriter& operator=(const LayoutWriter&) = delete;

  // Where blobs are being written (inside the temporary directory).
  const fs::path& path() const;

  // Idempotent content-addressed puts.
  Descriptor put_bytes(std::string_view data, std::string media_type);
  Descriptor put_json(const nlohmann::json& doc, std::string media_type);  // canonical JSON

  // Streams the layer into the blob store (see layer::write_layer).
  layer::LayerResult put_layer(const rootfs::Rootfs& rootfs, const layer::LayerOptions& options);
  // The same for a layer blob made by `produce` at the temporary path it is
  // given (must not exist yet), e.g. copied from the layer cache.
  layer::LayerResult put_layer_from(const std::function<layer::LayerResult(const fs::path&)>& produce);

  // Writes config + manifest for one layer and lists the manifest in
  // index.json under `ref_name` (the tag, what `oci:DIR:TAG` and umoci
  // address) and, when given, `image_name` as io.containerd.image.name (the
  // full reference `ctr images import` and `podman load` name the image by).
  // Returns the manifest descriptor (as listed) and the config's.
  WrittenImage write_image(const ImageConfigSpec& config, const layer::LayerResult& layer,
                           const std::map<std::string, std::string>& annotations, const std::string& ref_name,
                           const std::string& image_name = {});
  Descriptor add_image(const ImageConfigSpec& config, const layer::LayerResult& layer,
                       const std::map<std::string, std::string>& annotations, const std::string& ref_name,
                       const std::string& image_name = {});
  // The same without listing it: a platform's image, reachable through the
  // image index that add_index() writes. The descriptor carries the platform.
  WrittenImage put_image(const ImageConfigSpec& config, const layer::LayerResult& layer,
                       const std::map<std::string, std::string>& annotations);
  // Writes an image index over `images` (put_image results, one per
  // platform, kept in the given order) and lists it under `ref_name`.
  Descriptor add_index(const std::vector<Descriptor>& images, const std::map<std::string, std::string>& annotations,
                       const std::string& ref_name, const std::string& image_name = {});

  // OCI 1.1 artifact whose `subject` is `subject` (e.g. an SPDX SBOM): an
  // image manifest with artifactType, the empty config and one layer holding
  // `content`. Stored as blobs only, NOT listed in index.json, so that
  // index.json names one image (or index) per tag and `skopeo copy oci:DIR`,
  // `buildah from oci:DIR` pick it without a tag; LayoutReader::referrers
  // finds it by its subject. (`umoci gc` deletes such unlisted blobs.)
  Descriptor add_referrer(const Descriptor& subject, const std::string& artifact_type,
                          std::string_view content, const std::string& content_media_type,
                          const std::map<std::string, std::string>& annotations);

  // Writes oci-layout and index.json, then moves the layout into place.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slimbuild::image
