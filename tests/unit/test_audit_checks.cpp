// The audit rules on hand-made images: each rule fires on what it names and
// stays quiet on its look-alikes (a library named like a shell, sticky /tmp,
// nologin accounts), capabilities decode like getcap prints them, packages
// come from every record kind, and policies fail exactly the rules they name.
#include <catch2/catch.hpp>

#include <fstream>

#include <slimbuild/audit/audit.hpp>
#include <slimbuild/audit/policy.hpp>
#include <slimbuild/audit/report.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/util/fs.hpp>

using namespace slimbuild;
using audit::AuditFile;

namespace {

AuditFile file(uint32_t mode, uint64_t size = 10) { return AuditFile{inspect::FileType::File, mode, 0, 0, size, "", ""}; }
AuditFile dir(uint32_t mode) { return AuditFile{inspect::FileType::Directory, mode, 0, 0, 0, "", ""}; }
AuditFile link(const std::string& target) { return AuditFile{inspect::FileType::Symlink, 0777, 0, 0, 0, target, ""}; }

std::vector<std::string> paths_of(const audit::AuditReport& r, const std::string& rule) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (f.rule == rule) out.push_back(f.path);
  return out;
}

// vfs_cap_data revision 2: magic, then permitted/inheritable low and high words.
std::string cap_v2(uint64_t permitted, bool effective) {
  auto le = [](uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i) & 0xff);
    return s;
  };
  return le(0x02000000u | (effective ? 1u : 0u)) + le(static_cast<uint32_t>(permitted)) + le(0) +
         le(static_cast<uint32_t>(permitted >> 32)) + le(0);
}

audit::AuditImage debian_like() {
  audit::AuditImage img;
  img.name = "test";
  img.files = {{"/bin", link("usr/bin")},
               {"/usr/bin/dash", file(0755)},
               {"/usr/bin/sh", link("dash")},
               {"/usr/bin/apt-get", file(0755)},
               {"/usr/bin/dpkg", file(0755)},
               {"/usr/bin/passwd", file(04755)},
               {"/usr/bin/chage", file(02755)},
               {"/usr/bin/ping", file(0755)},
               {"/usr/bin/python3.11", file(0755)},
               {"/usr/lib/x86_64-linux-gnu/libsh.so", file(0644)},   // not an executable
               {"/usr/share/doc/bash", dir(0755)},
               {"/tmp", dir(01777)},
               {"/var/tmp", dir(01777)},
               {"/srv/drop", dir(0777)},
               {"/etc/passwd", file(0644)},
               {"/usr/lib/x86_64-linux-gnu/libc.so.6", file(0755)},
               {"/var/lib/dpkg/status", file(0644)},
               {"/var/lib/dpkg/info/libc6:amd64.list", file(0644)},
               {"/etc/hostname", file(0644)}};
  img.files["/usr/bin/ping"].capability = cap_v2(1ull << 13, true);  // cap_net_raw
  img.contents["/etc/passwd"] =
      "root:x:0:0:root:/root:/bin/bash\nsync:x:4:65534:sync:/bin:/bin/sync\n"
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  img.contents["/var/lib/dpkg/status"] =
      "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nSource: glibc\n"
      "Version: 2.36-9+deb12u4\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1\n";
  img.contents["/var/lib/dpkg/info/libc6:amd64.list"] = "/.\n/lib/x86_64-linux-gnu/libc.so.6\n";
  img.files["/lib"] = link("usr/lib");
  return img;
}

}  // namespace

TEST_CASE("audit: a Debian-like image shows its shell, package managers, setuid files and root user") {
  auto r = audit::run_audit(debian_like());
  CHECK(paths_of(r, "shell") == std::vector<std::string>{"/usr/bin/dash", "/usr/bin/sh"});
  CHECK(paths_of(r, "package-manager") == std::vector<std::string>{"/usr/bin/apt-get", "/usr/bin/dpkg"});
  CHECK(paths_of(r, "interpreter") == std::vector<std::string>{"/usr/bin/python3.11"});
  CHECK(paths_of(r, "setuid") == std::vector<std::string>{"/usr/bin/passwd"});
  CHECK(paths_of(r, "setgid") == std::vector<std::string>{"/usr/bin/chage"});
  CHECK(paths_of(r, "world-writable") == std::vector<std::string>{"/srv/drop"});
  CHECK(paths_of(r, "file-capability") == std::vector<std::string>{"/usr/bin/ping"});
  for (const auto& f : r.findings)
    if (f.rule == "file-capability") CHECK(f.detail == "cap_net_raw=ep");
  CHECK(paths_of(r, "root-user").size() == 1);  // no User in the config
  REQUIRE(paths_of(r, "login-shell").size() == 1);
  for (const auto& f : r.findings)
    if (f.rule == "login-shell") CHECK(f.detail.find("root") == 0);
  // libc is accounted for through /lib -> usr/lib; hostname and passwd are not.
  CHECK(paths_of(r, "unaccounted-file") ==
        std::vector<std::string>{"/etc/hostname", "/etc/passwd", "/usr/bin/apt-get", "/usr/bin/chage",
                                 "/usr/bin/dash", "/usr/bin/dpkg", "/usr/bin/passwd", "/usr/bin/ping",
                                 "/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libsh.so"});
  REQUIRE(r.packages.size() == 1);
  CHECK(r.packages[0].name == "libc6");
  CHECK(r.packages[0].version == "2.36-9+deb12u4");
  CHECK(r.packages[0].architecture == "amd64");

  auto failed = audit::evaluate(audit::default_policy(), r);
  std::vector<std::string> rules;
  for (const auto& f : failed) rules.push_back(f.rule);
  CHECK(rules == std::vector<std::string>{"login-shell", "package-manager", "root-user", "setgid", "setuid", "shell",
                                          "world-writable"});
  auto j = audit::report_json(r, audit::default_policy(), failed);
  CHECK(j["policy"]["passed"] == false);
  CHECK(j["policy"]["failed_rules"].size() == rules.size());
}

