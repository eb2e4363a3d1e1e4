// Blobs are content-addressed, so writing one that exists is a no-op. The
// referrer manifest is written last: until it exists the referrer does not
// (LayoutReader::referrers finds manifests, not their content), and a crash
// before it leaves only unreferenced blobs behind. index.json is not touched.
#include <slimbuild/image/layout_append.hpp>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

Descriptor put_blob(const LayoutReader& layout, std::string_view bytes, std::string media_type) {
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = util::sha256_digest(bytes);
  d.size = bytes.size();
  if (!layout.has_blob(d.digest)) util::write_file_atomic(layout.blob_path(d.digest), bytes, 0644);
  return d;
}

}  // namespace

Descriptor append_referrer(const fs::path& dir, const Descriptor& subject, const std::string& artifact_type,
                           std::string_view content, const std::string& content_media_type,
                           const std::map<std::string, std::string>& annotations) {
  LayoutReader layout(dir);  // refuses anything that is not a layout
  Descriptor config = put_blob(layout, kEmptyJson, kMediaTypeEmpty);
  Descriptor layer = put_blob(layout, content, content_media_type);
  std::string manifest_bytes =
      util::canonical_json(artifact_manifest_json(artifact_type, config, layer, subject, annotations));
  Descriptor manifest = put_blob(layout, manifest_bytes, kMediaTypeManifest);
  manifest.artifact_type = artifact_type;
  return manifest;
}

}  // namespace slimbuild::image
