// writable:, arbitrary_uid and capabilities: as entries of the rootfs and
// as bytes of the layer: the directories' owners and modes, the home's group
// for OpenShift-style random uids, and the binary's security.capability
// attribute as a pax record that libarchive (like docker) reads back.
#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include "rootfs/system_files.hpp"
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/capabilities.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs_test::entry;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {

// path -> {name -> value} of every extended attribute in a .tar.gz.
std::map<std::string, std::map<std::string, std::string>> tar_xattrs(const fs::path& file) {
  util::CHandle<archive, archive_read_free> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  REQUIRE(archive_read_open_filename(a.get(), file.c_str(), 65536) == ARCHIVE_OK);
  std::map<std::string, std::map<std::string, std::string>> out;
  archive_entry* e = nullptr;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
      out[archive_entry_pathname(e)][name] = std::string(static_cast<const char*>(value), size);
    archive_read_data_skip(a.get());
  }
  return out;
}

manifest::Manifest runtime_manifest(const fs::path& dir) {
  auto m = rootfs_test::minimal_manifest(dir);
  m.binary.path = put(dir, "build/hello", "static program", 0755);
  m.writable = {"/var/lib/app", "/var/cache/app"};
  m.capabilities = {"net_bind_service"};
  return m;
}

}  // namespace

TEST_CASE("rootfs: writable directories belong to the user; arbitrary_uid makes them and the home group 0") {
  util::TempDir tmp("rootfs-runtime");
  auto m = runtime_manifest(tmp.path());
  trace::TraceResult t;
  rootfs::Rootfs r = rootfs::assemble_rootfs(m, t);
  const auto& state = entry(r, "/var/lib/app");
  CHECK(state.type == rootfs::EntryType::Directory);
  CHECK((state.mode == 0755 && state.uid == 65532 && state.gid == 65532));
  CHECK((entry(r, "/var/lib").uid == 0 && entry(r, "/var/lib").mode == 0755));  // parents stay root's
  CHECK(entry(r, "/home/app").mode == 0700);

  m.arbitrary_uid = true;
  rootfs::Rootfs open = rootfs::assemble_rootfs(m, t);
  CHECK((entry(open, "/var/lib/app").mode == 0775 && entry(open, "/var/lib/app").gid == 0));
  CHECK(entry(open, "/var/lib/app").uid == 65532);
  CHECK((entry(open, "/home/app").mode == 0770 && entry(open, "/home/app").gid == 0));
}

TEST_CASE("rootfs: a files: tree inside a writable directory keeps the directory the user's") {
  util::TempDir tmp("rootfs-runtime");
  auto m = runtime_manifest(tmp.path());
  put(tmp.path(), "seed/initial.db", "seed");
  manifest::FileSpec f;
  f.src = tmp.path() / "seed";
  f.dest = "/var/lib/app";
  f.dest_is_dir = true;
  m.files = {f};
  trace::TraceResult t;
  rootfs::Rootfs r = rootfs::assemble_rootfs(m, t);
  CHECK(entry(r, "/var/lib/app").uid == 65532);
  CHECK(entry(r, "/var/lib/app/initial.db").uid == 0);
}

TEST_CASE("layer: capabilities become the binary's security.capability pax xattr, nothing else gets one") {
  util::TempDir tmp("rootfs-runtime");
  auto m = runtime_manifest(tmp.path());
  trace::TraceResult t;
  rootfs::Rootfs r = rootfs::assemble_rootfs(m, t);
  CHECK(entry(r, "/app/hello").xattrs.at(util::kCapabilityXattr) == util::encode_file_capabilities(1u << 10));

  layer::LayerOptions opt;
  opt.mtime = 1700000000;
  auto first = layer::write_layer(r, tmp.path() / "a.tar.gz", opt);
  auto xattrs = tar_xattrs(tmp.path() / "a.tar.gz");
  REQUIRE(xattrs.size() == 1);
  REQUIRE(xattrs.count("app/hello") == 1);
  auto caps = util::decode_file_capabilities(xattrs["app/hello"].at("security.capability"));
  REQUIRE(caps);
  CHECK(util::describe_file_capabilities(*caps) == "cap_net_bind_service=ep");

  // Reproducible, and the attribute is part of the digest.
  CHECK(layer::write_layer(r, tmp.path() / "b.tar.gz", opt).digest == first.digest);
  m.capabilities.clear();
  rootfs::Rootfs plain = rootfs::assemble_rootfs(m, t);
  CHECK(entry(plain, "/app/hello").xattrs.empty());
  CHECK(layer::write_layer(plain, tmp.path() / "c.tar.gz", opt).digest != first.digest);
}
