// Writing an OCI layout as one file, in the two shapes other tools read:
//   oci-archive     a tar of the layout itself (skopeo/podman "oci-archive:")
//   docker-archive  what `docker save` writes: manifest.json naming the config
//                   and the layer files, plus RepoTags (docker/podman load,
//                   skopeo "docker-archive:").
// Both are byte-reproducible: entries in a fixed order, mtime given by the
// caller (SOURCE_DATE_EPOCH), owner 0:0 with no names, modes 0644/0755. The
// layer blob is stored as is (gzip): docker and containers/image both
// decompress layers on load, and the archive keeps the very bytes whose
// digest the layout and the registry know.
#include <slimbuild/image/archive.hpp>

#include <set>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

#include "image/archive_io.hpp"

namespace slimbuild::image {

namespace {

std::string blob_name(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

// Every well-formed blob file of the layout, sorted (referrers included).
std::set<std::string> layout_blobs(const fs::path& layout) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(layout / "blobs" / "sha256", ec)) {
    std::string digest = "sha256:" + e.path().filename().string();
    if (e.is_regular_file() && util::is_sha256_digest(digest)) out.insert(digest);
  }
  if (ec) throw Error("cannot list " + (layout / "blobs" / "sha256").string() + ": " + ec.message());
  return out;
}

// What an oci-archive carries: the layout's images and the blobs they
// reference. Referrer artifacts (the SBOM) are left out: slimbuild no longer
// lists them in index.json, and entries of older layouts that do are dropped,
// since `podman load` and skopeo's `oci-archive:FILE` without a tag refuse an
// index that lists more than one manifest, and loading is what an archive is
// for. The SBOM stays in the directory layout, travels with `--push`, and
// `--sbom FILE` writes it.
struct ArchiveContent {
  nlohmann::json index;
  std::set<std::string> blobs;
};

ArchiveContent images_only(const fs::path& layout, const LayoutReader& reader) {
  ArchiveContent out{reader.index(), {}};
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& entry : reader.index()["manifests"]) {
    Descriptor d = Descriptor::from_json(entry);
    if (d.artifact_type) continue;
    kept.push_back(entry);
    out.blobs.insert(d.digest);
    if (d.media_type != kMediaTypeManifest) {
      // A nested index (e.g. a multi-arch copy): keep every blob rather than
      // walk a tree this writer never produces.
      auto all = layout_blobs(layout);
      out.blobs.insert(all.begin(), all.end());
      continue;
    }
    nlohmann::json manifest = reader.read_json_blob(d);
    try {
      out.blobs.insert(Descriptor::from_json(manifest.at("config")).digest);
      for (const auto& l : manifest.at("layers")) out.blobs.insert(Descriptor::from_json(l).digest);
    } catch (const nlohmann::json::exception& e) {
      throw Error("image manifest " + d.digest + " is malformed: " + e.what());
    }
  }
  for (const auto& digest : out.blobs)
    if (!reader.has_blob(digest)) throw Error("layout " + layout.string() + " lacks blob " + digest);
  out.index["manifests"] = kept;
  return out;
}

}  // namespace

void write_oci_archive(const fs::path& layout, const fs::path& out_file, int64_t mtime) {
  LayoutReader reader(layout);  // refuses anything that is not a layout
  util::AtomicFile out(out_file);
  detail::TarOut tar(out.fd(), mtime);
  tar.add_dir("blobs/");
  tar.add_dir("blobs/sha256/");
  ArchiveContent content = images_only(layout, reader);
  for (const auto& digest : content.blobs) tar.add_file(blob_name(digest), reader.blob_path(digest));
  tar.add_bytes("index.json", util::canonical_json(content.index));
  tar.add_file("oci-layout", layout / "oci-layout");
  tar.finish();
  out.commit();
}

void write_docker_archive(const fs::path& layout, const std::string& ref_name,
                          const std::vector<std::string>& repo_tags, const fs::path& out_file, int64_t mtime) {
  LayoutReader reader(layout);
  Descriptor image = reader.find_image(ref_name.empty() ? std::nullopt : std::optional<std::string>(ref_name));
  nlohmann::json manifest = reader.read_json_blob(image);
  Descriptor config;
  std::vector<Descriptor> layers;
  try {
    config = Descriptor::from_json(manifest.at("config"));
    for (const auto& l : manifest.at("layers")) layers.push_back(Descriptor::from_json(l));
  } catch (const nlohmann::json::exception& e) {
    throw Error("image manifest " + image.digest + " is malformed: " + e.what());
  }
  std::set<std::string> blobs{config.digest};
  nlohmann::json layer_names = nlohmann::json::array();
  for (const auto& l : layers) {
    bool loadable = l.media_type == kMediaTypeLayerGzip || l.media_type == "application/vnd.oci.image.layer.v1.tar" ||
                    l.media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip";
    if (!loadable)
      throw Error("layer " + l.digest + " has media type " + l.media_type + ", which docker-archive cannot carry",
                  "use --format oci-archive or an OCI layout");
    if (!reader.has_blob(l.digest)) throw Error("layout " + layout.string() + " lacks layer blob " + l.digest);
    blobs.insert(l.digest);
    layer_names.push_back(blob_name(l.digest));
  }
  if (!reader.has_blob(config.digest)) throw Error("layout " + layout.string() + " lacks config blob " + config.digest);

  nlohmann::json entry{{"Config", blob_name(config.digest)}, {"RepoTags", repo_tags}, {"Layers", layer_names}};
  std::string manifest_json = util::canonical_json(nlohmann::json::array({entry}));

  util::AtomicFile out(out_file);
  detail::TarOut tar(out.fd(), mtime);
  tar.add_dir("blobs/");
  tar.add_dir("blobs/sha256/");
  for (const auto& digest : blobs) tar.add_file(blob_name(digest), reader.blob_path(digest));
  tar.add_bytes("manifest.json", manifest_json);
  tar.finish();
  out.commit();
}

}  // namespace slimbuild::image
