// The loader's search over a sysroot held in tests/unit/fake_filesystem.hpp:
// the cases a real directory makes slow or impossible (as root, EACCES does
// not happen; a file cannot be made to vanish at exactly the right moment).
// The ELF files are real, compiled once at test time without libc
// (-nostdlib), so the fake only needs the interpreter besides them.
#include "unit/test_trace_fixtures.hpp"

#include <slimbuild/trace/loader.hpp>
#include "trace/search_path.hpp"
#include <slimbuild/util/error.hpp>

#include "unit/fake_filesystem.hpp"

using namespace trace_fixtures;
using fake_fs::FakeFileSystem;
using slimbuild::Error;
using slimbuild::trace::TraceOptions;
using slimbuild::trace::TraceResult;
using slimbuild::trace::trace_binary;

namespace {

// app (NEEDED libfoo.so.1, PT_INTERP /lib64/ld-linux-x86-64.so.2) and libfoo.
struct Elves {
  std::string app, libfoo, interpreter;
};

const Elves& elves() {
  static const Elves e = [] {
    slimbuild::util::TempDir tmp("fake-sysroot-elves");
    shared_lib(tmp.path() / "libfoo.so", "libfoo.so.1", "foo", "", {"-nostdlib"});
    executable(tmp.path() / "app", "foo", {"-nostdlib", "-Wl,-e,main", "-L" + tmp.path().string(), "-l:libfoo.so"});
    return Elves{read_bytes(tmp.path() / "app"), read_bytes(tmp.path() / "libfoo.so"),
                 read_bytes("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")};
  }();
  return e;
}

// The program at /src/app (outside the sysroot), the interpreter inside /sr.
FakeFileSystem& with_program(FakeFileSystem& fake) {
  fake.add_file("/src/app", elves().app, 0755);
  fake.add_file("/sr/lib64/ld-linux-x86-64.so.2", elves().interpreter, 0755);
  return fake;
}

TraceOptions options(const FakeFileSystem& fake) {
  TraceOptions o;
  o.sysroot = "/sr";
  o.binary_image_path = "/app/app";
  o.filesystem = &fake;
  return o;
}

// The Error a trace of /src/app over `fake` fails with.
Error trace_failure(const FakeFileSystem& fake) {
  try {
    trace_binary("/src/app", options(fake));
  } catch (const Error& e) {
    return e;
  }
  FAIL("the trace succeeded");
  return Error("");
}

}  // namespace

TEST_CASE("trace (fake fs): a soname behind looping symlinks is reported as a loop, not as missing") {
  FakeFileSystem fake;
  with_program(fake);
  fake.add_symlink("/sr/usr/lib/libfoo.so.1", "libfoo.so.1.0");
  fake.add_symlink("/sr/usr/lib/libfoo.so.1.0", "/usr/lib/libfoo.so.1");
  Error e = trace_failure(fake);
  CHECK_THAT(e.what(), Catch::Contains("too many levels of symbolic links") &&
                           Catch::Contains("resolving /usr/lib/libfoo.so.1") && Catch::Contains("in sysroot /sr"));
  CHECK_THAT(e.hint(), Catch::Contains("fix the symlinks"));
}

TEST_CASE("trace (fake fs): an ld.so.conf include cycle ends, and each file is read once") {
  FakeFileSystem fake;
  fake.add_file("/sr/etc/ld.so.conf", "include ld.so.conf.d/*.conf\n/opt/a\n");
  fake.add_file("/sr/etc/ld.so.conf.d/a.conf", "include /etc/ld.so.conf\ninclude b.conf\n/opt/from-a\n");
  fake.add_file("/sr/etc/ld.so.conf.d/b.conf", "include ../ld.so.conf.d/a.conf\n/opt/from-b\n");
  CHECK(slimbuild::trace::read_ld_so_conf("/sr", fake) == std::vector<std::string>{"/opt/from-b", "/opt/from-a", "/opt/a"});
  for (const char* f : {"/sr/etc/ld.so.conf", "/sr/etc/ld.so.conf.d/a.conf", "/sr/etc/ld.so.conf.d/b.conf"}) {
    INFO(f);
    CHECK(fake.calls(fake_fs::kReadFile, f) == 1);
  }
}

