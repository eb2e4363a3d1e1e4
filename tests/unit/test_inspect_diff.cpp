// compare_layouts on pairs of layouts that differ in exactly one way: the
// difference must be found, named down to the file or field, and nothing else
// reported. Layouts come from the test fixture (not the production writer).
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include <slimbuild/inspect/diff.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/inspect_fixture.hpp"

using namespace slimbuild;
namespace fx = inspect_fixture;
namespace fs = std::filesystem;

namespace {

struct Pair {
  util::TempDir tmp{"prov-diff"};
  fs::path a = tmp.path() / "a", b = tmp.path() / "b";
  inspect::ImageComparison compare(const fx::Image& ia, const fx::Image& ib) {
    fx::write_layout(a, ia);
    fx::write_layout(b, ib);
    return inspect::compare_layouts(a, "", b, "latest");
  }
};

std::vector<inspect::Difference> of_kind(const inspect::ImageComparison& c, const std::string& kind) {
  std::vector<inspect::Difference> out;
  for (const auto& d : c.differences)
    if (inspect::to_string(d.kind) == kind) out.push_back(d);
  return out;
}

}  // namespace

TEST_CASE("inspect: compare_layouts says identical for identical layouts") {
  Pair p;
  auto c = p.compare(fx::hello_image(), fx::hello_image());
  CHECK(c.identical);
  CHECK(c.differences.empty());
  CHECK(c.digest_a == c.digest_b);
  CHECK(c.to_text().find("identical") != std::string::npos);
  CHECK(c.to_json()["identical"] == true);
}

TEST_CASE("inspect: compare_layouts names a one-byte content change in a files: entry") {
  Pair p;
  auto b = fx::hello_image();
  fx::item(b, "etc/hello/config.yml").content = "port: 3001\n";
  auto c = p.compare(fx::hello_image(), b);
  CHECK_FALSE(c.identical);
  auto content = of_kind(c, "content");
  REQUIRE(content.size() == 1);
  CHECK(content[0].path == "/etc/hello/config.yml");
  CHECK(content[0].before != content[0].after);
  CHECK(of_kind(c, "mode").empty());
  CHECK(of_kind(c, "added").empty());
  // The config's diff_ids change with the layer; nothing else in the config.
  auto config = of_kind(c, "config");
  REQUIRE(config.size() == 1);
  CHECK(config[0].path == "rootfs.diff_ids");
  std::string text = c.to_text();
  CHECK(text.find("/etc/hello/config.yml") != std::string::npos);
  CHECK(c.to_json()["differences"].size() == c.differences.size());
}

TEST_CASE("inspect: compare_layouts names mode, owner, link, type and mtime changes") {
  Pair p;
  auto b = fx::hello_image();
  fx::item(b, "app/hello").mode = 0700;
  fx::item(b, "etc/hello/config.yml").uid = 65532;
  fx::item(b, "lib").content = "usr/lib64";
  fx::item(b, "usr/lib/libfoo.so.1").mtime = 1700000000;
  fx::item(b, "etc/hello").type = 'f';
  auto c = p.compare(fx::hello_image(), b);
  REQUIRE(of_kind(c, "mode").size() == 1);
  CHECK(of_kind(c, "mode")[0].path == "/app/hello");
  CHECK(of_kind(c, "mode")[0].before == "0755");
  CHECK(of_kind(c, "mode")[0].after == "0700");
  REQUIRE(of_kind(c, "link").size() == 1);
  CHECK(of_kind(c, "link")[0].after == "usr/lib64");
  REQUIRE(of_kind(c, "mtime").size() == 1);
  CHECK(of_kind(c, "mtime")[0].path == "/usr/lib/libfoo.so.1");
  REQUIRE(of_kind(c, "type").size() == 1);
  CHECK(of_kind(c, "type")[0].path == "/etc/hello");
  // /etc/hello/config.yml, now under a file, survives in B's tar as its own entry.
  REQUIRE(of_kind(c, "owner").size() == 1);
  CHECK(of_kind(c, "owner")[0].after == "65532:0");
}

TEST_CASE("inspect: compare_layouts names a changed, added and removed library") {
  Pair p;
  auto b = fx::hello_image();
  fx::item(b, "usr/lib/libfoo.so.1").content = "libfoo version 2";
  b.items.push_back({"usr/lib/libbar.so.3", 'f', 0644, "bar"});
  auto a = fx::hello_image();
  a.items.push_back({"usr/lib/libold.so.0", 'f', 0644, "old"});
  auto c = p.compare(a, b);
  REQUIRE(of_kind(c, "content").size() == 1);
  CHECK(of_kind(c, "content")[0].path == "/usr/lib/libfoo.so.1");
  REQUIRE(of_kind(c, "added").size() == 1);
  CHECK(of_kind(c, "added")[0].path == "/usr/lib/libbar.so.3");
  REQUIRE(of_kind(c, "removed").size() == 1);
  CHECK(of_kind(c, "removed")[0].path == "/usr/lib/libold.so.0");
}

