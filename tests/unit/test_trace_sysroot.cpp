// Lookups confined to a sysroot: resolve_in_sysroot's chroot semantics
// (absolute links restart at the sysroot, ".." stops there, loops and
// dangling links are errors) and a whole trace inside an assembled
// merged-/usr sysroot with its own ld.so.conf, which must never touch the
// host's libraries.
#include "unit/test_trace_fixtures.hpp"

#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>

using namespace trace_fixtures;
using slimbuild::Error;
using slimbuild::trace::resolve_in_sysroot;
using slimbuild::trace::ResolvedPath;
using slimbuild::trace::TraceOptions;
using slimbuild::trace::TraceResult;
using slimbuild::trace::trace_binary;
using slimbuild::util::TempDir;

namespace {

bool inside(const fs::path& p, const fs::path& root) {
  auto rel = p.lexically_normal().lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

// Debian 12 layout in miniature: merged /usr, the interpreter reached through
// /lib64 -> usr/lib64 and an absolute link, ld.so.conf including a glob.
fs::path debian_like_sysroot(const fs::path& s) {
  const fs::path multi = s / "usr/lib/x86_64-linux-gnu";
  fs::create_directories(multi);
  fs::create_directories(s / "usr/lib64");
  fs::create_directories(s / "usr/bin");
  fs::copy_file("/usr/lib/x86_64-linux-gnu/libc.so.6", multi / "libc.so.6");
  fs::copy_file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", multi / "ld-linux-x86-64.so.2");
  fs::create_directory_symlink("usr/lib", s / "lib");
  fs::create_directory_symlink("usr/lib64", s / "lib64");
  fs::create_symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", s / "usr/lib64/ld-linux-x86-64.so.2");
  write_text(s / "etc/ld.so.conf", "# local config\ninclude ld.so.conf.d/*.conf\n");
  write_text(s / "etc/ld.so.conf.d/custom.conf", "# a custom dir\n/opt/custom/lib\nhwcap 0 nosegneg\n");
  write_text(s / "etc/ld.so.conf.d/ignored.txt", "/should/not/be/read\n");
  return s;
}

}  // namespace

TEST_CASE("trace: resolve_in_sysroot follows links like chroot and records hops") {
  TempDir tmp("trace-test");
  fs::path s = fs::canonical(tmp.path());
  fs::create_directories(s / "usr/lib");
  write_text(s / "usr/lib/libz.so.1.2.13", "z");
  fs::create_symlink("libz.so.1.2.13", s / "usr/lib/libz.so.1");
  fs::create_directory_symlink("usr/lib", s / "lib");
  fs::create_symlink("/lib/libz.so.1", s / "abs");         // absolute: inside the sysroot
  fs::create_symlink("../../../../../lib/libz.so.1", s / "usr/lib/climb");  // ".." stops at the sysroot

  ResolvedPath r = resolve_in_sysroot(s, "/lib/libz.so.1");
  CHECK(r.host_path == s / "usr/lib/libz.so.1.2.13");
  CHECK(r.image_path == "/usr/lib/libz.so.1.2.13");
  REQUIRE(r.hops.size() == 2);
  CHECK(r.hops[0].image_path == "/lib");
  CHECK(r.hops[0].target == "usr/lib");
  CHECK(r.hops[1].image_path == "/usr/lib/libz.so.1");
  CHECK(r.hops[1].target == "libz.so.1.2.13");

  ResolvedPath a = resolve_in_sysroot(s, "/abs");
  CHECK(a.host_path == s / "usr/lib/libz.so.1.2.13");
  CHECK(a.hops.front().target == "/lib/libz.so.1");
  CHECK(resolve_in_sysroot(s, "/usr/lib/climb").image_path == "/usr/lib/libz.so.1.2.13");
  CHECK(resolve_in_sysroot(s, "/../../usr/./lib//libz.so.1").image_path == "/usr/lib/libz.so.1.2.13");

  fs::create_symlink("loop-b", s / "loop-a");
  fs::create_symlink("loop-a", s / "loop-b");
  CHECK_THROWS_WITH(resolve_in_sysroot(s, "/loop-a"), Catch::Contains("too many levels of symbolic links"));
  fs::create_symlink("/usr/lib/gone.so", s / "dangling");
  CHECK_THROWS_WITH(resolve_in_sysroot(s, "/dangling"), Catch::Contains("symlink /dangling -> /usr/lib/gone.so is dangling"));
  CHECK_THROWS_WITH(resolve_in_sysroot(s, "/nothing/here"), Catch::Contains("/nothing does not exist"));
  CHECK_THROWS_WITH(resolve_in_sysroot(s, "/usr/lib/libz.so.1.2.13/x"), Catch::Contains("is not a directory"));
}

TEST_CASE("trace: a whole trace stays inside an assembled sysroot") {
  TempDir tmp("trace-test");
  fs::path s = debian_like_sysroot(fs::canonical(tmp.path()) / "root");
  fs::path build = fs::canonical(tmp.path()) / "build";
  shared_lib(build / "libfoo.so", "libfoo.so", "foo");
  fs::create_directories(s / "opt/custom/lib");
  fs::copy_file(build / "libfoo.so", s / "opt/custom/lib/libfoo.so");
  fs::path exe = s / "usr/bin/app";
  executable(exe, "foo", {"-L" + build.string(), "-lfoo"});

  TraceOptions o;
  o.sysroot = s;
  TraceResult r = trace_binary(exe, o);
  CHECK(r.binary.image_path == "/usr/bin/app");
  REQUIRE(r.interpreter);
  CHECK(r.interpreter->host_path == s / "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
  REQUIRE(r.interpreter->symlinks.size() == 3);
  CHECK(r.interpreter->symlinks[1].image_path == "/usr/lib64/ld-linux-x86-64.so.2");
  CHECK(r.interpreter->symlinks[1].target == "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");

  REQUIRE(r.libraries.size() == 2);
  CHECK(r.libraries[0].requested == "libfoo.so");
  CHECK(r.libraries[0].image_path == "/opt/custom/lib/libfoo.so");
  CHECK(r.libraries[0].found_via == slimbuild::trace::FoundVia::LdSoConf);
  CHECK(r.libraries[1].requested == "libc.so.6");
  CHECK(r.libraries[1].image_path == "/lib/x86_64-linux-gnu/libc.so.6");
  CHECK(r.libraries[1].found_via == slimbuild::trace::FoundVia::Default);
  CHECK(r.libraries[1].symlinks.front().image_path == "/lib");
  // libc's DT_NEEDED on ld-linux-x86-64.so.2 is the interpreter itself.
  CHECK(r.interpreter->needed_by.size() == 2);
  for (const auto& lib : r.libraries) CHECK(inside(lib.host_path, s));

  SECTION("the host's libraries are never used") {
    fs::path needs_z = s / "usr/bin/needs-z";
    executable(needs_z, "", {"-Wl,--no-as-needed", "-lz"});
    o.sysroot = s;
    CHECK_THROWS_WITH(trace_binary(needs_z, o), Catch::Contains("libz.so.1 (needed by /usr/bin/needs-z)") &&
                                                   Catch::Contains("in sysroot " + s.string()));
  }
  SECTION("a missing interpreter is named") {
    fs::remove(s / "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    CHECK_THROWS_WITH(trace_binary(exe, o), Catch::Contains("the interpreter /lib64/ld-linux-x86-64.so.2 of /usr/bin/app is missing"));
  }
}
