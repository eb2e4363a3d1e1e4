// The image's dpkg records on a synthetic sysroot: a merged-/usr system
// whose dpkg lists /lib paths, an arm64 Multi-Arch: same package (the
// architecture comes from the database, never the host), a conffile without
// an md5sums line, a doc directory that is a symlink, os-release and
// debian_version; plus the CycloneDX rendering of the same image.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <slimbuild/provenance/dpkg_db.hpp>
#include <slimbuild/provenance/dpkg_records.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

using namespace slimbuild;
namespace fs = std::filesystem;

namespace {

struct Sysroot {
  util::TempDir tmp{"dpkg-records"};
  fs::path root = tmp.path();

  void write(const std::string& path, const std::string& text) {
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
  }

  Sysroot() {
    fs::create_directories(root / "usr/lib/aarch64-linux-gnu");
    fs::create_symlink("usr/lib", root / "lib");
    write("usr/lib/aarch64-linux-gnu/libfoo.so.1.2", "elf-bytes");
    fs::create_symlink("libfoo.so.1.2", root / "usr/lib/aarch64-linux-gnu/libfoo.so.1");
    write("usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    fs::create_directories(root / "etc");
    fs::create_symlink("../usr/lib/os-release", root / "etc/os-release");
    write("etc/debian_version", "12.9\n");
    write("etc/foo.conf", "conf\n");
    write("usr/share/doc/foo-common/copyright", "Copyright: foo authors\n");
    fs::create_symlink("foo-common", root / "usr/share/doc/libfoo1");
    write("usr/share/doc/base-files/copyright", "base-files copyright\n");
    write("var/lib/dpkg/status",
          "Package: libfoo1\nStatus: install ok installed\nPriority: optional\nMaintainer: Foo Team <foo@example.org>\n"
          "Architecture: arm64\nMulti-Arch: same\nSource: foo (1.2-1)\nVersion: 1.2-1+b1\nDescription: foo\n long\n\n"
          "Package: base-files\nStatus: install ok installed\nMaintainer: Santiago Vila <sanvila@debian.org>\n"
          "Architecture: arm64\nVersion: 12.4+deb12u9\n\n"
          "Package: unused\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n");
    write("var/lib/dpkg/info/libfoo1:arm64.list",
          "/.\n/lib\n/lib/aarch64-linux-gnu\n/lib/aarch64-linux-gnu/libfoo.so.1.2\n/lib/aarch64-linux-gnu/libfoo.so.1\n/etc/foo.conf\n");
    write("var/lib/dpkg/info/libfoo1:arm64.md5sums", util::md5_hex("elf-bytes") + "  lib/aarch64-linux-gnu/libfoo.so.1.2\n");
    write("var/lib/dpkg/info/base-files.list", "/usr/lib/os-release\n/etc/debian_version\n/etc/os-release\n");
    write("var/lib/dpkg/info/unused.list", "/usr/bin/unused\n");
  }

  rootfs::Rootfs image() const {
    rootfs::Rootfs r;
    rootfs::Entry lib;
    lib.path = "/usr/lib/aarch64-linux-gnu/libfoo.so.1.2";
    lib.source = root / "usr/lib/aarch64-linux-gnu/libfoo.so.1.2";
    lib.size = 9;
    lib.origin = rootfs::EntryOrigin::Library;
    r.add(lib);
    rootfs::Entry link;
    link.path = "/usr/lib/aarch64-linux-gnu/libfoo.so.1";
    link.type = rootfs::EntryType::Symlink;
    link.link_target = "libfoo.so.1.2";
    link.origin = rootfs::EntryOrigin::Library;
    r.add(link);
    rootfs::Entry conf;  // a conffile: dpkg keeps no md5sums line for it
    conf.path = "/etc/foo.conf";
    conf.source = root / "etc/foo.conf";
    conf.size = 5;
    conf.origin = rootfs::EntryOrigin::Library;
    r.add(conf);
    rootfs::Entry app;
    app.path = "/app/server";
    app.content = "my app";
    app.size = 6;
    app.origin = rootfs::EntryOrigin::Binary;
    r.add(app);
    return r;
  }
};

std::string content_of(const rootfs::Rootfs& r, const std::string& path) {
  const rootfs::Entry* e = r.find(path);
  REQUIRE(e);
  if (!e->content.empty()) return e->content;
  std::ifstream in(e->source);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("provenance: dpkg records name exactly the packages whose files the image holds") {
  Sysroot s;
  rootfs::Rootfs r = s.image();
  auto db = provenance::DpkgDb::load(s.root);
  CHECK(db.distro_version() == "12");
  auto recorded = provenance::add_dpkg_records(r, db, s.root);
  REQUIRE(recorded.size() == 2);
  CHECK(recorded[0].record == "base-files");
  CHECK(recorded[1].record == "libfoo1");
  CHECK_FALSE(r.contains("/var/lib/dpkg/status.d/unused"));

  CHECK(content_of(r, "/var/lib/dpkg/status.d/libfoo1") ==
        "Package: libfoo1\nStatus: install ok installed\nMaintainer: Foo Team <foo@example.org>\n"
        "Architecture: arm64\nMulti-Arch: same\nSource: foo (1.2-1)\nVersion: 1.2-1+b1\nDescription: foo\n");
  // Image paths; dpkg's sum where it has one, the content's for the conffile and the copyright.
  CHECK(content_of(r, "/var/lib/dpkg/status.d/libfoo1.md5sums") ==
        util::md5_hex("conf\n") + "  etc/foo.conf\n" +
        util::md5_hex("elf-bytes") + "  usr/lib/aarch64-linux-gnu/libfoo.so.1.2\n" +
        util::md5_hex("Copyright: foo authors\n") + "  usr/share/doc/libfoo1/copyright\n");
  // The doc directory is a symlink on the host; the image gets a plain file where scanners look.
  const rootfs::Entry* copyright = r.find("/usr/share/doc/libfoo1/copyright");
  REQUIRE(copyright);
  CHECK(copyright->type == rootfs::EntryType::File);

  const rootfs::Entry* os_release = r.find("/etc/os-release");
  REQUIRE(os_release);
  CHECK(os_release->type == rootfs::EntryType::Symlink);
  CHECK(os_release->link_target == "../usr/lib/os-release");
  CHECK(content_of(r, "/usr/lib/os-release") == "ID=debian\nVERSION_ID=\"12\"\n");
  CHECK(content_of(r, "/etc/debian_version") == "12.9\n");
  CHECK(content_of(r, "/var/lib/dpkg/status.d/base-files.md5sums") ==
        util::md5_hex("12.9\n") + "  etc/debian_version\n" + util::md5_hex("ID=debian\nVERSION_ID=\"12\"\n") +
        "  usr/lib/os-release\n" + util::md5_hex("base-files copyright\n") + "  usr/share/doc/base-files/copyright\n");

  // The records parse back as dpkg status stanzas.
  std::string all;
  for (const auto& rec : recorded) all += content_of(r, "/var/lib/dpkg/status.d/" + rec.record) + "\n";
  auto parsed = provenance::parse_dpkg_status(all);
  REQUIRE(parsed.size() == 2);
  CHECK(parsed[1].source_version == "1.2-1");
}

TEST_CASE("provenance: SBOMs attribute files by the records' rule, in SPDX and CycloneDX") {
  Sysroot s;
  rootfs::Rootfs r = s.image();
  auto db = provenance::DpkgDb::load(s.root);
  provenance::add_dpkg_records(r, db, s.root);
  provenance::SbomInput in;
  in.name = "server";
  in.sysroot = s.root;
  in.dpkg = &db;
  in.created = 1700000000;
  auto cdx = nlohmann::json::parse(provenance::sbom_document(provenance::SbomFormat::CycloneDx, r, in));
  CHECK(cdx["specVersion"] == "1.5");
  CHECK(cdx["serialNumber"].get<std::string>().size() == 45);
  CHECK(cdx["metadata"]["component"]["type"] == "container");
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& c : cdx["components"]) by_name[c["name"]] = c;
  REQUIRE(by_name.count("libfoo1"));
  CHECK(by_name["libfoo1"]["purl"] == "pkg:deb/debian/libfoo1@1.2-1%2Bb1?arch=arm64&distro=debian-12&upstream=foo%401.2-1");
  CHECK(by_name["libfoo1"]["components"].size() == 3);  // its .so, its conffile, its copyright
  REQUIRE(by_name.count("server"));
  CHECK(by_name["server"]["type"] == "application");
  REQUIRE(by_name["server"]["components"].size() == 1);
  CHECK(by_name["server"]["components"][0]["name"] == "/app/server");
  // Every bom-ref a dependency names exists.
  std::set<std::string> refs{cdx["metadata"]["component"]["bom-ref"].get<std::string>()};
  for (const auto& c : cdx["components"]) refs.insert(c["bom-ref"].get<std::string>());
  for (const auto& d : cdx["dependencies"]) {
    CHECK(refs.count(d["ref"].get<std::string>()));
    for (const auto& x : d["dependsOn"]) CHECK(refs.count(x.get<std::string>()));
  }
  CHECK(nlohmann::json::parse(provenance::sbom_document(provenance::SbomFormat::CycloneDx, r, in)).dump() == cdx.dump());
  CHECK(provenance::parse_sbom_format("cyclonedx") == provenance::SbomFormat::CycloneDx);
  CHECK_FALSE(provenance::parse_sbom_format("swid"));
}
