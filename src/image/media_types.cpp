// What a descriptor's media type promises, checked against the document it
// names: an index entry calling a manifest an index (or the reverse), a
// config listed as a layer, a layer listed as a manifest are refused before
// anything acts on them. docker's and containerd's readers accept many of
// these silently; a tool that pushes and inspects foreign images must not.
#include <slimbuild/image/layout.hpp>

#include <slimbuild/util/error.hpp>

namespace slimbuild::image {

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void refuse(const Descriptor& d, const std::string& why) {
  throw Error("blob " + d.digest + " (media type '" + d.media_type + "') " + why,
              "the layout's descriptors do not describe its blobs; rebuild or re-pull it");
}

std::string field_type(const nlohmann::json& j) {
  return j.is_object() && j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : "";
}

}  // namespace

bool is_manifest_media_type(std::string_view t) {
  return t == kMediaTypeManifest || t == "application/vnd.docker.distribution.manifest.v2+json";
}
bool is_index_media_type(std::string_view t) {
  return t == kMediaTypeIndex || t == "application/vnd.docker.distribution.manifest.list.v2+json";
}
bool is_config_media_type(std::string_view t) {
  return t == kMediaTypeConfig || t == "application/vnd.docker.container.image.v1+json";
}
bool is_layer_media_type(std::string_view t) {
  return starts_with(t, "application/vnd.oci.image.layer.") || starts_with(t, "application/vnd.docker.image.rootfs.");
}

void check_described(const Descriptor& d, const nlohmann::json& doc) {
  const std::string inner = field_type(doc);
  const bool manifest = is_manifest_media_type(d.media_type), index = is_index_media_type(d.media_type);
  if (!manifest && !index) return;  // configs and artifact content are opaque documents
  if (!doc.is_object()) refuse(d, "is not a JSON object");
  if (!inner.empty() && inner != d.media_type) refuse(d, "says it is '" + inner + "'");
  if (index) {
    if (!doc.contains("manifests") || !doc["manifests"].is_array() || doc.contains("config") || doc.contains("layers"))
      refuse(d, "is not an image index");
    return;
  }
  if (!doc.contains("config") || !doc["config"].is_object() || doc.contains("manifests"))
    refuse(d, "is not an image manifest");
  const std::string config = field_type(doc["config"]);
  auto is_document = [](std::string_view t) {
    return is_manifest_media_type(t) || is_index_media_type(t) || is_layer_media_type(t);
  };
  if (is_document(config)) refuse(d, "lists a config of media type '" + config + "'");
  // An image (its config is an image config) holds layers and nothing else;
  // an artifact's "layers" are its content, but never manifests or configs.
  const bool image = is_config_media_type(config);
  if (doc.contains("layers") && !doc["layers"].is_array()) refuse(d, "has a \"layers\" that is not an array");
  for (const auto& l : doc.value("layers", nlohmann::json::array())) {
    const std::string t = field_type(l);
    if (image ? !is_layer_media_type(t) : (is_manifest_media_type(t) || is_index_media_type(t) || is_config_media_type(t)))
      refuse(d, "lists a layer of media type '" + t + "'");
  }
}

}  // namespace slimbuild::image
