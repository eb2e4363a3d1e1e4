// The real peers read our archives: skopeo (oci-archive and docker-archive),
// umoci (the layout archive_to_layout makes from the oci-archive) and podman
// (load of the docker-archive into a private store). Moved out of the unit
// tests (tests/unit/test_inspect_archive.cpp) so those need no host peers.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/inspect_fixture.hpp"

using namespace slimbuild;
namespace fx = inspect_fixture;
namespace fs = std::filesystem;

namespace {

util::ProcessResult run(std::vector<std::string> argv) {
  auto r = util::run_process(argv);
  UNSCOPED_INFO(argv[0] << " " << argv[1] << ": " << r.err);
  return r;
}

}  // namespace

TEST_CASE("inspect: skopeo, umoci and podman read our archives") {
  util::TempDir tmp{"prov-peers"};
  fs::path layout = tmp.path() / "layout";
  std::string digest = fx::write_layout(layout, fx::hello_image());
  fs::path oci = tmp.path() / "img.oci.tar", docker = tmp.path() / "img.docker.tar";
  image::write_oci_archive(layout, oci, 0);
  image::write_docker_archive(layout, "latest", {"localhost/prov-hello:1.0"}, docker, 0);

  auto si = run({"skopeo", "inspect", "--raw", "oci-archive:" + oci.string()});
  REQUIRE(si.ok());
  CHECK(util::sha256_digest(si.out) == digest);
  auto sd = run({"skopeo", "inspect", "docker-archive:" + docker.string()});
  REQUIRE(sd.ok());
  auto info = nlohmann::json::parse(sd.out);
  CHECK(info["Architecture"] == "amd64");
  CHECK(info["Layers"].size() == 1);
  // skopeo can copy the docker-archive into a layout (reads every blob).
  REQUIRE(run({"skopeo", "copy", "-q", "docker-archive:" + docker.string(), "oci:" + (tmp.path() / "copy").string() + ":x"}).ok());

  // umoci unpacks the layout archive_to_layout made from the oci-archive.
  image::archive_to_layout(oci, tmp.path() / "back");
  REQUIRE(run({"umoci", "unpack", "--rootless", "--image", (tmp.path() / "back").string() + ":latest",
               (tmp.path() / "bundle").string()}).ok());
  CHECK(util::read_file(tmp.path() / "bundle" / "rootfs" / "etc" / "hello" / "config.yml") == "port: 3000\n");
  CHECK(fs::read_symlink(tmp.path() / "bundle" / "rootfs" / "lib") == "usr/lib");

  // podman load of the docker-archive, into a private store (podman refuses
  // a runroot longer than 50 characters, so not under a long TMPDIR).
  std::string store_tmpl = "/tmp/sbpm-XXXXXX";
  REQUIRE(::mkdtemp(store_tmpl.data()));
  fs::path store = store_tmpl;
  struct RemoveStore {
    fs::path p;
    ~RemoveStore() { std::error_code ec; fs::remove_all(p, ec); }
  } remove_store{store};
  auto pl = run({"podman", "--root", (store / "root").string(), "--runroot", (store / "run").string(),
                 "--storage-driver", "vfs", "load", "-i", docker.string()});
  INFO(pl.out << pl.err);
  CHECK(pl.ok());
  CHECK(pl.out.find("prov-hello:1.0") != std::string::npos);
}
