// trace_binary against real ELF files built at test time: RUNPATH vs RPATH
// (inheritance), $ORIGIN, dlopen()ed libraries, static binaries, symlink
// chains, wrong-architecture candidates. Where it is cheap, the real dynamic
// loader is run on the same fixture as an independent oracle.
#include "unit/test_trace_fixtures.hpp"

#include <algorithm>
#include <functional>

#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>

using namespace trace_fixtures;
using slimbuild::Error;
using slimbuild::trace::TraceOptions;
using slimbuild::trace::TraceResult;
using slimbuild::trace::TracedObject;
using slimbuild::trace::trace_binary;
using slimbuild::util::TempDir;
using slimbuild::util::run_process;

namespace {

const TracedObject* find_lib(const TraceResult& r, const std::string& soname) {
  for (const auto& l : r.libraries)
    if (l.requested == soname) return &l;
  return nullptr;
}

std::string trace_error(const fs::path& bin, const TraceOptions& o = {}) {
  try {
    trace_binary(bin, o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// libB in `b_dir`; libA (needs libB, no search path of its own) in `a_dir`;
// an executable needing libA with both directories as RPATH or RUNPATH.
fs::path rpath_chain(const fs::path& root, bool new_dtags) {
  fs::path a_dir = root / "a", b_dir = root / "b";
  shared_lib(b_dir / "libB.so", "libB.so", "b");
  shared_lib(a_dir / "libA.so", "libA.so", "a", "b", {"-L" + b_dir.string(), "-lB"});
  fs::path exe = root / "bin" / "app";
  executable(exe, "a",
             {"-L" + a_dir.string(), "-lA", new_dtags ? "-Wl,--enable-new-dtags" : "-Wl,--disable-new-dtags",
              "-Wl,-rpath," + a_dir.string() + ":" + b_dir.string()});
  return exe;
}

// libfoo.so in `second`, a decoy at `first`/libfoo.so made by `decoy`, and
// an executable whose RUNPATH lists first, then second.
fs::path decoy_then_real(const fs::path& root, const std::function<void(const fs::path& real, const fs::path& decoy)>& decoy) {
  fs::path first = root / "first", second = root / "second";
  shared_lib(second / "libfoo.so", "libfoo.so", "foo");
  fs::create_directories(first);
  decoy(second / "libfoo.so", first / "libfoo.so");
  fs::path exe = root / "app";
  executable(exe, "foo", {"-L" + second.string(), "-lfoo", "-Wl,--enable-new-dtags",
                          "-Wl,-rpath," + first.string() + ":" + second.string()});
  REQUIRE(run_process({exe.string()}).exit_code == 1);  // the real loader passes over the decoy too
  return exe;
}

}  // namespace

TEST_CASE("trace: RUNPATH $ORIGIN/../lib finds a library beside the binary") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  shared_lib(root / "lib" / "libfoo.so", "libfoo.so", "foo");
  fs::path exe = root / "bin" / "app";
  executable(exe, "foo", {"-L" + (root / "lib").string(), "-lfoo", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib"});
  REQUIRE(run_process({exe.string()}).exit_code == 1);  // the real loader agrees

  TraceResult r = trace_binary(exe, {});
  REQUIRE(r.binary.elf.runpath == std::vector<std::string>{"$ORIGIN/../lib"});
  const TracedObject* foo = find_lib(r, "libfoo.so");
  REQUIRE(foo);
  CHECK(foo->image_path == (root / "lib" / "libfoo.so").string());
  CHECK(foo->found_via == slimbuild::trace::FoundVia::Runpath);
  CHECK(foo->needed_by == std::vector<std::string>{exe.string()});
  REQUIRE(r.interpreter);
  CHECK(find_lib(r, "libc.so.6"));

  SECTION("placed at binary.dest, $ORIGIN follows the binary into the image") {
    TraceOptions o;
    o.binary_image_path = "/app/bin/app";
    TraceResult placed = trace_binary(exe, o);
    CHECK(placed.binary.image_path == "/app/bin/app");
    const TracedObject* f = find_lib(placed, "libfoo.so");
    REQUIRE(f);
    CHECK(f->image_path == "/app/lib/libfoo.so");
    CHECK(f->host_path == root / "lib" / "libfoo.so");
    CHECK(f->found_via == slimbuild::trace::FoundVia::Origin);
    CHECK(f->needed_by == std::vector<std::string>{"/app/bin/app"});
  }
}

TEST_CASE("trace: DT_RPATH is inherited by the libraries the binary loads") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path exe = rpath_chain(root, false);
  REQUIRE(run_process({exe.string()}).exit_code == 2);  // the real loader finds libB through the exe's RPATH

  TraceResult r = trace_binary(exe, {});
  REQUIRE(r.binary.elf.rpath.size() == 2);
  REQUIRE(r.binary.elf.runpath.empty());
  const TracedObject* b = find_lib(r, "libB.so");
  REQUIRE(b);
  CHECK(b->image_path == (root / "b" / "libB.so").string());
  CHECK(b->found_via == slimbuild::trace::FoundVia::Rpath);
  CHECK(b->needed_by == std::vector<std::string>{(root / "a" / "libA.so").string()});
}

TEST_CASE("trace: DT_RUNPATH is not inherited, the missing library and its needer are named") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path exe = rpath_chain(root, true);
  auto real = run_process({exe.string()});
  REQUIRE(real.exit_code != 0);  // the real loader fails the same way
  REQUIRE(real.err.find("libB.so") != std::string::npos);

  std::string msg = trace_error(exe);
  CHECK(msg.find("libB.so (needed by " + (root / "a" / "libA.so").string() + ")") != std::string::npos);
  CHECK(msg.find("searched:") != std::string::npos);
  CHECK(msg.find("/usr/lib") != std::string::npos);
}

TEST_CASE("trace: the RPATH chain passes through an object with RUNPATH") {
  // app (RPATH a:b) -> libA (RUNPATH m) -> libM (nothing) -> libB (only in b).
  // libA's own RPATH is ignored because it has RUNPATH, but libM's search
  // still climbs the loader chain to the binary's RPATH.
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path a = root / "a", b = root / "b", m = root / "m";
  shared_lib(b / "libB.so", "libB.so", "b");
  shared_lib(m / "libM.so", "libM.so", "mm", "b", {"-L" + b.string(), "-lB"});
  shared_lib(a / "libA.so", "libA.so", "a", "mm",
             {"-L" + m.string(), "-lM", "-Wl,-rpath-link," + b.string(), "-Wl,--enable-new-dtags", "-Wl,-rpath," + m.string()});
  fs::path exe = root / "app";
  executable(exe, "a", {"-L" + a.string(), "-lA", "-Wl,-rpath-link," + m.string() + ":" + b.string(),
                        "-Wl,--disable-new-dtags", "-Wl,-rpath," + a.string() + ":" + b.string()});
  REQUIRE(run_process({exe.string()}).exit_code == 3);  // the real loader resolves the chain

  TraceResult r = trace_binary(exe, {});
  CHECK(find_lib(r, "libM.so")->found_via == slimbuild::trace::FoundVia::Runpath);
  const TracedObject* lb = find_lib(r, "libB.so");
  REQUIRE(lb);
  CHECK(lb->found_via == slimbuild::trace::FoundVia::Rpath);
  CHECK(lb->needed_by == std::vector<std::string>{(m / "libM.so").string()});
}

TEST_CASE("trace: two names for the same file load it once") {
  // libfoo has no DT_SONAME, so each linker run records the name it was
  // given: libbar needs "libfoo.so", the binary "libfoo.so.1" (a symlink to
  // the same file). glibc notices the same device/inode and loads it once.
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path lib = root / "lib";
  gcc("int foo(void){return 1;}\n", lib / "libfoo.so.1", {"-shared", "-fPIC"});
  fs::create_symlink("libfoo.so.1", lib / "libfoo.so");
  shared_lib(lib / "libbar.so", "libbar.so", "bar", "foo", {"-L" + lib.string(), "-l:libfoo.so"});
  fs::path exe = root / "app";
  executable(exe, "bar", {"-Wl,--no-as-needed", "-L" + lib.string(), "-lbar", "-l:libfoo.so.1",
                          "-Wl,--disable-new-dtags", "-Wl,-rpath," + lib.string()});
  REQUIRE(run_process({exe.string()}).exit_code == 2);

  TraceResult r = trace_binary(exe, {});
  REQUIRE(r.binary.elf.needed.size() >= 2);
  int foos = 0;
  for (const auto& l : r.libraries)
    if (l.host_path == lib / "libfoo.so.1") {
      ++foos;
      CHECK(l.needed_by.size() == 2);
    }
  CHECK(foos == 1);
}

TEST_CASE("trace: every missing library is reported at once with a hint") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  shared_lib(root / "x" / "libone.so", "libone.so", "one");
  shared_lib(root / "x" / "libtwo.so", "libtwo.so", "two");
  fs::path exe = root / "app";
  gcc("int one(void); int two(void); int main(void){return one()+two();}\n", exe,
      {"-L" + (root / "x").string(), "-lone", "-ltwo"});
  try {
    trace_binary(exe, {});
    FAIL("expected an error");
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK(msg.find("2 shared libraries for " + exe.string() + " not found") != std::string::npos);
    CHECK(msg.find("libone.so (needed by " + exe.string() + ")") != std::string::npos);
    CHECK(msg.find("libtwo.so (needed by " + exe.string() + ")") != std::string::npos);
    CHECK(std::string(e.hint()).find("RUNPATH") != std::string::npos);
  }
}

TEST_CASE("trace: dlopen()ed libraries from the manifest are resolved with their own dependencies") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path plugins = root / "plugins";
  shared_lib(plugins / "libdep.so", "libdep.so", "dep");
  shared_lib(plugins / "libplug.so", "libplug.so", "plug", "dep",
             {"-L" + plugins.string(), "-ldep", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN"});
  fs::path exe = root / "app";
  executable(exe, "", {"-Wl,--enable-new-dtags", "-Wl,-rpath," + plugins.string()});

  TraceOptions o;
  SECTION("by soname, searched like the binary's DT_NEEDED") { o.extra_libraries = {"libplug.so"}; }
  SECTION("by absolute path") { o.extra_libraries = {(plugins / "libplug.so").string()}; }
  TraceResult r = trace_binary(exe, o);
  const TracedObject* plug = nullptr;
  for (const auto& l : r.libraries)
    if (l.image_path == (plugins / "libplug.so").string()) plug = &l;
  REQUIRE(plug);
  CHECK(plug->needed_by.empty());  // no ELF needs it: the manifest's libraries: loaded it
  CHECK(plug->manifest_request == slimbuild::trace::ManifestRequest::First);
  const TracedObject* dep = find_lib(r, "libdep.so");
  REQUIRE(dep);
  CHECK(dep->needed_by == std::vector<std::string>{(plugins / "libplug.so").string()});
  // dlopen happens after startup: the initial closure comes first.
  CHECK(r.libraries.front().requested == "libc.so.6");

  o.extra_libraries = {"libnot-there.so.7"};
  std::string msg = trace_error(exe, o);
  CHECK(msg.find("libnot-there.so.7 (needed by manifest)") != std::string::npos);
}

TEST_CASE("trace: static binaries need nothing") {
  TempDir tmp("trace-test");
  fs::path exe = tmp.path() / "static";
  executable(exe, "", {"-static"});
  TraceResult r = trace_binary(exe, {});
  CHECK(r.binary.elf.is_static());
  CHECK_FALSE(r.interpreter);
  CHECK(r.libraries.empty());

  fs::path pie = tmp.path() / "static-pie";
  executable(pie, "", {"-static-pie"});
  TraceResult p = trace_binary(pie, {});
  CHECK(p.binary.elf.type == 3);  // ET_DYN with PT_DYNAMIC but no PT_INTERP and no DT_NEEDED
  CHECK(p.binary.elf.is_static());
  CHECK(p.libraries.empty());
}

TEST_CASE("trace: symlink chains are kept and every hop is recorded") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path lib = root / "lib";
  shared_lib(lib / "libfoo.so.1.2.3", "libfoo.so.1", "foo");
  fs::create_symlink("libfoo.so.1.2.3", lib / "libfoo.so.1");
  fs::create_symlink("libfoo.so.1", lib / "libfoo.so");
  fs::create_directory_symlink("lib", root / "lib-link");
  fs::path exe = root / "app";
  executable(exe, "foo", {"-L" + lib.string(), "-lfoo", "-Wl,--enable-new-dtags", "-Wl,-rpath," + (root / "lib-link").string()});

  TraceResult r = trace_binary(exe, {});
  const TracedObject* foo = find_lib(r, "libfoo.so.1");
  REQUIRE(foo);
  CHECK(foo->image_path == (root / "lib-link" / "libfoo.so.1").string());
  CHECK(foo->host_path == lib / "libfoo.so.1.2.3");
  REQUIRE(foo->symlinks.size() == 2);
  CHECK(foo->symlinks[0].image_path == (root / "lib-link").string());
  CHECK(foo->symlinks[0].target == "lib");
  CHECK(foo->symlinks[1].image_path == (lib / "libfoo.so.1").string());
  CHECK(foo->symlinks[1].target == "libfoo.so.1.2.3");
}

TEST_CASE("trace: a candidate of the wrong machine is skipped like ld.so does") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path exe = decoy_then_real(root, [](const fs::path& real, const fs::path& decoy) {
    std::string bytes = read_bytes(real);
    put_le<uint16_t>(bytes, 18, 183);  // e_machine = EM_AARCH64
    write_bytes(decoy, bytes);
  });
  TraceResult r = trace_binary(exe, {});
  const TracedObject* foo = find_lib(r, "libfoo.so");
  REQUIRE(foo);
  CHECK(foo->image_path == (root / "second" / "libfoo.so").string());