TEST_CASE("trace (fake fs): a library directory that cannot be read fails the trace, naming it") {
  FakeFileSystem fake;
  with_program(fake);
  fake.add_file("/sr/usr/lib/libfoo.so.1", elves().libfoo);  // found later in the order
  fake.add_dir("/sr/usr/lib/x86_64-linux-gnu");
  fake.fail("/sr/usr/lib/x86_64-linux-gnu", EACCES);
  // Searching on past it could pick another libfoo than the image's loader
  // would, so the trace stops and says why.
  Error e = trace_failure(fake);
  CHECK_THAT(e.what(), Catch::Contains("searching for /usr/lib/x86_64-linux-gnu/libfoo.so.1 in sysroot /sr") &&
                           Catch::Contains("cannot read /usr/lib/x86_64-linux-gnu: Permission denied"));
  CHECK_THAT(e.hint(), Catch::Contains("readable"));
  // Readable again, the same sysroot traces.
  FakeFileSystem ok;
  with_program(ok);
  ok.add_file("/sr/usr/lib/libfoo.so.1", elves().libfoo);
  TraceResult r = trace_binary("/src/app", options(ok));
  REQUIRE(r.libraries.size() == 1);
  CHECK(r.libraries[0].host_path == "/sr/usr/lib/libfoo.so.1");
}

TEST_CASE("trace (fake fs): a symlink chain that points out of the sysroot is resolved inside it") {
  FakeFileSystem fake;
  with_program(fake);
  // Absolute, then climbing above the root: both stay in /sr, as in a chroot.
  fake.add_symlink("/sr/usr/lib/libfoo.so.1", "/opt/vendor/libfoo.so.1");
  fake.add_symlink("/sr/opt/vendor/libfoo.so.1", "../../../../../../usr/lib/real/libfoo.so.1.0");
  fake.add_file("/sr/usr/lib/real/libfoo.so.1.0", elves().libfoo);
  // The host's files of the same names must never be looked at.
  fake.add_file("/opt/vendor/libfoo.so.1", "host decoy");
  fake.add_file("/usr/lib/real/libfoo.so.1.0", "host decoy");

  TraceResult r = trace_binary("/src/app", options(fake));
  REQUIRE(r.libraries.size() == 1);
  const auto& lib = r.libraries[0];
  CHECK(lib.image_path == "/usr/lib/libfoo.so.1");
  CHECK(lib.host_path == "/sr/usr/lib/real/libfoo.so.1.0");
  REQUIRE(lib.symlinks.size() == 2);
  CHECK(lib.symlinks[0].image_path == "/usr/lib/libfoo.so.1");
  CHECK(lib.symlinks[1].image_path == "/opt/vendor/libfoo.so.1");
  CHECK(fake.calls(fake_fs::kAll, "/opt/vendor/libfoo.so.1") == 0);
  CHECK(fake.calls(fake_fs::kAll, "/usr/lib/real/libfoo.so.1.0") == 0);
  // Checked for its architecture, then loaded: one open of each ELF.
  CHECK(fake.calls(fake_fs::kOpen, "/sr/usr/lib/real/libfoo.so.1.0") == 1);
  CHECK(fake.calls(fake_fs::kOpen, "/src/app") == 1);
}

TEST_CASE("trace (fake fs): a library that vanishes between the search and the read is a clear error") {
  FakeFileSystem fake;
  with_program(fake);
  fake.add_file("/sr/usr/lib/libfoo.so.1", elves().libfoo);
  fake.before_open = [&](const fs::path& p) {
    if (p == "/sr/usr/lib/libfoo.so.1") fake.remove(p);
  };
  CHECK_THAT(trace_failure(fake).what(), Catch::Contains("cannot open /sr/usr/lib/libfoo.so.1: No such file or directory") &&
                                             Catch::Contains("loaded as /usr/lib/libfoo.so.1 for /app/app"));
}
