// The layout as the tools that consume it see it: `skopeo inspect` must
// accept it and report our digest, architecture and user; `umoci unpack`
// must produce the files, modes, owners and symlinks we put in. These are
// the real programs, run without a shell.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/util/json.hpp>

#include "unit/test_layer_support.hpp"

using namespace layer_test;
using namespace slimbuild::image;
using nlohmann::json;
using slimbuild::util::run_process;

namespace {

struct BuiltLayout {
  Descriptor image;
  slimbuild::layer::LayerResult layer;
};

BuiltLayout build_sample(const fs::path& src, const fs::path& out, bool with_referrer) {
  LayoutWriter w(out);
  slimbuild::layer::LayerOptions opt;
  opt.mtime = 1700000000;
  auto layer = w.put_layer(sample_rootfs(src), opt);
  ImageConfigSpec s;
  s.architecture = "amd64";
  s.user = "65532:65532";
  s.entrypoint = {"/app/hello"};
  s.env = {"PATH=/usr/bin"};
  s.created = 1700000000;
  auto image = w.add_image(s, layer, {}, "1.4.2");
  if (with_referrer) w.add_referrer(image, "application/spdx+json", "{}", "application/spdx+json", {});
  w.commit();
  return {image, layer};
}

json run_json(const std::vector<std::string>& argv) {
  auto r = run_process(argv);
  INFO(argv[0] << " " << argv[1] << " stderr: " << r.err);
  REQUIRE(r.ok());
  return json::parse(r.out);
}

}  // namespace

TEST_CASE("image: skopeo inspect accepts the layout and reports our digest, platform and user") {
  REQUIRE(slimbuild::util::program_in_path("skopeo"));
  slimbuild::util::TempDir tmp("image-test");
  for (bool with_referrer : {false, true}) {
    INFO("with referrer: " << with_referrer);
    fs::path out = tmp.path() / (with_referrer ? "with-ref" : "plain");
    auto built = build_sample(tmp.path() / "src", out, with_referrer);
    std::string ref = "oci:" + out.string() + ":1.4.2";

    auto raw = run_process({"skopeo", "inspect", "--raw", ref});
    REQUIRE(raw.ok());
    CHECK(raw.out == LayoutReader(out).read_blob(built.image));

    json summary = run_json({"skopeo", "inspect", ref});
    CHECK(summary["Digest"] == built.image.digest);
    CHECK(summary["Architecture"] == "amd64");
    CHECK(summary["Os"] == "linux");
    CHECK(summary["Created"] == "2023-11-14T22:13:20Z");
    CHECK(summary["Layers"] == json::array({built.layer.digest}));

    json config = run_json({"skopeo", "inspect", "--config", ref});
    CHECK(config["config"]["User"] == "65532:65532");
    CHECK(config["config"]["Entrypoint"] == json::array({"/app/hello"}));
    CHECK(config["rootfs"]["diff_ids"] == json::array({built.layer.diff_id}));

    // Without a tag too: containers/image wants exactly one index.json
    // entry, and the referrer is not listed there.
    CHECK(run_json({"skopeo", "inspect", "oci:" + out.string()})["Digest"] == built.image.digest);
  }
}

TEST_CASE("image: umoci unpack reproduces our files, modes, owners and symlinks") {
  REQUIRE(slimbuild::util::program_in_path("umoci"));
  slimbuild::util::TempDir tmp("image-test");
  fs::path out = tmp.path() / "layout";
  build_sample(tmp.path() / "src", out, true);
  bool root = ::geteuid() == 0;
  std::vector<std::string> argv{"umoci", "unpack"};
  if (!root) argv.push_back("--rootless");
  for (auto a : {std::string("--image"), out.string() + ":1.4.2", (tmp.path() / "bundle").string()}) argv.push_back(a);
  auto r = run_process(argv);
  INFO(r.err);
  REQUIRE(r.ok());

  fs::path rootfs = tmp.path() / "bundle/rootfs";
  auto st = [&](const std::string& p) {
    struct stat s {};
    REQUIRE(::lstat((rootfs / p).c_str(), &s) == 0);
    return s;
  };
  CHECK(read_bytes(rootfs / "app/hello") == read_bytes(tmp.path() / "src/hello"));
  CHECK((st("app/hello").st_mode & 07777) == 0755);
  CHECK(st("app/hello").st_mtime == 1700000000);
  CHECK((st("etc/passwd").st_mode & 07777) == 0644);
  CHECK(read_bytes(rootfs / "etc/passwd") == "app:x:65532:65532::/home/app:/sbin/nologin\n");
  CHECK(read_bytes(rootfs / "usr/lib64/libfoo.so.1.2") == std::string(70000, 'L'));
  CHECK(S_ISDIR(st("tmp").st_mode));
  CHECK((st("tmp").st_mode & 07777) == 01777);
  CHECK((st("home/app").st_mode & 07777) == 0700);
  CHECK(S_ISLNK(st("lib64").st_mode));
  CHECK(fs::read_symlink(rootfs / "lib64") == "usr/lib64");
  CHECK(fs::read_symlink(rootfs / "usr/lib64/libfoo.so.1") == "libfoo.so.1.2");
  CHECK(read_bytes(rootfs / "lib64/libfoo.so.1") == std::string(70000, 'L'));  // through both links
  if (root) {
    CHECK(st("home/app").st_uid == 65532);
    CHECK(st("home/app").st_gid == 65532);
    CHECK(st("app/hello").st_uid == 0);
  }
}