  fs::remove(root / "second" / "libfoo.so");
  std::string msg = trace_error(exe);
  CHECK(msg.find("libfoo.so (needed by") != std::string::npos);
  CHECK(msg.find("skipped (wrong architecture): " + (root / "first" / "libfoo.so").string() +
                 " (64-bit little-endian AArch64)") != std::string::npos);
}

TEST_CASE("trace: -z nodefaultlib keeps the default directories out of the search") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  shared_lib(root / "lib" / "libfoo.so", "libfoo.so", "foo");
  fs::path exe = root / "app";
  executable(exe, "foo", {"-L" + (root / "lib").string(), "-lfoo", "-Wl,-z,nodefaultlib", "-Wl,--enable-new-dtags",
                          "-Wl,-rpath," + (root / "lib").string()});
  auto real = run_process({exe.string()});
  REQUIRE(real.exit_code != 0);  // the real loader cannot find libc.so.6 either
  REQUIRE(real.err.find("libc.so.6") != std::string::npos);

  std::string msg = trace_error(exe);
  CHECK(msg.find("libc.so.6 (needed by " + exe.string() + ")\n    searched: " + (root / "lib").string()) != std::string::npos);
  CHECK(msg.find("/usr/lib") == std::string::npos);
  // Only the binary's own needs are affected: libfoo (no flag) still finds libc.
  fs::copy_file("/usr/lib/x86_64-linux-gnu/libc.so.6", root / "lib" / "libc.so.6");
  TraceResult r = trace_binary(exe, {});
  CHECK(r.binary.elf.nodeflib);
  CHECK(find_lib(r, "libc.so.6")->image_path == (root / "lib" / "libc.so.6").string());
}

