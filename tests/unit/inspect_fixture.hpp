// Test fixture for inspect tests: writes a small OCI layout (one gzip'd
// tar layer, a config, a manifest, index.json) from a list of entries, so
// diff/archive/inspect tests can make precisely the two images they need.
// Deliberately independent of the production LayoutWriter: these tests must
// judge our reader side against layouts made another way.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/sha256.hpp>

namespace inspect_fixture {

namespace fs = std::filesystem;
using slimbuild::util::CHandle;

struct Item {
  std::string path;  // "app/hello" (no leading slash)
  char type = 'f';   // 'f', 'd', 'l'
  unsigned mode = 0644;
  std::string content;  // file content or link target
  unsigned uid = 0, gid = 0;
  int64_t mtime = 0;
};

inline std::string make_tar(const std::vector<Item>& items, bool gzip) {
  CHandle<archive, archive_write_free> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  if (gzip) {
    archive_write_add_filter_gzip(a.get());
    archive_write_set_options(a.get(), "gzip:!timestamp");
  }
  std::string out;
  // No zero padding after the gzip stream: Go readers take it for a second member.
  archive_write_set_bytes_in_last_block(a.get(), 1);
  archive_write_open(
      a.get(), &out, nullptr,
      [](archive*, void* sink, const void* data, size_t n) -> la_ssize_t {
        static_cast<std::string*>(sink)->append(static_cast<const char*>(data), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& it : items) {
    CHandle<archive_entry, archive_entry_free> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), it.path.c_str());
    archive_entry_set_perm(e.get(), it.mode);
    archive_entry_set_uid(e.get(), it.uid);
    archive_entry_set_gid(e.get(), it.gid);
    archive_entry_set_mtime(e.get(), it.mtime, 0);
    if (it.type == 'd') {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
    } else if (it.type == 'l') {
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), it.content.c_str());
    } else {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_size(e.get(), static_cast<la_int64_t>(it.content.size()));
    }
    archive_write_header(a.get(), e.get());
    if (it.type == 'f') archive_write_data(a.get(), it.content.data(), it.content.size());
  }
  archive_write_close(a.get());
  return out;
}

struct Image {
  std::vector<Item> items;
  nlohmann::json config_extra = nlohmann::json::object();  // merged into config.config
  std::map<std::string, std::string> annotations;
  std::string ref = "latest";
  int64_t created = 0;
};

inline std::string put_blob(const fs::path& dir, const std::string& bytes) {
  std::string digest = slimbuild::util::sha256_digest(bytes);
  fs::create_directories(dir / "blobs" / "sha256");
  slimbuild::util::write_file_atomic(dir / "blobs" / "sha256" / digest.substr(7), bytes);
  return digest;
}

// Returns the manifest digest.
inline std::string write_layout(const fs::path& dir, const Image& img) {
  using nlohmann::json;
  std::string tar = make_tar(img.items, false);
  std::string tgz = make_tar(img.items, true);
  std::string layer = put_blob(dir, tgz);
  json cfg_inner = {{"User", "65532:65532"}, {"Entrypoint", {"/app/hello"}}, {"Env", {"PATH=/usr/bin"}}};
  cfg_inner.update(img.config_extra);
  json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"created", img.created == 0 ? "1970-01-01T00:00:00Z" : "2023-11-14T22:13:20Z"},
                 {"config", cfg_inner},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {slimbuild::util::sha256_digest(tar)}}}}};
  std::string config_bytes = slimbuild::util::canonical_json(config);
  std::string config_digest = put_blob(dir, config_bytes);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                               {"digest", config_digest}, {"size", config_bytes.size()}}},
                   {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                {"digest", layer}, {"size", tgz.size()}}}}};
  if (!img.annotations.empty()) manifest["annotations"] = img.annotations;
  std::string manifest_bytes = slimbuild::util::canonical_json(manifest);
  std::string manifest_digest = put_blob(dir, manifest_bytes);
  json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                {"digest", manifest_digest},
                                {"size", manifest_bytes.size()},
                                {"annotations", {{"org.opencontainers.image.ref.name", img.ref}}}}}}};
  slimbuild::util::write_file_atomic(dir / "index.json", slimbuild::util::canonical_json(index));
  slimbuild::util::write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return manifest_digest;
}

inline Image hello_image() {
  Image img;
  img.items = {{"app", 'd', 0755, ""},
               {"app/hello", 'f', 0755, std::string("\x7f" "ELF binary bytes", 16)},
               {"etc", 'd', 0755, ""},
               {"etc/hello", 'd', 0755, ""},
               {"etc/hello/config.yml", 'f', 0640, "port: 3000\n"},
               {"lib", 'l', 0777, "usr/lib"},
               {"usr", 'd', 0755, ""},
               {"usr/lib", 'd', 0755, ""},
               {"usr/lib/libfoo.so.1", 'f', 0644, "libfoo version 1"}};
  img.annotations = {{"org.opencontainers.image.revision", "abc"}};
  return img;
}

inline Item& item(Image& img, const std::string& path) {
  for (auto& it : img.items)
    if (it.path == path) return it;
  throw std::runtime_error("fixture has no " + path);
}

}  // namespace inspect_fixture
