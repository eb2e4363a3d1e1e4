// Issue 8, findings 6 and 8: the secret scan reads whole files (a key after
// 64 KiB of padding is found), knows PuTTY keys, UTF-16 PEM, NAME.env,
// .envrc and credential directories in any case (.AWS/credentials); and a
// ca_certificates: bundle that also holds a private key is refused.
#include <catch2/catch.hpp>

#include <fstream>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/rootfs/secrets.hpp>
#include "rootfs/ca_tz.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/test_rootfs_support.hpp"

using namespace slimbuild;
using rootfs_test::put;
namespace fs = std::filesystem;

namespace {
const std::string kKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n";
const std::string kCert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::string utf16le(const std::string& ascii) {
  std::string out = "\xff\xfe";
  for (char c : ascii) out += std::string{c, '\0'};
  return out;
}
}  // namespace

TEST_CASE("rootfs: the secret scan finds what the 64 KiB prefix scan missed") {
  util::TempDir tmp{"secret-scan"};
  struct Row {
    std::string rel, content, why;
  };
  std::vector<Row> rows{
      {"app/late.pem", std::string(200000, '#') + "\n" + kKey, "PEM private key"},
      {"app/split.txt", std::string((1 << 20) - 10, 'x') + kKey, "PEM private key"},  // across a read boundary
      {"app/win.txt", utf16le(kKey), "UTF-16"},
      {"app/deploy.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\n", "PuTTY"},
      {"app/prod.env", "DB_PASSWORD=x\n", "dotenv"},
      {"app/.envrc", "export TOKEN=x\n", "envrc"},
      {"home/.AWS/credentials", "[default]\n", "AWS credentials"},
      {"home/.Docker/config.json", "{\"auths\":{\"x\":{\"auth\":\"dTpw\"}}}", "Docker"},
  };
  for (const auto& row : rows) {
    fs::path f = put(tmp.path(), row.rel, row.content);
    auto why = rootfs::secret_reason(f, row.rel);
    INFO(row.rel);
    REQUIRE(why);
    CHECK_THAT(*why, Catch::Contains(row.why));
  }
  for (std::string ok : {"app/readme.txt", "app/example.env", "app/env.cpp"}) {
    fs::path f = put(tmp.path(), ok, std::string(100000, 'a') + "-----BEGIN CERTIFICATE-----\n");
    INFO(ok);
    CHECK_FALSE(rootfs::secret_reason(f, ok));
  }
}

TEST_CASE("rootfs: a CA bundle that also holds a private key is refused") {
  util::TempDir tmp{"secret-ca"};
  auto m = rootfs_test::minimal_manifest(tmp.path());
  m.ca_certificates.enabled = true;
  m.ca_certificates.where = {"manifest.yml", 9, 18};
  m.ca_certificates.bundle = put(tmp.path(), "corp.pem", kCert + kKey);
  rootfs::Rootfs r;
  CHECK_THROWS_WITH(rootfs::add_ca_bundle(r, m),
                    Catch::Contains("manifest.yml:9:18") && Catch::Contains("private key"));
  CHECK(r.entries().empty());
  m.ca_certificates.bundle = put(tmp.path(), "good.pem", kCert + kCert);
  rootfs::add_ca_bundle(r, m);
  CHECK(r.find("/etc/ssl/certs/ca-certificates.crt") != nullptr);
}