TEST_CASE("inspect: compare_layouts names config and annotation fields") {
  Pair p;
  auto b = fx::hello_image();
  b.config_extra = {{"Env", {"PATH=/usr/bin", "LOG=debug"}}, {"Labels", {{"team", "payments"}}}};
  b.annotations["org.opencontainers.image.revision"] = "def";
  b.created = 1700000000;
  auto c = p.compare(fx::hello_image(), b);
  std::set<std::string> paths;
  for (const auto& d : c.differences) paths.insert(std::string(inspect::to_string(d.kind)) + " " + d.path);
  CHECK(paths == std::set<std::string>{"config config.Env.LOG", "config config.Labels", "config created",
                                       "annotation annotations.org.opencontainers.image.revision"});
  for (const auto& d : c.differences)
    if (d.path == "config.Env.LOG") CHECK((d.before == "" && d.after == "debug"));
  // A value with spaces stays one value, and a change names old and new.
  auto d = fx::hello_image();
  d.config_extra = {{"Env", {"PATH=/usr/bin", "GREETING=hello there"}}};
  auto e = fx::hello_image();
  e.config_extra = {{"Env", {"PATH=/usr/bin", "GREETING=good bye"}}};
  auto c2 = p.compare(d, e);
  REQUIRE(c2.differences.size() == 1);
  CHECK(c2.differences[0].path == "config.Env.GREETING");
  CHECK(c2.differences[0].before == "hello there");
  CHECK(c2.differences[0].after == "good bye");
  CHECK_THAT(c2.to_text(), Catch::Contains("config.Env.GREETING: hello there -> good bye"));
  // Layers are the same: no file walk, no file differences.
  CHECK(of_kind(c, "content").empty());
}

TEST_CASE("inspect: compare_layouts with content_only ignores manifest-only differences") {
  Pair p;
  auto b = fx::hello_image();
  b.annotations.clear();
  fx::write_layout(p.a, fx::hello_image());
  fx::write_layout(p.b, b);
  auto strict = inspect::compare_layouts(p.a, "", p.b, "");
  CHECK_FALSE(strict.identical);
  REQUIRE(strict.differences.size() == 1);
  CHECK(inspect::to_string(strict.differences[0].kind) == "annotation");
  CHECK(inspect::compare_layouts(p.a, "", p.b, "", {.content_only = true}).identical);
}

TEST_CASE("inspect: compare_layouts refuses a corrupted layer blob") {
  Pair p;
  auto b = fx::hello_image();
  fx::item(b, "app/hello").content = "changed";
  fx::write_layout(p.a, fx::hello_image());
  fx::write_layout(p.b, b);
  // Truncate B's layer blob (the largest blob is not JSON: find it by trying).
  for (const auto& e : fs::directory_iterator(p.b / "blobs" / "sha256")) {
    std::ifstream in(e.path(), std::ios::binary);
    char c1 = 0, c2 = 0;
    in.get(c1).get(c2);
    if (static_cast<unsigned char>(c1) == 0x1f && static_cast<unsigned char>(c2) == 0x8b) {
      in.close();
      fs::resize_file(e.path(), fs::file_size(e.path()) - 5);
    }
  }
  CHECK_THROWS_AS(inspect::compare_layouts(p.a, "", p.b, ""), Error);
  CHECK_THROWS_AS(inspect::compare_layouts(p.a, "", p.tmp.path() / "nope", ""), Error);
}

TEST_CASE("inspect: only_timestamps_differ names A's epoch and nothing else qualifies") {
  inspect::ImageComparison c;
  c.differences = {{inspect::DifferenceKind::Mtime, "/app/hello", "1700000000", "0"},
                   {inspect::DifferenceKind::Config, "created", "2023-11-14T22:13:20Z", "1970-01-01T00:00:00Z"},
                   {inspect::DifferenceKind::Config, "history", "...", "..."},
                   {inspect::DifferenceKind::Config, "rootfs.diff_ids", "sha256:a", "sha256:b"},
                   {inspect::DifferenceKind::Annotation, "annotations.org.opencontainers.image.created", "x", "y"}};
  CHECK(c.only_timestamps_differ() == std::optional<std::string>("1700000000"));
  c.differences.push_back({inspect::DifferenceKind::Content, "/etc/app.yml", "sha256:1", "sha256:2"});
  CHECK_FALSE(c.only_timestamps_differ());
  c.identical = true;
  c.differences.clear();
  CHECK_FALSE(c.only_timestamps_differ());
}
