// The layer as Go reads it. containerd, docker, BuildKit, crane and the
// registries all unpack layers with Go's compress/gzip and archive/tar, so
// test_layer_go_reader.go (stdlib only, offline) is the reader that matters
// most: it must see our names, modes, owners, link targets and sizes, only
// the pax records we expect, and a gzip header with no name, time or OS.
#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include <slimbuild/layer/layer_writer.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using nlohmann::json;

namespace {

// One JSON object per line: the gzip header, then each entry.
std::vector<json> go_read(const fs::path& layer) {
  slimbuild::util::TempDir cache("layer-gocache");
  slimbuild::util::ProcessOptions opt;
  opt.env_set = {{"GOCACHE", cache.path().string()}, {"GOFLAGS", "-mod=mod"}, {"GOPROXY", "off"},
                 {"GO111MODULE", "off"}, {"HOME", cache.path().string()}};
  std::string program = std::string(SLIMBUILD_SOURCE_DIR) + "/tests/peers/test_layer_go_reader.go";
  auto r = slimbuild::util::run_process({"go", "run", program, layer.string()}, opt);
  INFO("go run stderr: " << r.err);
  REQUIRE(r.ok());
  std::vector<json> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line));
  REQUIRE(!out.empty());
  return out;
}

}  // namespace

TEST_CASE("layer: Go's archive/tar and compress/gzip read what we wrote") {
  REQUIRE(slimbuild::util::program_in_path("go"));
  slimbuild::util::TempDir tmp("layer-test");
  Rootfs r = sample_rootfs(tmp.path() / "src");
  std::string long_name = "/opt/" + std::string(120, 'n');
  std::string utf8_name = "/etc/caf\xc3\xa9.txt";
  r.add(generated(long_name, "long"));
  r.add(generated(utf8_name, "utf8"));
  r.add(link_entry("/opt/far", std::string(150, 't')));
  slimbuild::layer::LayerOptions opt;
  opt.mtime = 1700000000;
  fs::path blob = tmp.path() / "l.tgz";
  write_layer(r, blob, opt);

  auto go = go_read(blob);
  json gz = go.front();
  CHECK(gz["gzip_name"] == "");
  CHECK(gz["gzip_comment"] == "");
  CHECK(gz["gzip_mtime_zero"] == true);
  CHECK(gz["gzip_os"] == 255);
  CHECK(gz["gzip_extra"] == 0);

  auto ours = read_tar(blob);
  REQUIRE(go.size() == ours.size() + 1);
  for (size_t i = 0; i < ours.size(); ++i) {
    const json& g = go[i + 1];
    const TarEntry& t = ours[i];
    INFO(t.path);
    CHECK(g["name"] == t.path);
    CHECK(g["mode"] == static_cast<int64_t>(t.perm));
    CHECK(g["uid"] == t.uid);
    CHECK(g["gid"] == t.gid);
    CHECK(g["uname"] == "");
    CHECK(g["gname"] == "");
    CHECK(g["mtime"] == 1700000000);
    CHECK(g["atime_zero"] == true);
    CHECK(g["ctime_zero"] == true);
    CHECK(g["linkname"] == t.symlink);
    CHECK(g["size"] == t.size);
    CHECK(g["data_len"] == t.content.size());
    CHECK(g["type"] == (t.type == AE_IFDIR ? "5" : t.type == AE_IFLNK ? "2" : "0"));
    json expected_pax = json::array();
    if (t.path == long_name.substr(1) || t.path == utf8_name.substr(1)) expected_pax = json::array({"path"});
    if (t.path == "opt/far") expected_pax = json::array({"linkpath"});
    CHECK(g["pax"] == expected_pax);
  }
}
