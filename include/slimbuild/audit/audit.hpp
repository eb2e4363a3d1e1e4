// `slimbuild audit`: the security posture of any image, ours or anyone's.
// The checks run on an AuditImage, a plain description of an image (its
// final file system with modes and xattrs, the contents of the few files
// that say who runs and what is installed, secrets found while the layers
// streamed, its config and SBOMs), so they are pure functions, testable on
// hand-made images; read_audit_image (audit/read_image.hpp) makes one from a
// layout, archive or registry reference.
//
// Findings, each with a rule name a policy can fail on:
//   shell, interpreter, package-manager   executables on disk, by name
//   setuid, setgid                        regular files with the bit set
//   file-capability                       security.capability xattrs, decoded
//   world-writable                        o+w files and directories (sticky /tmp, /var/tmp exempt)
//   root-user, unknown-user               the config's User: root, or a name /etc/passwd lacks
//   login-shell                           passwd entries whose shell is not nologin/false
//   secret                                the build's secret detector on every file
//   unaccounted-file                      regular files no SBOM or dpkg record lists
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/inspect/image_files.hpp>

namespace slimbuild::audit {

struct AuditFile {
  inspect::FileType type = inspect::FileType::File;
  uint32_t mode = 0;        // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  std::string link;         // symlink / hard-link target
  std::string capability;   // raw security.capability xattr, "" when none
};

struct SecretHit {
  std::string path;
  std::string reason;
};

struct AuditImage {
  std::string name;                             // what the user passed
  std::string digest;                           // image manifest digest
  std::string platform;                         // "linux/arm64/v8" for an image index's entry, else ""
  std::map<std::string, AuditFile> files;       // absolute image path -> file
  std::map<std::string, std::string> contents;  // whole contents of the files metadata_wanted() names
  std::vector<SecretHit> secrets;
  nlohmann::json config = nlohmann::json::object();  // the image config's "config" object
  std::vector<nlohmann::json> sboms;            // SPDX or CycloneDX documents (referrers)
};

// True for the files whose contents the checks read: passwd, os-release,
// dpkg status, status.d records, info/*.list, apk's installed database.
bool metadata_wanted(const std::string& path);

struct Finding {
  std::string rule;    // "setuid"
  std::string path;    // "/usr/bin/passwd", "" when not about one file
  std::string detail;  // "mode 4755, owner 0"
  // Other paths that reach the same file through a symlinked directory
  // (/bin/sh for /usr/bin/sh when /bin -> usr/bin): what a user would type.
  std::vector<std::string> also = {};
};

struct Package {
  std::string name, version, architecture;
  std::string source;  // where it was identified: "dpkg", "status.d", "apk", "sbom"
};

struct AuditReport {
  std::string image, digest;
  std::string platform;              // an image index's entry: its platform
  std::string user;                  // the config's User, "" = root by default
  std::vector<Finding> findings;     // sorted by rule, then path
  std::vector<Package> packages;     // sorted by name, architecture
  uint64_t files = 0;                // regular files in the image
};

AuditReport run_audit(const AuditImage& image);

// Every rule name, sorted: what a policy may name.
const std::vector<std::string>& rule_names();

// Exposed for tests: "cap_net_bind_service=ep" from a raw vfs_cap_data
// xattr; "unreadable capability data" when it cannot be decoded.
std::string describe_capability(const std::string& raw);

}  // namespace slimbuild::audit
