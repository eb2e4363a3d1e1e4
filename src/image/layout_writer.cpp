// LayoutWriter: a content-addressed blob store (blobs/sha256/<hex>) inside an
// AtomicDir, plus the index that names what it holds. Blobs are immutable
// once written, so puts are idempotent and a repeated blob costs nothing.
// Modes are set explicitly (0755 directories, 0644 files): the layout is
// copied and compared byte for byte, and the umask is not an input.
#include <slimbuild/image/layout_writer.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

void make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw Error("cannot create " + dir.string() + ": " + std::strerror(errno));
  if (::chmod(dir.c_str(), 0755) != 0) throw Error("cannot set the mode of " + dir.string() + ": " + std::strerror(errno));
}

// image-layout.md: ref ::= component ("/" component)*, component ::=
// alphanum (separator alphanum)*, alphanum ::= [A-Za-z0-9]+, separator ::=
// [-._:@+] | "--". A name outside it is one skopeo and umoci cannot address.
bool is_ref_name(std::string_view ref) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  auto separator = [](char c) { return c == '-' || c == '.' || c == '_' || c == ':' || c == '@' || c == '+'; };
  size_t i = 0;
  for (;;) {  // one component per iteration
    if (i >= ref.size() || !alnum(ref[i])) return false;
    while (i < ref.size() && alnum(ref[i])) ++i;
    while (i < ref.size() && ref[i] != '/') {
      if (ref.substr(i, 2) == "--") i += 2;
      else if (separator(ref[i])) ++i;
      else return false;
      if (i >= ref.size() || !alnum(ref[i])) return false;
      while (i < ref.size() && alnum(ref[i])) ++i;
    }
    if (i == ref.size()) return true;
    ++i;  // the '/'
  }
}

void check_ref_name(const std::string& ref_name) {
  if (!ref_name.empty() && !is_ref_name(ref_name))
    throw Error("'" + ref_name + "' cannot name an image in an OCI layout",
                "use letters, digits and . _ - : @ + between them, e.g. 1.4.2 or latest");
}

}  // namespace

void check_replaceable_layout(const fs::path& dir) {
  auto refuse = [&](const fs::path& what) {
    throw Error("refusing to replace " + dir.string() + ": it holds " + what.string() +
                    ", which is not part of an OCI image layout",
                "choose another -o directory, or remove it first");
  };
  std::error_code ec;
  bool empty = true, has_layout = false;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    empty = false;
    const std::string name = it->path().filename().string();
    auto st = it->symlink_status();
    if ((name == "oci-layout" || name == "index.json") && fs::is_regular_file(st)) {
      has_layout |= name == "oci-layout";
      continue;
    }
    if (name != "blobs" || !fs::is_directory(st)) refuse(it->path());
    for (fs::directory_iterator alg(it->path(), ec); !ec && alg != end; alg.increment(ec)) {
      if (!fs::is_directory(alg->symlink_status())) refuse(alg->path());
      for (fs::directory_iterator b(alg->path(), ec); !ec && b != end; b.increment(ec))
        if (!fs::is_regular_file(b->symlink_status())) refuse(b->path());
    }
  }
  if (ec) throw Error("cannot read " + dir.string() + ": " + ec.message());
  if (!empty && !has_layout)
    throw Error("refusing to replace " + dir.string() + ": it exists and is not an OCI image layout",
                "choose another -o directory, or remove it first");
}

struct LayoutWriter::Impl {
  explicit Impl(fs::path output) : dir(std::move(output)) {
    make_dir(dir.path());
    make_dir(dir.path() / "blobs");
    make_dir(blobs());
  }

  fs::path blobs() const { return dir.path() / "blobs" / "sha256"; }
  fs::path blob(const std::string& digest) const { return blobs() / digest.substr(7); }
  void check_open() const {
    if (committed) throw Error("internal: the layout at " + dir.target().string() + " was already committed");
  }
  // Replaces an existing entry with the same ref.name, as `skopeo copy` does.
  void list(nlohmann::json entry) {
    if (entry.contains("annotations") && entry["annotations"].contains(kAnnotationRefName)) {
      const auto& ref = entry["annotations"][kAnnotationRefName];
      std::erase_if(index, [&](const nlohmann::json& e) {
        return e.contains("annotations") && e["annotations"].value(kAnnotationRefName, nlohmann::json()) == ref;
      });
    }
    index.push_back(std::move(entry));
  }

  util::AtomicDir dir;
  std::vector<nlohmann::json> index;  // index.json "manifests", in the order added
  int temp_counter = 0;
  bool committed = false;
};

// Checked once the lock is held (so no other build is mid-replace), and
// again just before the exchange in commit().
LayoutWriter::LayoutWriter(fs::path output) : impl_(std::make_unique<Impl>(std::move(output))) {
  std::error_code ec;
  if (fs::is_directory(fs::symlink_status(impl_->dir.target(), ec))) check_replaceable_layout(impl_->dir.target());
}
LayoutWriter::~LayoutWriter() = default;

const fs::path& LayoutWriter::path() const { return impl_->dir.path(); }

Descriptor LayoutWriter::put_bytes(std::string_view data, std::string media_type) {
  impl_->check_open();
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = util::sha256_digest(data);
  d.size = data.size();
  fs::path file = impl_->blob(d.digest);
  if (!fs::exists(file)) util::write_file_atomic(file, data, 0644);
  return d;
}

