// The binary, interpreter and libraries with their symlink chains: on a
// hand-made merged-/usr sysroot, and on the real /usr/bin/curl.
#include <catch2/catch.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/elf_closure.hpp"
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs::EntryType;
using rootfs_test::entry;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {

// Follows image symlinks inside the Rootfs the way a chroot would; returns
// the final entry or nullptr if the path does not exist in the image.
const rootfs::Entry* resolve_in_image(const rootfs::Rootfs& r, const std::string& path, int depth = 0) {
  if (depth > 40) return nullptr;
  std::string done;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      done = done.substr(0, done.rfind('/'));
      continue;
    }
    std::string next = done + "/" + part;
    const rootfs::Entry* e = r.find(next);
    if (!e) return nullptr;
    if (e->type == EntryType::Symlink) {
      std::string target = e->link_target[0] == '/' ? e->link_target : done + "/" + e->link_target;
      std::string rest = j < path.size() ? path.substr(j) : "";
      return resolve_in_image(r, target + rest, depth + 1);
    }
    done = next;
    if (j >= path.size()) return e;
  }
  return nullptr;
}

trace::TracedObject object(const fs::path& sysroot, const std::string& image_path, std::vector<std::string> by) {
  trace::TracedObject o;
  o.image_path = image_path;
  o.host_path = sysroot / image_path.substr(1);
  o.needed_by = std::move(by);
  return o;
}

}  // namespace

