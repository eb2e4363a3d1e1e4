// CA bundle and zoneinfo: validation, Debian's zone links kept, the whole
// database without right/ and posix/, and /etc/localtime.
#include <catch2/catch.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include "rootfs/ca_tz.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs::EntryType;
using rootfs_test::entry;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {
const std::string kPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

// A tiny sysroot with Debian's zoneinfo shape: UTC -> Etc/UTC.
fs::path zone_sysroot(const fs::path& root) {
  fs::path zi = root / "usr/share/zoneinfo";
  put(zi, "Etc/UTC", "TZif2-utc");
  put(zi, "Europe/Ljubljana", "TZif2-lj");
  put(zi, "right/Etc/UTC", "TZif2-right");
  put(zi, "zone.tab", "# not a zone\n");
  fs::create_symlink("Etc/UTC", zi / "UTC");
  fs::create_directories(zi / "posix");
  fs::create_symlink("../Etc", zi / "posix/Etc");
  fs::create_symlink("/etc/localtime", zi / "localtime");
  return root;
}
}  // namespace

TEST_CASE("rootfs: the system CA bundle goes to /etc/ssl/certs/ca-certificates.crt") {
  util::TempDir tmp{"rootfs-ca"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.sysroot = tmp.path();
  put(tmp.path(), "etc/ssl/certs/ca-certificates.crt", kPem + kPem);
  m.ca_certificates.enabled = true;
  rootfs::Rootfs r;
  rootfs::add_ca_bundle(r, m);
  const auto& ca = entry(r, "/etc/ssl/certs/ca-certificates.crt");
  CHECK(ca.source == tmp.path() / "etc/ssl/certs/ca-certificates.crt");
  CHECK(ca.mode == 0644);
  CHECK(ca.origin == rootfs::EntryOrigin::CaCertificates);
  CHECK(ca.size == 2 * kPem.size());

  m.ca_certificates.enabled = false;
  rootfs::Rootfs none;
  rootfs::add_ca_bundle(none, m);
  CHECK(none.entries().empty());
}

TEST_CASE("rootfs: a manifest CA file must hold a PEM certificate") {
  util::TempDir tmp{"rootfs-ca2"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.ca_certificates.enabled = true;
  m.ca_certificates.where = {"manifest.yml", 9, 18};
  m.ca_certificates.bundle = put(tmp.path(), "corp.pem", "junk\n" + kPem);
  rootfs::Rootfs r;
  rootfs::add_ca_bundle(r, m);
  CHECK(entry(r, "/etc/ssl/certs/ca-certificates.crt").source == tmp.path() / "corp.pem");

  m.ca_certificates.bundle = put(tmp.path(), "key.pem", "-----BEGIN PRIVATE KEY-----\n");
  CHECK_THROWS_WITH(rootfs::add_ca_bundle(r, m),
                    Catch::Contains("manifest.yml:9:18") && Catch::Contains("no PEM certificate"));
  m.ca_certificates.bundle = tmp.path() / "missing.pem";
  CHECK_THROWS_WITH(rootfs::add_ca_bundle(r, m), Catch::Contains("does not exist"));
  m.ca_certificates.bundle.clear();
  m.sysroot = tmp.path();  // no bundle in this sysroot
  CHECK_THROWS_WITH(rootfs::add_ca_bundle(r, m), Catch::Contains("ca-certificates"));
}

TEST_CASE("rootfs: the PEM marker is found across read-chunk boundaries") {
  util::TempDir tmp{"rootfs-pem"};
  for (size_t pad : {size_t(0), size_t(65536 - 10), size_t(65536), size_t(200000)}) {
    fs::path f = put(tmp.path(), "b" + std::to_string(pad), std::string(pad, 'x') + kPem);
    CHECK(rootfs::contains_pem_certificate(f));
  }
  CHECK_FALSE(rootfs::contains_pem_certificate(put(tmp.path(), "none", std::string(200000, 'x'))));
}

TEST_CASE("rootfs: zones keep Debian's links, timezone adds /etc/localtime") {
  util::TempDir tmp{"rootfs-tz"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.sysroot = zone_sysroot(tmp.path());
  m.tzdata.zones = {"UTC"};
  m.timezone = "Europe/Ljubljana";
  rootfs::Rootfs r;
  rootfs::add_tzdata(r, m);
  CHECK(entry(r, "/usr/share/zoneinfo/UTC").type == EntryType::Symlink);
  CHECK(entry(r, "/usr/share/zoneinfo/UTC").link_target == "Etc/UTC");
  CHECK(entry(r, "/usr/share/zoneinfo/Etc/UTC").type == EntryType::File);
  CHECK(entry(r, "/usr/share/zoneinfo/Europe/Ljubljana").origin == rootfs::EntryOrigin::Tzdata);
  const auto& lt = entry(r, "/etc/localtime");
  CHECK(lt.type == EntryType::Symlink);
  CHECK(lt.link_target == "/usr/share/zoneinfo/Europe/Ljubljana");
  CHECK_FALSE(r.contains("/usr/share/zoneinfo/right"));
}

TEST_CASE("rootfs: unknown or hostile zone names are refused with the manifest location") {
  util::TempDir tmp{"rootfs-tz2"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.sysroot = zone_sysroot(tmp.path());
  m.tzdata.where = {"manifest.yml", 12, 9};
  for (std::string bad : {"Mars/Olympus", "../../../etc/passwd", "Europe", "zone.tab", "/etc/passwd"}) {
    m.tzdata.zones = {bad};
    rootfs::Rootfs r;
    CHECK_THROWS_WITH(rootfs::add_tzdata(r, m),
                      Catch::Contains("manifest.yml:12:9") && Catch::Contains("unknown time zone"));
  }
}

TEST_CASE("rootfs: tzdata true ships the database without right/, posix/ and the host's localtime") {
  util::TempDir tmp{"rootfs-tz3"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.sysroot = zone_sysroot(tmp.path());
  m.tzdata.all = true;
  m.timezone = "UTC";
  rootfs::Rootfs r;
  rootfs::add_tzdata(r, m);
  std::vector<std::string> paths;
  for (const auto& [p, e] : r.entries())
    if (p.rfind("/usr/share/zoneinfo/", 0) == 0) paths.push_back(p);
  CHECK(paths == std::vector<std::string>{"/usr/share/zoneinfo/Etc", "/usr/share/zoneinfo/Etc/UTC",
                                          "/usr/share/zoneinfo/Europe", "/usr/share/zoneinfo/Europe/Ljubljana",
                                          "/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/zone.tab"});
  CHECK(entry(r, "/etc/localtime").link_target == "/usr/share/zoneinfo/UTC");
  m.timezone = "Nowhere/Special";
  rootfs::Rootfs r2;
  CHECK_THROWS_WITH(rootfs::add_tzdata(r2, m), Catch::Contains("unknown time zone"));
}

TEST_CASE("rootfs: the real zoneinfo database resolves UTC through its link") {
  REQUIRE(fs::exists("/usr/share/zoneinfo/Etc/UTC"));  // tzdata is in scripts/setup.sh
  util::TempDir tmp{"rootfs-tz4"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.tzdata.zones = {"UTC", "Europe/Ljubljana"};
  rootfs::Rootfs r;
  rootfs::add_tzdata(r, m);
  const auto& utc = entry(r, "/usr/share/zoneinfo/UTC");
  if (utc.type == EntryType::Symlink)
    CHECK(entry(r, "/usr/share/zoneinfo/" + utc.link_target).type == EntryType::File);
  else
    CHECK(utc.type == EntryType::File);
  CHECK(r.contains("/usr/share/zoneinfo/Europe/Ljubljana"));
}
