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

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <vector>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/limits.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

constexpr std::size_t kMaxMembers = 100000;
// Blobs this small are staged on the first pass: they are the manifests and
// configs whose references decide which big members are needed at all.
constexpr uint64_t kSmallBlob = 64u << 10;

struct Member {
  fs::path staged;     // regular files, once staged: staging path
  std::string digest;  // sha256 of the content (once staged)
  uint64_t size = 0;   // from the tar header
  bool regular = false;
  std::string link;    // symlink/hardlink: target member name
};

std::string clean_name(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

// The archive is read in passes. The first lists every member and stages
// only the documents (oci-layout, index.json, manifest.json, small blobs);
// later passes stage just the members those documents reference. A member
// nobody references is never written to disk, however large it claims to be;
// staged members are capped one by one and in total (util::Limit).
class Staging {
 public:
  Staging(const fs::path& archive_file, const fs::path& dir) : archive_(archive_file), dir_(dir) {
    fs::create_directories(dir_);
    pass([](const std::string& name, const Member& m) {
      return name == "oci-layout" || name == "index.json" || name == "manifest.json" ||
             (name.rfind("blobs/sha256/", 0) == 0 && m.size <= kSmallBlob);
    });
  }

  // Stages the regular files behind `names` (links followed) not staged yet.
  void stage(const std::set<std::string>& names) {
    std::set<std::string> want;
    for (const auto& n : names)
      if (auto* m = find(n); m && m->staged.empty()) want.insert(resolved_name(n));
    if (want.empty()) return;
    pass([&](const std::string& name, const Member&) { return want.count(name) != 0; });
  }

  // The regular file a name refers to, following links inside the archive.
  const Member& get(const std::string& name) const {
    const Member* m = find(name);
    if (!m) throw Error(archive_.string() + " has no member '" + name + "'", "the archive is incomplete or not an image archive");
    if (m->staged.empty()) throw Error("internal: archive member '" + name + "' was used before it was staged");
    return *m;
  }
  bool has(const std::string& name) const { return members_.count(name) != 0; }
  bool staged(const std::string& name) const {
    const Member* m = find(name);
    return m && !m->staged.empty();
  }

 private:
  const Member* find(const std::string& name) const {
    auto it = members_.find(resolved_name(name));
    return it == members_.end() || !it->second.regular ? nullptr : &it->second;
  }
  std::string resolved_name(const std::string& name) const {
    std::string n = clean_name(name);
    for (int hops = 0; hops < 16; ++hops) {
      auto it = members_.find(n);
      if (it == members_.end() || it->second.link.empty()) return n;
      n = it->second.link;
    }
    return n;
  }

  template <typename Wanted>
  void pass(Wanted wanted) {
    const bool first = members_.empty();
    util::CHandle<archive, archive_read_free> a(archive_read_new());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    archive_read_support_filter_all(a.get());
    if (archive_read_open_filename(a.get(), archive_.c_str(), 1 << 16) != ARCHIVE_OK) fail(a.get());
    archive_entry* e = nullptr;
    int rc;
    std::size_t count = 0;
    while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      if (++count > kMaxMembers) throw Error(archive_.string() + " has too many members for an image archive");
      std::string name = clean_name(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
      if (name.empty() || name[0] == '/' || ("/" + name + "/").find("/../") != std::string::npos) continue;
      if (first) {
        Member m;
        if (const char* h = archive_entry_hardlink(e)) {
          m.link = clean_name(h);
        } else if (archive_entry_filetype(e) == AE_IFLNK) {
          // Relative to the member's directory (docker's legacy layer dedup).
          fs::path target = fs::path(name).parent_path() / (archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
          m.link = clean_name(target.lexically_normal().generic_string());
        } else if (archive_entry_filetype(e) == AE_IFREG) {
          m.regular = true;
          m.size = archive_entry_size(e) > 0 ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
        } else {
          continue;
        }
        members_[name] = std::move(m);
      }
      auto it = members_.find(name);
      if (it == members_.end() || !it->second.regular || !it->second.staged.empty() || !wanted(name, it->second)) continue;
      copy_data(a.get(), name, it->second);
    }
    if (rc != ARCHIVE_EOF) fail(a.get());
  }

  [[noreturn]] void fail(archive* a) const {
    const char* msg = archive_error_string(a);
    throw Error("cannot read " + archive_.string() + ": " + (msg ? msg : "not a tar archive"),
                "pass an oci-archive or docker-archive file (tar, optionally compressed) or an OCI layout directory");
  }

  void copy_data(archive* a, const std::string& name, Member& m) {
    const std::string what = archive_.string() + ": member " + name + " (" + std::to_string(m.size) + " bytes)";
    if (m.size > util::limit(util::Limit::MemberBytes)) util::limit_exceeded(util::Limit::MemberBytes, what);
    if (total_ + m.size > util::limit(util::Limit::ExtractBytes)) util::limit_exceeded(util::Limit::ExtractBytes, what);
    m.staged = dir_ / ("m" + std::to_string(counter_++));
    std::ofstream out(m.staged, std::ios::binary);
    util::Sha256 h;
    std::vector<char> buf(1 << 16);
    la_ssize_t n;
    uint64_t got = 0;
    while ((n = archive_read_data(a, buf.data(), buf.size())) > 0) {
      out.write(buf.data(), n);
      h.update(buf.data(), static_cast<std::size_t>(n));
      got += static_cast<uint64_t>(n);
      if (got > m.size) throw Error(what + " holds more data than its header says");
    }
    if (n < 0) fail(a);
    if (!out.flush()) throw Error("cannot write " + m.staged.string());
    total_ += got;
    m.size = got;
    m.digest = h.digest();
  }

  fs::path archive_;
  fs::path dir_;
  std::map<std::string, Member> members_;
  std::size_t counter_ = 0;
  uint64_t total_ = 0;
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

std::string blob_member(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

nlohmann::json staged_json(const Staging& s, const std::string& name, const fs::path& archive_file) {
  return util::parse_untrusted_json(util::read_file(s.get(name).staged), archive_file.string() + ": " + name);
}

// Everything index.json reaches: manifests and indexes are read as they are
// staged (pass by pass) for the configs and layers they name.
void oci_from_archive(Staging& s, const fs::path& layout, const fs::path& archive_file) {
  std::set<std::string> documents, blobs, read;  // digests
  std::vector<nlohmann::json> todo{staged_json(s, "index.json", archive_file)};
  auto add = [&](const nlohmann::json& d, bool document) {
    if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string()) return;
    std::string digest = d["digest"].get<std::string>();
    if (!util::is_sha256_digest(digest)) throw Error(archive_file.string() + ": invalid digest '" + digest.substr(0, 80) + "'");
    blobs.insert(digest);
    if (document) documents.insert(digest);
  };
  // index -> (nested indexes) -> manifests -> config and layers: a few rounds.
  for (int round = 0; round < 8 && !todo.empty(); ++round) {
    for (const auto& doc : todo) {
      if (!doc.is_object()) continue;
      for (const auto& m : doc.value("manifests", nlohmann::json::array())) add(m, true);
      if (doc.contains("config")) add(doc["config"], false);
      for (const auto& l : doc.value("layers", nlohmann::json::array())) add(l, false);
    }
    todo.clear();
    std::set<std::string> names;
    for (const auto& d : blobs) names.insert(blob_member(d));
    s.stage(names);
    for (const auto& d : documents)
      if (!read.count(d) && s.staged(blob_member(d))) {
        read.insert(d);
        // Checked before it is parsed: a document is trusted only by its digest.
        if (s.get(blob_member(d)).digest != d)
          throw Error(archive_file.string() + ": blob " + blob_member(d) + " does not match its digest (corrupted archive)");
        todo.push_back(staged_json(s, blob_member(d), archive_file));
      }
  }
  BlobStore store(layout);
  for (const auto& digest : blobs) {
    if (!s.staged(blob_member(digest))) continue;  // absent: the layout reader reports it when it is needed
    const Member& file = s.get(blob_member(digest));
    if (file.digest != digest)
      throw Error(archive_file.string() + ": blob " + blob_member(digest) + " does not match its digest (corrupted archive)");
    store.put(file, "");
  }
  fs::copy_file(s.get("oci-layout").staged, layout / "oci-layout");
  fs::copy_file(s.get("index.json").staged, layout / "index.json");
}

void docker_from_archive(Staging& s, const fs::path& layout, const fs::path& archive_file) {
  nlohmann::json entries = staged_json(s, "manifest.json", archive_file);
  if (!entries.is_array() || entries.empty()) throw Error(archive_file.string() + ": manifest.json lists no image");
  std::set<std::string> referenced;
  for (const auto& entry : entries) {
    if (!entry.is_object()) continue;
    if (entry.contains("Config") && entry["Config"].is_string()) referenced.insert(entry["Config"].get<std::string>());
    for (const auto& l : entry.value("Layers", nlohmann::json::array()))
      if (l.is_string()) referenced.insert(l.get<std::string>());
  }
  s.stage(referenced);
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
