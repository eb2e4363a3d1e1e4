// Turning an oci-archive or docker-archive (plain or compressed tar) back into
// an OCI layout, so inspect, verify and diff handle every input the same way.
// Archives are untrusted: member names are never used as host paths (members
// are staged under numbered names and hashed while they stream in), blob
// members must match their digest, and links are resolved by name inside the
// archive only. A docker-archive gets a fresh OCI manifest around its config
// and layers: their bytes and digests are kept, the manifest's cannot be.
#include <slimbuild/image/archive.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

constexpr std::size_t kMaxMembers = 100000;

struct Member {
  fs::path staged;     // regular files: staging path
  std::string digest;  // sha256 of the content
  uint64_t size = 0;
  std::string link;    // symlink/hardlink: target member name
};

std::string clean_name(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

class Staging {
 public:
  Staging(const fs::path& archive_file, const fs::path& dir) : archive_(archive_file), dir_(dir) {
    fs::create_directories(dir_);
    util::CHandle<archive, archive_read_free> a(archive_read_new());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    archive_read_support_filter_all(a.get());
    if (archive_read_open_filename(a.get(), archive_file.c_str(), 1 << 16) != ARCHIVE_OK) fail(a.get());
    archive_entry* e = nullptr;
    int rc;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      if (members_.size() >= kMaxMembers) throw Error(archive_.string() + " has too many members for an image archive");
      std::string name = clean_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
      if (name.empty() || name[0] == '/' || ("/" + name + "/").find("/../") != std::string::npos) continue;
      Member m;
      if (const char* h = archive_entry_hardlink(e)) {
        m.link = clean_name(h);
      } else if (archive_entry_filetype(e) == AE_IFLNK) {
        // Relative to the member's directory (docker's legacy layer dedup).
        fs::path target = fs::path(name).parent_path() / (archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
        m.link = clean_name(target.lexically_normal().generic_string());
      } else if (archive_entry_filetype(e) == AE_IFREG) {
        m.staged = dir_ / ("m" + std::to_string(members_.size()));
        copy_data(a.get(), m);
      } else {
        continue;
      }
      members_[name] = std::move(m);
    }
    if (rc != ARCHIVE_EOF) fail(a.get());
  }

  // The regular file a name refers to, following links inside the archive.
  const Member& get(const std::string& name) const {
    std::string n = clean_name(name);
    for (int hops = 0; hops < 16; ++hops) {
      auto it = members_.find(n);
      if (it == members_.end()) break;
      if (it->second.link.empty()) return it->second;
      n = it->second.link;
    }
    throw Error(archive_.string() + " has no member '" + name + "'", "the archive is incomplete or not an image archive");
  }
  bool has(const std::string& name) const { return members_.count(name) != 0; }
  const std::map<std::string, Member>& members() const { return members_; }

 private:
  [[noreturn]] void fail(archive* a) const {
    const char* msg = archive_error_string(a);
    throw Error("cannot read " + archive_.string() + ": " + (msg ? msg : "not a tar archive"),
                "pass an oci-archive or docker-archive file (tar, optionally compressed) or an OCI layout directory");
  }

  void copy_data(archive* a, Member& m) const {
    std::ofstream out(m.staged, std::ios::binary);
    util::Sha256 h;
    std::vector<char> buf(1 << 16);
    la_ssize_t n;
    while ((n = archive_read_data(a, buf.data(), buf.size())) > 0) {
      out.write(buf.data(), n);
      h.update(buf.data(), static_cast<std::size_t>(n));
      m.size += static_cast<uint64_t>(n);
    }
    if (n < 0) fail(a);
    if (!out.flush()) throw Error("cannot write " + m.staged.string());
    m.digest = h.digest();
  }

  fs::path archive_;
  fs::path dir_;
  std::map<std::string, Member> members_;
};

std::string sniff_layer_media_type(const fs::path& file, const std::string& name) {
  std::ifstream in(file, std::ios::binary);
  unsigned char head[262] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  auto got = in.gcount();
  if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) return kMediaTypeLayerGzip;
  if (got >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    return "application/vnd.oci.image.layer.v1.tar+zstd";
  if (got >= 262 && std::string_view(reinterpret_cast<char*>(head) + 257, 5) == "ustar")
    return "application/vnd.oci.image.layer.v1.tar";
  throw Error("layer '" + name + "' in the archive is neither a tar nor a gzip/zstd-compressed tar");
}

class BlobStore {
 public:
  explicit BlobStore(fs::path layout) : layout_(std::move(layout)) { fs::create_directories(layout_ / "blobs" / "sha256"); }
  Descriptor put(const Member& m, std::string media_type) {
    fs::path dest = layout_ / "blobs" / "sha256" / m.digest.substr(7);
    if (!fs::exists(dest)) fs::copy_file(m.staged, dest);
    return Descriptor{std::move(media_type), m.digest, m.size, {}, std::nullopt, nullptr};
  }
  Descriptor put(std::string_view bytes, std::string media_type) {
    std::string digest = util::sha256_digest(bytes);
    util::write_file_atomic(layout_ / "blobs" / "sha256" / digest.substr(7), bytes);
    return Descriptor{std::move(media_type), digest, bytes.size(), {}, std::nullopt, nullptr};
  }

 private:
  fs::path layout_;
};

void oci_from_archive(const Staging& s, const fs::path& layout, const fs::path& archive_file) {
  BlobStore store(layout);
  for (const auto& [name, m] : s.members()) {
    if (name.rfind("blobs/sha256/", 0) != 0) continue;
    const Member& file = s.get(name);
    if (file.digest != "sha256:" + name.substr(13))
      throw Error(archive_file.string() + ": blob " + name + " does not match its digest (corrupted archive)");
    store.put(file, "");
  }
  fs::copy_file(s.get("oci-layout").staged, layout / "oci-layout");
  fs::copy_file(s.get("index.json").staged, layout / "index.json");
}

void docker_from_archive(const Staging& s, const fs::path& layout, const fs::path& archive_file) {
  nlohmann::json entries;
  try {
    entries = nlohmann::json::parse(util::read_file(s.get("manifest.json").staged));
  } catch (const nlohmann::json::exception& e) {
    throw Error(archive_file.string() + ": manifest.json is not valid JSON: " + e.what());
  }
  if (!entries.is_array() || entries.empty()) throw Error(archive_file.string() + ": manifest.json lists no image");
  BlobStore store(layout);
  nlohmann::json index{{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", nlohmann::json::array()}};
  std::set<std::string> used_names;
  for (const auto& entry : entries) {
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() || !entry.contains("Layers") ||
        !entry["Layers"].is_array())
      throw Error(archive_file.string() + ": manifest.json entry lacks Config or Layers");
    nlohmann::json manifest{{"schemaVersion", 2}, {"mediaType", kMediaTypeManifest}, {"layers", nlohmann::json::array()}};
    manifest["config"] = store.put(s.get(entry["Config"].get<std::string>()), kMediaTypeConfig).to_json();
    for (const auto& l : entry["Layers"]) {
      if (!l.is_string()) throw Error(archive_file.string() + ": manifest.json has a non-string layer");
      const Member& m = s.get(l.get<std::string>());
      manifest["layers"].push_back(store.put(m, sniff_layer_media_type(m.staged, l.get<std::string>())).to_json());
    }
    // ref.name: the tag of the first RepoTag ("repo:tag"), else "latest".
    std::string ref = "latest";
    if (entry.contains("RepoTags") && entry["RepoTags"].is_array() && !entry["RepoTags"].empty() &&
        entry["RepoTags"][0].is_string()) {
      std::string t = entry["RepoTags"][0].get<std::string>();
      auto colon = t.rfind(':');
      if (colon != std::string::npos && t.find('/', colon) == std::string::npos) ref = t.substr(colon + 1);
    }
    const std::string base = ref;
    for (int n = 2; used_names.count(ref); ++n) ref = base + "-" + std::to_string(n);
    used_names.insert(ref);
    Descriptor d = store.put(util::canonical_json(manifest), kMediaTypeManifest);
    d.annotations[kAnnotationRefName] = ref;
    index["manifests"].push_back(d.to_json());
  }
  util::write_file_atomic(layout / "index.json", util::canonical_json(index));
  util::write_file_atomic(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

}  // namespace

OutputFormat archive_to_layout(const fs::path& archive_file, const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::is_regular_file(archive_file, ec))
    throw Error(archive_file.string() + " is not a file", "pass an oci-archive or docker-archive file");
  util::AtomicDir out(out_dir);
  util::TempDir staging_dir("slimbuild-archive");
  Staging staging(archive_file, staging_dir.path());
  OutputFormat kind = OutputFormat::OciArchive;
  if (staging.has("oci-layout") && staging.has("index.json")) {
    oci_from_archive(staging, out.path(), archive_file);
  } else if (staging.has("manifest.json")) {
    docker_from_archive(staging, out.path(), archive_file);
    kind = OutputFormat::DockerArchive;
  } else {
    throw Error(archive_file.string() + " is neither an oci-archive (no oci-layout) nor a docker-archive (no manifest.json)");
  }
  out.commit();
  return kind;
}

}  // namespace slimbuild::image