Descriptor LayoutWriter::put_json(const nlohmann::json& doc, std::string media_type) {
  return put_bytes(util::canonical_json(doc), std::move(media_type));
}

layer::LayerResult LayoutWriter::put_layer(const rootfs::Rootfs& rootfs, const layer::LayerOptions& options) {
  return put_layer_from([&](const fs::path& temp) { return layer::write_layer(rootfs, temp, options); });
}

layer::LayerResult LayoutWriter::put_layer_from(const std::function<layer::LayerResult(const fs::path&)>& produce) {
  impl_->check_open();
  // Streamed under a temporary name: the digest is known only at the end.
  fs::path temp = impl_->blobs() / (".layer.tmp-" + std::to_string(impl_->temp_counter++));
  layer::LayerResult result = produce(temp);
  fs::path file = impl_->blob(result.digest);
  std::error_code ec;
  if (fs::exists(file)) {
    fs::remove(temp, ec);
  } else {
    fs::rename(temp, file, ec);
    if (ec) {
      fs::remove(temp, ec);
      throw Error("cannot store the layer in " + impl_->blobs().string() + ": " + ec.message());
    }
  }
  return result;
}

WrittenImage LayoutWriter::put_image(const ImageConfigSpec& config, const layer::LayerResult& layer,
                                     const std::map<std::string, std::string>& annotations) {
  impl_->check_open();
  if (!util::is_sha256_digest(layer.digest) || !fs::exists(impl_->blob(layer.digest)))
    throw Error("internal: layer " + layer.digest + " was not written to this layout (use put_layer)");
  Descriptor layer_desc;
  layer_desc.media_type = layer.media_type.empty() ? kMediaTypeLayerGzip : layer.media_type;
  layer_desc.digest = layer.digest;
  layer_desc.size = layer.size;
  Descriptor config_desc = put_json(image_config_json(config, {layer.diff_id}), kMediaTypeConfig);
  Descriptor manifest = put_json(image_manifest_json(config_desc, {layer_desc}, annotations), kMediaTypeManifest);
  manifest.platform = platform_json(config);
  return {manifest, config_desc};
}

WrittenImage LayoutWriter::write_image(const ImageConfigSpec& config, const layer::LayerResult& layer,
                                       const std::map<std::string, std::string>& annotations,
                                       const std::string& ref_name, const std::string& image_name) {
  check_ref_name(ref_name);
  WrittenImage image = put_image(config, layer, annotations);
  if (!ref_name.empty()) image.manifest.annotations[kAnnotationRefName] = ref_name;
  if (!image_name.empty()) image.manifest.annotations[kAnnotationContainerdName] = image_name;
  impl_->list(image.manifest.to_json());
  return image;
}

Descriptor LayoutWriter::add_image(const ImageConfigSpec& config, const layer::LayerResult& layer,
                                   const std::map<std::string, std::string>& annotations,
                                   const std::string& ref_name, const std::string& image_name) {
  return write_image(config, layer, annotations, ref_name, image_name).manifest;
}

Descriptor LayoutWriter::add_index(const std::vector<Descriptor>& images,
                                   const std::map<std::string, std::string>& annotations,
                                   const std::string& ref_name, const std::string& image_name) {
  impl_->check_open();
  check_ref_name(ref_name);
  for (const auto& image : images)
    if (!fs::exists(impl_->blob(image.digest)))
      throw Error("internal: image " + image.digest + " was not written to this layout (use put_image)");
  Descriptor index = put_json(image_index_json(images, annotations), kMediaTypeIndex);
  if (!ref_name.empty()) index.annotations[kAnnotationRefName] = ref_name;
  if (!image_name.empty()) index.annotations[kAnnotationContainerdName] = image_name;
  impl_->list(index.to_json());
  return index;
}

Descriptor LayoutWriter::add_referrer(const Descriptor& subject, const std::string& artifact_type,
                                      std::string_view content, const std::string& content_media_type,
                                      const std::map<std::string, std::string>& annotations) {
  impl_->check_open();
  if (content_media_type.empty()) throw Error("internal: referrer content without a media type");
  Descriptor config = put_bytes(kEmptyJson, kMediaTypeEmpty);
  Descriptor layer = put_bytes(content, content_media_type);
  Descriptor manifest =
      put_json(artifact_manifest_json(artifact_type, config, layer, subject, annotations), kMediaTypeManifest);
  // Not listed in index.json: loaders that take `oci:DIR` without a tag
  // need exactly one entry there. Readers find it among the blobs
  // (LayoutReader::referrers).
  manifest.artifact_type = artifact_type;
  return manifest;
}

void LayoutWriter::commit() {
  impl_->check_open();
  const fs::path& root = impl_->dir.path();
  util::write_file_atomic(root / "oci-layout", util::canonical_json({{"imageLayoutVersion", "1.0.0"}}), 0644);
  nlohmann::json index{{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", impl_->index}};
  util::write_file_atomic(root / "index.json", util::canonical_json(index), 0644);
  impl_->dir.commit(check_replaceable_layout);
  impl_->committed = true;
}

}  // namespace slimbuild::image