TEST_CASE("audit: the run user is checked against the image's own passwd") {
  audit::AuditImage img;
  img.files["/etc/passwd"] = file(0644);
  img.contents["/etc/passwd"] = "app:x:65532:65532::/home/app:/sbin/nologin\nzero:x:0:0::/:/sbin/nologin\n";
  auto rules_for = [&](const std::string& user) {
    img.config = {{"User", user}};
    std::vector<std::string> out;
    for (const auto& f : audit::run_audit(img).findings) out.push_back(f.rule);
    return out;
  };
  // /etc/passwd itself is in no SBOM or package record here.
  CHECK(rules_for("app") == std::vector<std::string>{"unaccounted-file"});
  CHECK(rules_for("65532:65532") == std::vector<std::string>{"unaccounted-file"});
  CHECK(rules_for("ghost") == std::vector<std::string>{"unaccounted-file", "unknown-user"});
  CHECK(rules_for("root") == std::vector<std::string>{"root-user", "unaccounted-file"});
  CHECK(rules_for("0:0") == std::vector<std::string>{"root-user", "root-user", "unaccounted-file"});
  CHECK(rules_for("zero") == std::vector<std::string>{"root-user", "unaccounted-file"});
  CHECK(rules_for("") == std::vector<std::string>{"root-user", "unaccounted-file"});
}

TEST_CASE("audit: capability data decodes like getcap, and garbage says so") {
  CHECK(audit::describe_capability(cap_v2(1ull << 10, true)) == "cap_net_bind_service=ep");
  CHECK(audit::describe_capability(cap_v2((1ull << 10) | (1ull << 13), false)) == "cap_net_bind_service,cap_net_raw=p");
  CHECK(audit::describe_capability(cap_v2(1ull << 40, true)) == "cap_checkpoint_restore=ep");
  CHECK(audit::describe_capability("xy") == "unreadable capability data");
  CHECK(audit::describe_capability(std::string("\x00\x00\x00\x07", 4) + std::string(16, '\0')) == "unreadable capability data");
}

TEST_CASE("audit: SBOM files account for files, status.d records name packages") {
  audit::AuditImage img;
  img.config = {{"User", "10001:10001"}};
  img.files = {{"/usr/bin/curl", file(0755)},
               {"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", file(0644)},
               {"/var/lib/dpkg/status.d/zlib1g", file(0644)},
               {"/var/lib/dpkg/status.d/zlib1g.md5sums", file(0644)},
               {"/etc/extra", file(0644)}};
  img.contents["/var/lib/dpkg/status.d/zlib1g"] =
      "Package: zlib1g\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1:1.2.13.dfsg-1\n";
  img.contents["/var/lib/dpkg/status.d/zlib1g.md5sums"] = std::string(32, 'a') + "  usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n";
  img.sboms.push_back({{"spdxVersion", "SPDX-2.3"}, {"files", {{{"fileName", "./usr/bin/curl"}}}}, {"packages", nlohmann::json::array()}});
  auto r = audit::run_audit(img);
  CHECK(paths_of(r, "unaccounted-file") == std::vector<std::string>{"/etc/extra"});
  REQUIRE(r.packages.size() == 1);
  CHECK(r.packages[0].architecture == "arm64");  // from the record, never assumed
  CHECK(r.packages[0].source == "status.d");
  CHECK(audit::evaluate(audit::default_policy(), r).empty());
}

TEST_CASE("audit: policy files name rules, allow paths, and report typos with their line") {
  util::TempDir tmp{"audit-policy"};
  auto write = [&](const std::string& text) {
    std::ofstream(tmp.path() / "p.yml") << text;
    return tmp.path() / "p.yml";
  };
  auto p = audit::load_policy(write("fail: [setuid, interpreter]\nallow:\n  setuid: [/usr/bin/pass*]\n"));
  CHECK(p.fail == std::set<std::string>{"interpreter", "setuid"});
  auto r = audit::run_audit(debian_like());
  auto failed = audit::evaluate(p, r);
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].rule == "interpreter");

  try {
    audit::load_policy(write("fail: [shell, setuidd]\n"));
    FAIL("a misspelt rule was accepted");
  } catch (const manifest::ManifestError& e) {
    CHECK(std::string(e.what()).find("p.yml:1:15") != std::string::npos);
    CHECK(std::string(e.what()).find("setuidd") != std::string::npos);
    CHECK(e.hint().find("setuid") != std::string::npos);
  }
  CHECK_THROWS_AS(audit::load_policy(write("fial: [shell]\n")), manifest::ManifestError);
  CHECK_THROWS_AS(audit::load_policy(write("- shell\n")), manifest::ManifestError);
  CHECK_THROWS_AS(audit::load_policy(tmp.path() / "missing.yml"), Error);
}