TEST_CASE("rootfs: a merged-/usr sysroot keeps /lib, /lib64 and soname links so loader paths resolve") {
  util::TempDir tmp{"rootfs-elf"};
  fs::path sys = tmp.path() / "sysroot";
  std::string multi = "usr/lib/x86_64-linux-gnu/";
  put(sys, multi + "ld-linux-x86-64.so.2", "ld", 0755);
  put(sys, multi + "libz.so.1.2.13", "z", 0644);
  put(sys, multi + "libc.so.6", "c", 0755);
  fs::create_directories(sys / "usr/lib64");
  fs::create_symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", sys / "usr/lib64/ld-linux-x86-64.so.2");
  fs::create_symlink("libz.so.1.2.13", sys / multi / "libz.so.1");
  fs::create_symlink("usr/lib", sys / "lib");
  fs::create_symlink("usr/lib64", sys / "lib64");

  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.sysroot = sys;
  m.binary.path = put(tmp.path(), "build/hello", "app", 0644);
  m.binary.dest = "/app/hello";

  trace::TraceResult t;
  t.binary = object(tmp.path(), "/build/hello", {});
  t.binary.host_path = m.binary.path;
  t.interpreter = object(sys, "/lib64/ld-linux-x86-64.so.2", {"/build/hello"});
  t.libraries = {object(sys, "/lib/x86_64-linux-gnu/libz.so.1", {"/build/hello"}),
                 object(sys, "/lib/x86_64-linux-gnu/libc.so.6",
                        {"/build/hello", "/lib/x86_64-linux-gnu/libz.so.1"}),
                 object(sys, "/lib64/ld-linux-x86-64.so.2", {"/lib/x86_64-linux-gnu/libc.so.6"})};

  rootfs::Rootfs r;
  rootfs::add_elf_closure(r, m, t);

  const auto& bin = entry(r, "/app/hello");
  CHECK(bin.mode == 0755);  // the entrypoint is executable whatever its mode on disk
  CHECK(bin.origin == rootfs::EntryOrigin::Binary);
  CHECK(bin.source == m.binary.path);

  CHECK(entry(r, "/lib").link_target == "usr/lib");
  CHECK(entry(r, "/lib64").link_target == "usr/lib64");
  CHECK(entry(r, "/usr/lib64/ld-linux-x86-64.so.2").link_target == "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  CHECK(entry(r, "/usr/lib/x86_64-linux-gnu/libz.so.1").link_target == "libz.so.1.2.13");

  const auto& ld = entry(r, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  CHECK(ld.type == EntryType::File);
  CHECK(ld.mode == 0755);
  const auto& z = entry(r, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
  CHECK(z.mode == 0644);
  CHECK(z.origin == rootfs::EntryOrigin::Library);
  CHECK(z.needed_by == std::vector<std::string>{"/app/hello"});
  CHECK(entry(r, "/usr/lib/x86_64-linux-gnu/libc.so.6").needed_by ==
        std::vector<std::string>{"/app/hello", "/lib/x86_64-linux-gnu/libz.so.1"});

  // Every path the loader opens exists in the image and ends at a file.
  for (std::string p : {"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libz.so.1",
                        "/lib/x86_64-linux-gnu/libc.so.6"}) {
    const rootfs::Entry* e = resolve_in_image(r, p);
    INFO(p);
    REQUIRE(e);
    CHECK(e->type == EntryType::File);
  }
  for (const auto& [p, e] : r.entries()) CHECK((e.mode & 06000) == 0);
}

TEST_CASE("rootfs: a static binary brings only itself") {
  util::TempDir tmp{"rootfs-static"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.binary.path = put(tmp.path(), "hello", "static", 0755);
  trace::TraceResult t;
  t.binary.image_path = m.binary.path.string();
  t.binary.host_path = m.binary.path;
  rootfs::Rootfs r;
  rootfs::add_elf_closure(r, m, t);
  std::vector<std::string> paths;
  for (const auto& [p, e] : r.entries()) paths.push_back(p);
  CHECK(paths == std::vector<std::string>{"/app", "/app/hello"});
}

TEST_CASE("rootfs: the real /usr/bin/curl closure resolves in the image through merged-/usr links") {
  REQUIRE(fs::exists("/usr/bin/curl"));  // curl is in scripts/setup.sh
  util::TempDir tmp{"rootfs-curl"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.binary.path = "/usr/bin/curl";
  m.binary.dest = "/usr/bin/curl";
  trace::TraceResult t = trace::trace_binary("/usr/bin/curl", {});
  REQUIRE(t.interpreter);
  REQUIRE(t.libraries.size() > 5);

  rootfs::Rootfs r;
  rootfs::add_elf_closure(r, m, t);
  std::vector<std::string> opened{t.interpreter->image_path};
  for (const auto& lib : t.libraries) opened.push_back(lib.image_path);
  for (const auto& p : opened) {
    INFO(p);
    const rootfs::Entry* e = resolve_in_image(r, p);
    REQUIRE(e);
    CHECK(e->type == EntryType::File);
    CHECK_FALSE(e->needed_by.empty());
  }
  // Debian bookworm is merged-/usr: the loader's /lib and /lib64 are links.
  if (fs::is_symlink("/lib")) CHECK(entry(r, "/lib").type == EntryType::Symlink);
  if (fs::is_symlink("/lib64") && t.interpreter->image_path.rfind("/lib64/", 0) == 0)
    CHECK(entry(r, "/lib64").type == EntryType::Symlink);
  CHECK(entry(r, "/usr/bin/curl").mode == 0755);
}

TEST_CASE("rootfs: a library found through $ORIGIN of a build-tree binary lands beside binary.dest") {
  util::TempDir tmp{"rootfs-origin"};
  fs::path src = tmp.path() / "src";
  put(src, "greet.c", "const char* greet(void) { return \"hi\"; }\n");
  put(src, "main.c", "#include <stdio.h>\nconst char* greet(void);\nint main(void) { puts(greet()); }\n");
  fs::create_directories(tmp.path() / "build/lib");
  auto cc = [](std::vector<std::string> argv) {
    argv.insert(argv.begin(), "cc");
    auto r = util::run_process(argv);
    INFO(r.err);
    REQUIRE(r.ok());
  };
  cc({"-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o", (tmp.path() / "build/lib/libgreet.so.1").string(),
      (src / "greet.c").string()});
  cc({"-o", (tmp.path() / "build/hello").string(), (src / "main.c").string(),
      (tmp.path() / "build/lib/libgreet.so.1").string(), "-Wl,-rpath,$ORIGIN/lib"});

  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.binary.path = tmp.path() / "build/hello";
  m.binary.dest = "/opt/app/hello";
  trace::TraceOptions opts;
  opts.binary_image_path = m.binary.dest;
  trace::TraceResult t = trace::trace_binary(m.binary.path, opts);

  rootfs::Rootfs r;
  rootfs::add_elf_closure(r, m, t);
  const auto& greet = entry(r, "/opt/app/lib/libgreet.so.1");
  CHECK(greet.type == EntryType::File);
  CHECK(greet.source == tmp.path() / "build/lib/libgreet.so.1");
  CHECK(greet.needed_by == std::vector<std::string>{"/opt/app/hello"});
  const rootfs::Entry* libc = resolve_in_image(r, "/lib/x86_64-linux-gnu/libc.so.6");
  REQUIRE(libc);
  CHECK(libc->type == EntryType::File);
}
