// The loader's search path pieces on their own: dynamic string tokens,
// ld.so.conf parsing with include globs, and the default directories with
// the $LIB value this Debian host's ld.so really uses (checked against
// LD_DEBUG=libs so the constant cannot silently drift).
#include "unit/test_trace_fixtures.hpp"

#include <slimbuild/trace/elf_reader.hpp>
#include "trace/search_path.hpp"

using namespace trace_fixtures;
using slimbuild::trace::expand_tokens;
using slimbuild::trace::LibrarySearchPath;
using slimbuild::trace::read_elf;
using slimbuild::trace::read_ld_so_conf;
using slimbuild::util::TempDir;

TEST_CASE("trace: dynamic string tokens are expanded like ld.so") {
  CHECK(expand_tokens("$ORIGIN/../lib", "/app/bin", "lib/x86_64-linux-gnu", "x86_64") == "/app/bin/../lib");
  CHECK(expand_tokens("${ORIGIN}/lib", "/app", "L", "P") == "/app/lib");
  CHECK(expand_tokens("/opt/$LIB/x", "/o", "lib/x86_64-linux-gnu", "P") == "/opt/lib/x86_64-linux-gnu/x");
  CHECK(expand_tokens("/opt/${LIB}:$PLATFORM", "/o", "L", "x86_64") == "/opt/L:x86_64");
  CHECK(expand_tokens("/opt/$ORIGINAL", "/o", "L", "P") == "/opt/$ORIGINAL");  // not a token
  CHECK(expand_tokens("/opt/$HOME", "/o", "L", "P") == "/opt/$HOME");
}

TEST_CASE("trace: ld.so.conf includes, comments and hwcap lines") {
  TempDir tmp("trace-test");
  fs::path s = tmp.path();
  write_text(s / "etc/ld.so.conf", "/first\n  # comment\ninclude ld.so.conf.d/*.conf\ninclude /etc/extra/abs.conf\n/last/ # trailing\n");
  // b.conf's glob matches itself and its siblings: must not multiply (3^16 reads) or loop.
  write_text(s / "etc/ld.so.conf.d/b.conf", "/from/b\nhwcap 0 nosegneg\n/first\ninclude /etc/ld.so.conf.d/*.conf\n");
  write_text(s / "etc/ld.so.conf.d/a.conf", "/from/a=libc6\ninclude nested/*.conf\nrelative/dir\n");
  write_text(s / "etc/ld.so.conf.d/nested/n.conf", "/from/nested\n");
  write_text(s / "etc/ld.so.conf.d/skip.txt", "/not/included\n");
  write_text(s / "etc/extra/abs.conf", "/from/abs\ninclude /etc/extra/abs.conf\n");  // self-include: bounded
  CHECK(read_ld_so_conf(s) == std::vector<std::string>{"/first", "/from/a", "/from/nested", "/from/b", "/from/abs", "/last"});
  TempDir none("trace-test");
  CHECK(read_ld_so_conf(none.path()).empty());
}

TEST_CASE("trace: default directories and $LIB match this host's ld.so") {
  auto elf = read_elf("/usr/bin/curl");
  LibrarySearchPath sp("/", elf);
  CHECK(sp.default_dirs() == std::vector<std::string>{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib",
                                                      "/usr/lib", "/lib64", "/usr/lib64"});
  CHECK(sp.platform() == "x86_64");

  // Oracle: a binary whose RUNPATH is "/nonexistent/$LIB" and LD_DEBUG=libs.
  TempDir tmp("trace-test");
  fs::path lib = tmp.path() / "libq.so", exe = tmp.path() / "q";
  shared_lib(lib, "libq.so", "q");
  executable(exe, "q", {"-L" + tmp.path().string(), "-lq", "-Wl,--enable-new-dtags", "-Wl,-rpath,/nonexistent/$LIB"});
  slimbuild::util::ProcessOptions po;
  po.env_set["LD_DEBUG"] = "libs";
  auto r = slimbuild::util::run_process({exe.string()}, po);
  CHECK(r.err.find("/nonexistent/" + sp.lib_token() + "/libq.so") != std::string::npos);
  CHECK(sp.lib_token() == "lib/x86_64-linux-gnu");

  auto dirs = sp.expand({"$ORIGIN/../lib", "", "relative", "/abs/$LIB"}, "/app/bin");
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0].dir == "/app/lib");
  CHECK(dirs[0].origin_relative == std::optional<std::string>("../lib"));
  CHECK(dirs[1].dir == "/abs/lib/x86_64-linux-gnu");
  CHECK_FALSE(dirs[1].origin_relative);
}
