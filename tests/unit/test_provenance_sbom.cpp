// SPDX 2.3 documents: required fields, referential integrity, determinism,
// and real dpkg attribution for curl's libraries on this system; plus the
// merged-/usr canonicalisation of dpkg ownership on a synthetic sysroot.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <slimbuild/provenance/dpkg_db.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/process.hpp>
#include <slimbuild/util/sha256.hpp>

using namespace slimbuild;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// curl, its interpreter and libraries as ldd resolves them on this host, at
// their canonical paths; plus a files: entry and a generated file.
rootfs::Rootfs curl_rootfs() {
  rootfs::Rootfs r;
  auto add_file = [&](const std::string& path, const fs::path& src, rootfs::EntryOrigin origin) {
    rootfs::Entry e;
    e.path = path;
    e.source = src;
    e.size = fs::file_size(src);
    e.origin = origin;
    e.mode = 0755;
    r.add(e);
  };
  add_file("/usr/bin/curl", "/usr/bin/curl", rootfs::EntryOrigin::Binary);
  auto ldd = util::run_process({"ldd", "/usr/bin/curl"});
  REQUIRE(ldd.ok());
  std::istringstream in(ldd.out);
  std::string line;
  while (std::getline(in, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string host = line.substr(slash, line.find(' ', slash) - slash);
    fs::path real = fs::canonical(host);
    add_file(real.string(), real, host.find("ld-linux") != std::string::npos ? rootfs::EntryOrigin::Interpreter : rootfs::EntryOrigin::Library);
  }
  rootfs::Entry passwd;
  passwd.path = "/etc/passwd";
  passwd.content = "app:x:65532:65532::/home/app:/sbin/nologin\n";
  passwd.size = passwd.content.size();
  passwd.origin = rootfs::EntryOrigin::Generated;
  r.add(passwd);
  rootfs::Entry conf;
  conf.path = "/etc/curl/curlrc";
  conf.content = "silent\n";
  conf.size = conf.content.size();
  conf.origin = rootfs::EntryOrigin::Files;
  r.add(conf);
  return r;
}

std::set<std::string> names_of(const json& packages) {
  std::set<std::string> out;
  for (const auto& p : packages) out.insert(p["name"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("provenance: SBOM has every SPDX 2.3 required field and consistent references") {
  rootfs::Rootfs r = curl_rootfs();
  provenance::SbomInput in;
  in.name = "curl";
  in.image_reference = "registry.example.com/tools/curl:8";
  in.created = 1700000000;
  in.binary_build_id = "0123abcd";
  json doc = json::parse(provenance::sbom_document(provenance::SbomFormat::Spdx, r, in));

  CHECK(doc["spdxVersion"] == "SPDX-2.3");
  CHECK(doc["dataLicense"] == "CC0-1.0");
  CHECK(doc["SPDXID"] == "SPDXRef-DOCUMENT");
  CHECK(doc["name"] == "registry.example.com/tools/curl:8");
  CHECK(doc["documentNamespace"].get<std::string>().rfind("https://slimbuild.dev/spdx/curl-", 0) == 0);
  CHECK(doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z");
  REQUIRE(doc["creationInfo"]["creators"].size() == 1);
  CHECK(doc["creationInfo"]["creators"][0].get<std::string>().rfind("Tool: slimbuild-", 0) == 0);

  std::set<std::string> ids{"SPDXRef-DOCUMENT"};
  auto valid_id = [](const std::string& id) {
    return id.rfind("SPDXRef-", 0) == 0 &&
           std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; });
  };
  std::size_t regular_files = 0;
  for (const auto& [p, e] : r.entries()) regular_files += e.type == rootfs::EntryType::File;
  REQUIRE(doc["files"].size() == regular_files);
  for (const auto& f : doc["files"]) {
    INFO(f.dump());
    CHECK(f["fileName"].get<std::string>().rfind("./", 0) == 0);
    CHECK(valid_id(f["SPDXID"]));
    CHECK(ids.insert(f["SPDXID"].get<std::string>()).second);  // unique
    REQUIRE(f["checksums"].size() == 1);
    CHECK(f["checksums"][0]["algorithm"] == "SHA256");
    CHECK(f["checksums"][0]["checksumValue"].get<std::string>().size() == 64);
  }
  for (const auto& p : doc["packages"]) {
    INFO(p.dump());
    CHECK(p.contains("name"));
    CHECK(p.contains("downloadLocation"));
    CHECK(valid_id(p["SPDXID"]));
    CHECK(ids.insert(p["SPDXID"].get<std::string>()).second);
  }
  REQUIRE(doc["relationships"].size() > 0);
  for (const auto& rel : doc["relationships"]) {
    INFO(rel.dump());
    CHECK(ids.count(rel["spdxElementId"].get<std::string>()));
    CHECK(ids.count(rel["relatedSpdxElement"].get<std::string>()));
  }
  // The checksum is the real content hash.
  for (const auto& f : doc["files"])
    if (f["fileName"] == "./usr/bin/curl") CHECK(f["checksums"][0]["checksumValue"] == util::sha256_file_hex("/usr/bin/curl"));
  // The image (CONTAINER) is described; the application (APPLICATION) carries the build ID.
  CHECK(doc["packages"][0]["primaryPackagePurpose"] == "CONTAINER");
  CHECK(doc["documentDescribes"][0] == doc["packages"][0]["SPDXID"]);
  CHECK(doc["packages"][1]["primaryPackagePurpose"] == "APPLICATION");
  CHECK(doc["packages"][1]["comment"].get<std::string>().find("0123abcd") != std::string::npos);
  // Every file is contained by exactly one package.
  std::map<std::string, int> containers;
  for (const auto& rel : doc["relationships"])
    if (rel["relationshipType"] == "CONTAINS" && rel["relatedSpdxElement"].get<std::string>().rfind("SPDXRef-File", 0) == 0)
      ++containers[rel["relatedSpdxElement"]];
  CHECK(containers.size() == regular_files);
  for (const auto& [id, n] : containers) CHECK(n == 1);
}

TEST_CASE("provenance: SBOM of a curl image names the Debian packages of curl's libraries") {
  rootfs::Rootfs r = curl_rootfs();
  provenance::SbomInput in;
  in.name = "curl";
  json doc = json::parse(provenance::sbom_document(provenance::SbomFormat::Spdx, r, in));
  auto names = names_of(doc["packages"]);
  for (const char* pkg : {"libcurl4", "libc6", "zlib1g", "libssl3", "libnghttp2-14"}) {
    INFO(pkg);
    CHECK(names.count(pkg));
  }
  // /usr/bin/curl came from this system's curl package, so it is Debian's
  // curl (a scanner must see it); a files: entry stays the application's.
  CHECK(names.count("curl"));
  std::string app_id = doc["packages"][1]["SPDXID"];
  std::map<std::string, std::string> file_ids;
  for (const auto& f : doc["files"]) file_ids[f["fileName"]] = f["SPDXID"];
  bool app_has_conf = false;
  for (const auto& rel : doc["relationships"])
    app_has_conf |= rel["spdxElementId"] == app_id && rel["relatedSpdxElement"] == file_ids["./etc/curl/curlrc"];
  CHECK(app_has_conf);
  bool depends_on_libc = false;
  for (const auto& p : doc["packages"]) {
    if (p["name"] != "libc6") continue;
    std::string purl = p["externalRefs"][0]["referenceLocator"];
    CHECK(purl.rfind("pkg:deb/debian/libc6@", 0) == 0);
    CHECK(purl.find("?arch=amd64&distro=debian-") != std::string::npos);
    CHECK(purl.find("&upstream=glibc%40") != std::string::npos);
    CHECK(p["versionInfo"].get<std::string>().size() > 0);
    for (const auto& rel : doc["relationships"])
      depends_on_libc |= rel["spdxElementId"] == app_id && rel["relationshipType"] == "DEPENDS_ON" &&
                         rel["relatedSpdxElement"] == p["SPDXID"];
  }
  CHECK(depends_on_libc);
  // Deterministic: the same inputs give the same bytes.
  CHECK(json::parse(provenance::sbom_document(provenance::SbomFormat::Spdx, r, in)).dump() == doc.dump());
  // The namespace follows the content.
  rootfs::Rootfs r2 = curl_rootfs();
  rootfs::Entry extra;
  extra.path = "/etc/extra";
  extra.content = "x";
  extra.origin = rootfs::EntryOrigin::Files;
  r2.add(extra);
  CHECK(json::parse(provenance::sbom_document(provenance::SbomFormat::Spdx, r2, in))["documentNamespace"] != doc["documentNamespace"]);
}

TEST_CASE("provenance: dpkg ownership follows the sysroot's merged-/usr links") {
  util::TempDir tmp{"prov-dpkg"};
  const fs::path& root = tmp.path();
  fs::create_directories(root / "usr/lib/x86_64-linux-gnu");
  fs::create_directories(root / "var/lib/dpkg/info");
  fs::create_directories(root / "etc");
  fs::create_symlink("usr/lib", root / "lib");
  std::ofstream(root / "usr/lib/x86_64-linux-gnu/libfoo.so.1.2") << "elf";
  std::ofstream(root / "etc/os-release") << "NAME=\"Ubuntu\"\nID=ubuntu\n";
  std::ofstream(root / "var/lib/dpkg/status")
      << "Package: libfoo1\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\n"
         "Source: foo (1.2-1)\nVersion: 1:1.2-1+b1\nDescription: foo\n continuation: not a field\n\n"
         "Package: gone\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 1\n\n"
         "Package: tool\nStatus: install ok installed\nArchitecture: all\nVersion: 2\n";
  std::ofstream(root / "var/lib/dpkg/info/libfoo1:amd64.list")
      << "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libfoo.so.1.2\n/lib/x86_64-linux-gnu/libfoo.so.1\n";
  std::ofstream(root / "var/lib/dpkg/info/tool.list") << "/usr/bin/tool\n";
  std::ofstream(root / "var/lib/dpkg/info/gone.list") << "/etc/gone.conf\n";

  auto db = provenance::DpkgDb::load(root);
  CHECK(db.distro() == "ubuntu");
  auto* p = db.owner("/usr/lib/x86_64-linux-gnu/libfoo.so.1.2");
  REQUIRE(p);
  CHECK(p->name == "libfoo1");
  CHECK(p->version == "1:1.2-1+b1");
  CHECK(p->source == "foo");
  REQUIRE(db.owner("/lib/x86_64-linux-gnu/libfoo.so.1"));
  CHECK(db.owner("/usr/lib/x86_64-linux-gnu/libfoo.so.1")->name == "libfoo1");
  CHECK(db.owner("/usr/bin/tool")->architecture == "all");
  CHECK_FALSE(db.owner("/etc/gone.conf"));
  CHECK_FALSE(db.owner("/usr/lib/x86_64-linux-gnu/libbar.so"));
  CHECK(provenance::DpkgDb::load(root / "nonexistent").empty());

  // The purl escapes the epoch colon and '+'.
  rootfs::Rootfs r;
  rootfs::Entry e;
  e.path = "/usr/lib/x86_64-linux-gnu/libfoo.so.1.2";
  e.source = root / "usr/lib/x86_64-linux-gnu/libfoo.so.1.2";
  e.origin = rootfs::EntryOrigin::Library;
  r.add(e);
  provenance::SbomInput in;
  in.name = "foo";
  in.sysroot = root;
  json doc = json::parse(provenance::sbom_document(provenance::SbomFormat::Spdx, r, in));
  REQUIRE(doc["packages"].size() == 3);  // image, application, libfoo1
  CHECK(doc["packages"][2]["externalRefs"][0]["referenceLocator"] ==
        "pkg:deb/ubuntu/libfoo1@1%3A1.2-1%2Bb1?arch=amd64&distro=ubuntu&upstream=foo%401.2-1");
}

TEST_CASE("provenance: both SBOM documents are written already canonical (re-dumping them changes no byte)") {
  rootfs::Rootfs r = curl_rootfs();
  // Names that need escaping, and UTF-8 that must be kept as is.
  for (const char* odd : {"/etc/curl/a \"quoted\" name", "/etc/curl/back\\slash", "/etc/curl/tab\there",
                          "/etc/curl/caf\xc3\xa9", "/etc/curl/del\x7f", "/etc/curl/esc\x1b[0m"}) {
    rootfs::Entry e;
    e.path = odd;
    e.content = std::string("x") + odd;
    e.size = e.content.size();
    e.origin = rootfs::EntryOrigin::Files;
    r.add(e);
  }
  provenance::SbomInput in;
  in.name = "curl";
  in.image_reference = "registry.example.com/tools/curl:8";
  in.created = 1700000000;
  in.binary_build_id = "0123abcd";
  std::map<std::string, std::string> hashes{{"/etc/curl/curlrc", std::string(64, 'a')}};
  in.file_sha256 = &hashes;
  provenance::SbomDocuments both = provenance::sbom_documents(r, in);
  for (const std::string* doc : {&both.spdx, &both.cyclonedx}) {
    json parsed = json::parse(*doc);
    CHECK(parsed.dump(-1, ' ', false, json::error_handler_t::strict) == *doc);
  }
  CHECK(both.spdx == provenance::sbom_document(provenance::SbomFormat::Spdx, r, in));
  CHECK(both.cyclonedx == provenance::sbom_document(provenance::SbomFormat::CycloneDx, r, in));
  // The layer's hash is used as given; the rest are hashed from their content.
  json spdx = json::parse(both.spdx);
  std::map<std::string, std::string> sums;
  for (const auto& f : spdx["files"]) sums[f["fileName"]] = f["checksums"][0]["checksumValue"];
  CHECK(sums.at("./etc/curl/curlrc") == std::string(64, 'a'));
  CHECK(sums.at("./etc/curl/caf\xc3\xa9") == util::sha256_hex("x/etc/curl/caf\xc3\xa9"));
}