TEST_CASE("trace: a dangling symlink candidate is passed over like a missing file") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  fs::path exe = decoy_then_real(root, [](const fs::path&, const fs::path& decoy) {
    fs::create_symlink("libfoo.so.9", decoy);  // dangles
  });
  CHECK(find_lib(trace_binary(exe, {}), "libfoo.so")->image_path == (root / "second" / "libfoo.so").string());
}

TEST_CASE("trace: a binary for another operating system is refused") {
  TempDir tmp("trace-test");
  fs::path exe = tmp.path() / "app";
  executable(exe, "", {});
  std::string bytes = read_bytes(exe);
  bytes[7] = 9;  // ELFOSABI_FREEBSD
  write_bytes(exe, bytes);
  CHECK(trace_error(exe) == exe.string() + " is not a Linux program (its ELF OS/ABI byte is 9)");
}

TEST_CASE("trace: a library that is not an ELF file is an error naming who needs it") {
  TempDir tmp("trace-test");
  fs::path root = fs::canonical(tmp.path());
  shared_lib(root / "lib" / "libfoo.so", "libfoo.so", "foo");
  fs::path exe = root / "app";
  executable(exe, "foo", {"-L" + (root / "lib").string(), "-lfoo", "-Wl,-rpath," + (root / "lib").string()});
  write_text(root / "lib" / "libfoo.so", "not a library\n");
  std::string msg = trace_error(exe);
  CHECK(msg.find("libfoo.so is a text file") != std::string::npos);
  CHECK(msg.find("for " + exe.string()) != std::string::npos);
}
