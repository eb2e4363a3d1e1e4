// Signing an image and checking its signature, on an OCI layout. The
// provenance statement is made from what the image itself records (its
// manifest annotations: revision, source, created; its config's platform;
// its SBOM referrer: Debian packages with versions and the application's
// files with their sha256), so `build --sign-key` and a later
// `slimbuild sign` of the same image say the same thing about it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/sign/keys.hpp>
#include <slimbuild/sign/provenance_statement.hpp>

namespace slimbuild::sign {

struct ImageFacts {
  std::string name;                                 // subject name (repository or image title)
  image::Descriptor manifest;                       // the subject
  std::map<std::string, std::string> annotations;   // the image manifest's
  std::vector<std::string> platforms;               // "linux/amd64", "linux/arm64/v8"
  int64_t created = 0;                              // epoch seconds
  nlohmann::json sbom;                              // SPDX 2.3 document, or null
  std::string manifest_path;                        // the YAML manifest (repo-relative); "" when unknown
  std::string builder_version;
};

ProvenanceInput provenance_from_image(const ImageFacts& facts);

// Reads the facts of image `ref` (nullopt = the only image) of a layout.
ImageFacts read_image_facts(const fs::path& layout, const std::optional<std::string>& ref, const std::string& name);

// The bundle (canonical JSON) signing the statement for `facts`, and the
// annotations of the referrer that carries it.
std::string signed_bundle(const ImageFacts& facts, const PrivateKey& key);
std::map<std::string, std::string> bundle_annotations(const ImageFacts& facts);

// Signs the statement for `facts` and adds the bundle to the layout as a
// referrer of the image. Returns the referrer manifest's descriptor.
image::Descriptor sign_layout_image(const fs::path& layout, const ImageFacts& facts, const PrivateKey& key);

// Bundles attached to `subject_digest` in the layout (artifactType bundle).
std::vector<nlohmann::json> layout_signatures(const fs::path& layout, const std::string& subject_digest);

// Checks each bundle with `key` and `expect`; succeeds when one holds.
// The Error names why the first (or only) bundle failed.
Result<nlohmann::json> verify_signatures(const std::vector<nlohmann::json>& bundles, const PublicKey& key,
                                         const StatementExpectations& expect);

}  // namespace slimbuild::sign
