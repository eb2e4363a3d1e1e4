// A throwaway project for manifest tests: a manifest directory with a fake
// binary, a config tree and a CA bundle, plus a sysroot holding a tiny tz
// database, so zone checks do not depend on the test machine's tzdata.
#pragma once

#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/util/fs.hpp>

namespace manifest_test {

namespace fs = std::filesystem;
using slimbuild::manifest::Manifest;
using slimbuild::manifest::ManifestError;

inline void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

struct Project {
  slimbuild::util::TempDir tmp{"manifest-test"};
  fs::path dir = tmp.path() / "proj";
  fs::path sysroot = tmp.path() / "sysroot";

  Project() {
    write(dir / "build/hello", "\x7f" "ELF fake");
    fs::permissions(dir / "build/hello", fs::perms(0755));
    write(dir / "config/app.conf", "level=info\n");
    write(dir / "config/sub/extra.conf", "x\n");
    write(dir / "certs/corp.pem", "# corporate CA\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    for (const char* zone : {"UTC", "Europe/Ljubljana", "Europe/Berlin", "America/New_York"})
      write(sysroot / "usr/share/zoneinfo" / zone, "TZif2 fake zone");
    write(sysroot / "usr/share/zoneinfo/zone.tab", "# not a zone\n");
  }

  fs::path manifest_path() const { return dir / "slimbuild.yaml"; }

  Manifest load(const std::string& yaml) {
    write(manifest_path(), yaml);
    return slimbuild::manifest::load_manifest(manifest_path());
  }

  // The error load() throws for `yaml`; fails the test if it does not throw.
  ManifestError error(const std::string& yaml) {
    try {
      load(yaml);
    } catch (const ManifestError& e) {
      return e;
    }
    FAIL("expected a ManifestError for:\n" << yaml);
    throw std::logic_error("unreachable");
  }
};

}  // namespace manifest_test
