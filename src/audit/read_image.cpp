// read_audit_image: one pass over the layers with a content visitor. Later
// layers may replace or delete a file an earlier one had, so what the
// visitor saw is keyed by path and reconciled with the final file list.
#include <slimbuild/audit/read_image.hpp>

#include <limits>
#include <optional>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

#include <slimbuild/inspect/image_files.hpp>
#include <slimbuild/rootfs/secrets.hpp>

namespace slimbuild::audit {

namespace {

using nlohmann::json;

constexpr std::size_t kMetadataMaxBytes = 64 * 1024 * 1024;

class Collector : public inspect::ContentVisitor {
 public:
  std::size_t wanted(const std::string& path) override {
    return metadata_wanted(path) ? kMetadataMaxBytes : rootfs::kSecretScanBytes;
  }
  void file(const std::string& path, std::string head, uint64_t) override {
    if (auto reason = rootfs::secret_reason_in(path, head))
      secrets[path] = *reason;
    else
      secrets.erase(path);
    if (metadata_wanted(path))
      contents[path] = std::move(head);
    else
      contents.erase(path);
  }

  std::map<std::string, std::string> secrets, contents;
};

std::vector<json> referrer_sboms(const image::LayoutReader& layout, const std::string& subject) {
  std::vector<json> out;
  for (const auto& d : layout.referrers(subject)) {
    std::string type = d.artifact_type.value_or("");
    if (type != provenance::kSpdxMediaType && type != provenance::kCycloneDxMediaType) continue;
    json m = layout.read_json_blob(d);
    if (!m.contains("layers") || !m["layers"].is_array() || m["layers"].empty()) continue;
    auto blob = image::Descriptor::from_json(m["layers"][0]);
    if (!layout.has_blob(blob.digest)) continue;
    try {
      out.push_back(json::parse(layout.read_blob(blob)));
    } catch (const json::exception&) {
      util::warn("audit: SBOM " + blob.digest + " is not JSON; ignored");
    }
  }
  return out;
}

}  // namespace

namespace {

AuditImage read_one(const image::LayoutReader& layout, const inspect::OpenedImage& opened,
                    const image::Descriptor& desc) {
  json manifest = layout.read_json_blob(desc);
  if (!manifest.contains("config") || !manifest["config"].is_object()) throw Error("image manifest " + desc.digest + " has no config");
  json config = layout.read_json_blob(image::Descriptor::from_json(manifest["config"]));

  AuditImage img;
  img.name = opened.spec;
  img.digest = desc.digest;
  if (config.contains("config") && config["config"].is_object()) img.config = config["config"];

  Collector collector;
  inspect::ImageFiles files = inspect::read_image_files(layout, manifest, &collector);
  for (auto& [path, f] : files) {
    AuditFile a{f.type, f.mode, f.uid, f.gid, f.size, f.link, f.capability};
    img.files.emplace(path, std::move(a));
  }
  auto regular = [&](const std::string& path) {
    auto it = img.files.find(path);
    return it != img.files.end() && it->second.type == inspect::FileType::File;
  };
  for (auto& [path, reason] : collector.secrets)
    if (regular(path)) img.secrets.push_back({path, reason});
  for (auto& [path, text] : collector.contents)
    if (regular(path)) img.contents.emplace(path, std::move(text));
  img.sboms = referrer_sboms(layout, desc.digest);
  return img;
}

std::optional<std::string> ref_of(const inspect::OpenedImage& opened) {
  return opened.ref.empty() ? std::nullopt : std::optional<std::string>(opened.ref);
}

}  // namespace

AuditImage read_audit_image(const inspect::OpenedImage& opened) {
  image::LayoutReader layout(opened.layout);
  return read_one(layout, opened, layout.find_image(ref_of(opened)));
}

std::vector<AuditImage> read_audit_images(const inspect::OpenedImage& opened) {
  image::LayoutReader layout(opened.layout);
  image::Descriptor top = layout.find_entry(ref_of(opened));
  std::vector<AuditImage> out;
  for (const auto& d : layout.platform_images(top)) {
    out.push_back(read_one(layout, opened, d));
    if (top.media_type == image::kMediaTypeIndex) out.back().platform = image::platform_name(d.platform);
  }
  return out;
}

}  // namespace slimbuild::audit
