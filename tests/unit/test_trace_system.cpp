// Real system binaries, checked against an independent oracle: the set of
// libraries ldd (the real loader in trace mode) prints for /usr/bin/curl
// and /usr/bin/git must be exactly the closure trace_binary computes, each
// resolving to the same file.
#include "unit/test_trace_fixtures.hpp"

#include <map>
#include <regex>

#include <slimbuild/trace/loader.hpp>

using namespace trace_fixtures;
using slimbuild::trace::TraceResult;
using slimbuild::trace::trace_binary;

namespace {

// soname -> path from `ldd BINARY` ("\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)").
std::map<std::string, std::string> ldd(const std::string& binary) {
  auto r = slimbuild::util::run_process({"ldd", binary});
  REQUIRE(r.ok());
  std::map<std::string, std::string> out;
  std::regex line(R"(^\s*(\S+) => (\S+) \(0x[0-9a-f]+\)$)");
  std::stringstream ss(r.out);
  for (std::string l; std::getline(ss, l);) {
    std::smatch m;
    if (std::regex_match(l, m, line)) out[m[1]] = m[2];
  }
  return out;
}

void check_against_ldd(const std::string& binary) {
  REQUIRE(slimbuild::util::program_in_path("ldd"));  // libc-bin: always on Debian
  TraceResult r = trace_binary(binary, {});
  REQUIRE(r.interpreter);
  CHECK(r.interpreter->image_path == "/lib64/ld-linux-x86-64.so.2");
  std::map<std::string, std::string> ours;
  for (const auto& lib : r.libraries) ours[lib.requested] = lib.image_path;
  auto theirs = ldd(binary);
  REQUIRE(theirs.size() > 2);
  for (const auto& [soname, path] : theirs) {
    INFO(binary << ": " << soname);
    REQUIRE(ours.count(soname));
    CHECK(fs::canonical(ours[soname]) == fs::canonical(path));
  }
  CHECK(ours.size() == theirs.size());
}

}  // namespace

TEST_CASE("trace: /usr/bin/curl resolves the same closure as ldd") {
  check_against_ldd("/usr/bin/curl");
  TraceResult r = trace_binary("/usr/bin/curl", {});
  const slimbuild::trace::TracedObject* curl = nullptr;
  for (const auto& l : r.libraries)
    if (l.requested == "libcurl.so.4") curl = &l;
  REQUIRE(curl);
  CHECK(curl->image_path == "/lib/x86_64-linux-gnu/libcurl.so.4");
  REQUIRE(curl->symlinks.size() == 2);
  CHECK(curl->symlinks[0].image_path == "/lib");
  CHECK(curl->symlinks[0].target == "usr/lib");
  CHECK(curl->symlinks[1].image_path == "/usr/lib/x86_64-linux-gnu/libcurl.so.4");
  CHECK(curl->symlinks[1].target.rfind("libcurl.so.4.", 0) == 0);
  CHECK(curl->needed_by == std::vector<std::string>{"/usr/bin/curl"});
  // Merged /usr: /lib64 -> usr/lib64, an absolute link to /lib/..., then /lib -> usr/lib.
  REQUIRE(r.interpreter->symlinks.size() == 3);
  CHECK(r.interpreter->symlinks[0].image_path == "/lib64");
  CHECK(r.interpreter->symlinks[2].image_path == "/lib");
}

TEST_CASE("trace: /usr/bin/git resolves the same closure as ldd") { check_against_ldd("/usr/bin/git"); }
