// The mount-source cache: what it remembers, how it merges with concurrent
// writers, its bounds, and that a damaged file is just an empty cache.
#include <catch2/catch.hpp>

#include <fstream>

#include <slimbuild/registry/mount_cache.hpp>
#include <slimbuild/util/fs.hpp>

using namespace slimbuild;
using namespace slimbuild::registry;

namespace {
std::string digest(int i) {
  std::string hex = std::to_string(i);
  return "sha256:" + std::string(64 - hex.size(), '0') + hex;
}
}  // namespace

TEST_CASE("registry: mount cache remembers repositories per registry, newest first") {
  util::TempDir tmp("mount-cache");
  fs::path file = tmp.path() / "sub" / "cache.json";
  {
    MountCache c(file);
    c.remember("reg:5000", digest(1), "team/a");
    c.remember("reg:5000", digest(1), "team/b");
    c.remember("other:5000", digest(1), "team/c");
    c.remember("reg:5000", "not-a-digest", "team/x");
    CHECK(c.candidates("reg:5000", digest(1), "team/new") == std::vector<std::string>{"team/b", "team/a"});
    CHECK(c.candidates("reg:5000", digest(1), "team/b") == std::vector<std::string>{"team/a"});
    c.save();
  }
  MountCache reloaded(file);
  CHECK(reloaded.candidates("reg:5000", digest(1), "") == std::vector<std::string>{"team/b", "team/a"});
  CHECK(reloaded.candidates("other:5000", digest(1), "") == std::vector<std::string>{"team/c"});
  CHECK(reloaded.candidates("reg:5000", digest(2), "").empty());
  CHECK(reloaded.candidates("reg:5000", "not-a-digest", "").empty());
}

TEST_CASE("registry: mount cache merges with another writer and stays bounded") {
  util::TempDir tmp("mount-cache");
  fs::path file = tmp.path() / "cache.json";
  MountCache first(file), second(file);
  first.remember("reg", digest(1), "team/one");
  second.remember("reg", digest(2), "team/two");
  first.save();
  second.save();  // must not drop what `first` wrote meanwhile
  MountCache merged(file);
  CHECK(merged.candidates("reg", digest(1), "") == std::vector<std::string>{"team/one"});
  CHECK(merged.candidates("reg", digest(2), "") == std::vector<std::string>{"team/two"});

  MountCache big(file);
  for (int i = 0; i < 10; ++i) big.remember("reg", digest(3), "team/r" + std::to_string(i));
  CHECK(big.candidates("reg", digest(3), "").size() == 4);
  CHECK(big.candidates("reg", digest(3), "").front() == "team/r9");
  for (int i = 0; i < 5000; ++i) big.remember("reg", digest(100 + i), "team/x");
  big.save();
  std::string text = util::read_file(file);
  CHECK(text.size() < 4096u * 120u);
}

TEST_CASE("registry: a damaged mount cache is an empty cache") {
  util::TempDir tmp("mount-cache");
  fs::path file = tmp.path() / "cache.json";
  for (const char* junk : {"{not json", "[]", R"({"registries": 5})", R"({"registries": {"reg": {"x": 7}}})"}) {
    std::ofstream(file) << junk;
    MountCache c(file);
    CHECK(c.candidates("reg", digest(1), "").empty());
    c.remember("reg", digest(1), "team/a");
    c.save();
    CHECK(MountCache(file).candidates("reg", digest(1), "") == std::vector<std::string>{"team/a"});
  }
  MountCache none("");  // no cache directory: remembers in memory, saves nothing
  none.remember("reg", digest(1), "team/a");
  none.save();
  CHECK(none.candidates("reg", digest(1), "") == std::vector<std::string>{"team/a"});
}
