// The in-toto Statement v1 with a SLSA Provenance v1 predicate that says how
// an image was built: from which manifest, source repository and commit,
// for which platforms, from which inputs (the binary and every `files:`
// input with its sha256, each Debian package with its version), by which
// slimbuild. Times come from the build's SOURCE_DATE_EPOCH, so rebuilding the
// same commit gives the same statement, byte for byte (canonical JSON).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/util/error.hpp>

namespace slimbuild::sign {

inline constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char* kSlsaProvenanceType = "https://slsa.dev/provenance/v1";
inline constexpr const char* kBuildType = "https://slimbuild.dev/buildtypes/manifest/v1";

struct Subject {
  std::string name;    // the image's repository, e.g. "registry.example.com/team/app"
  std::string digest;  // "sha256:<hex>" of its manifest (or index)
};

// One SLSA ResourceDescriptor: an input of the build.
struct Dependency {
  std::string name;                         // "binary", "files/etc/app.conf", "libc6:amd64"
  std::string uri;                          // "file:build/hello", "pkg:deb/debian/libc6@2.36-9?arch=amd64", "git+..."
  std::map<std::string, std::string> digest;  // {"sha256": hex} or {"gitCommit": hex}
};

struct ProvenanceInput {
  std::vector<Subject> subjects;
  std::string builder_version;      // slimbuild's version
  std::string manifest_path;        // relative to the source repository's root when in one
  std::string source_repository;    // "" outside git
  std::string source_commit;        // full hex, "" outside git
  std::vector<std::string> platforms;  // "linux/amd64"
  std::vector<Dependency> dependencies;
  int64_t epoch = 0;                // build time (SOURCE_DATE_EPOCH-derived)
};

nlohmann::json make_provenance_statement(const ProvenanceInput& input);

// externalParameters.source ({repository, commit}) of a statement; {} if absent.
nlohmann::json statement_source(const nlohmann::json& statement);

// What verify-signature checks in a statement besides its signature.
struct StatementExpectations {
  std::string subject_digest;                 // the image's manifest digest
  std::optional<std::string> source_commit;   // full hex or a prefix of at least 7
  std::optional<std::string> source_repo;     // compared without credentials and a trailing ".git" or "/"
};

// Parses `payload` as a statement and checks it; an Error names the first
// expectation that does not hold. Returns the parsed statement.
Result<nlohmann::json> check_statement(const std::string& payload, const StatementExpectations& expect);

}  // namespace slimbuild::sign
