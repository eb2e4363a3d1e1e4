// `slimbuild sign IMAGE --key KEY.pem` and `slimbuild verify-signature IMAGE
// --key PUB.pem`: a Sigstore bundle (DSSE over an in-toto SLSA provenance
// statement) attached to the image as an OCI referrer, and the check that a
// bundle signed by the key names this very image (and, when asked, the
// commit and repository it was built from). Exit 0 only when every check
// holds; 3 when the image fails one; 1 for errors reading keys or images.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <iostream>
#include <memory>

#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/registry/pull.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/registry/referrers_fetch.hpp>
#include <slimbuild/sign/bundle.hpp>
#include <slimbuild/sign/image_signing.hpp>
#include <slimbuild/sign/provenance_statement.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::cli {

namespace {

struct SignFlags {
  std::string image;
  SigningKeyFlags key;
  RegistryFlags registry;
};

struct VerifySignatureFlags {
  std::string image;
  std::string key;
  std::string source_commit, source_repo;
  bool json = false;
  RegistryFlags registry;
};

// "host/team/app:1.0" -> "host/team/app": the in-toto subject name.
std::string repository_of(const std::string& reference) {
  auto ref = registry::parse_reference(reference);
  return ref ? ref->name() : reference;
}

void refuse_archive(const inspect::OpenedImage& img, const char* what) {
  if (img.kind == inspect::SourceKind::OciArchive || img.kind == inspect::SourceKind::DockerArchive)
    throw Error(std::string(what) + ": " + img.spec + " is an archive, and archives carry the image but no referrers",
                "use the OCI layout (build -o DIR) or the pushed registry reference");
}

int run_sign(const SignFlags& f) {
  registry::RegistryOptions options = to_registry_options(f.registry);
  sign::PrivateKey key = load_signing_key(f.key, f.registry.password_stdin);
  std::optional<std::string> remote = inspect::registry_reference_of(f.image);
  inspect::OpenedImage img = inspect::open_image(f.image, options);
  refuse_archive(img, "sign");
  std::optional<std::string> ref = img.ref.empty() ? std::nullopt : std::optional<std::string>(img.ref);
  sign::ImageFacts facts = sign::read_image_facts(img.layout, ref, "");
  facts.name = remote ? repository_of(*remote) : facts.annotations["org.opencontainers.image.title"];
  facts.builder_version = SLIMBUILD_VERSION;
  if (remote) {
    // A pull brings the image only; its SBOM (packages, file digests) is a referrer.
    for (const auto& sbom : registry::fetch_referrer_contents(*remote, facts.manifest.digest, "application/spdx+json", options)) {
      facts.sbom = nlohmann::json::parse(sbom, nullptr, false);
      break;
    }
  }
  image::Descriptor bundle = sign::sign_layout_image(img.layout, facts, key);
  if (remote) {
    // Blobs and manifest are already there (HEAD only); the new referrer is uploaded.
    registry::push_layout(img.layout, ref, repository_of(*remote) + "@" + facts.manifest.digest, options);
  }
  util::info("signed " + facts.manifest.digest + " with " + sign::to_string(key.public_key().type()) + " key " +
             key.public_key().hint().substr(0, 16) + "...; bundle referrer " + bundle.digest);
  std::cout << bundle.digest << "\n";
  return kExitOk;
}

int run_verify_signature(const VerifySignatureFlags& f) {
  registry::RegistryOptions options = to_registry_options(f.registry);
  sign::PublicKey key = sign::PublicKey::load_pem_file(f.key);
  sign::StatementExpectations expect;
  if (!f.source_commit.empty()) {
    if (f.source_commit.size() < 7 || f.source_commit.size() > 40 ||
        f.source_commit.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw Error("--source-commit " + f.source_commit + " is not a commit id (7 to 40 lowercase hex digits)",
                  "pass the full id, e.g. --source-commit \"$(git rev-parse HEAD)\"", kExitUsage);
    expect.source_commit = f.source_commit;
  }
  if (!f.source_repo.empty()) expect.source_repo = f.source_repo;

  std::vector<nlohmann::json> bundles;
  if (std::optional<std::string> remote = inspect::registry_reference_of(f.image)) {
    const std::string& spec = *remote;
    expect.subject_digest = registry::resolve_digest(spec, options);
    for (const auto& b : registry::fetch_referrer_contents(spec, expect.subject_digest, sign::kBundleMediaType, options))
      bundles.push_back(nlohmann::json::parse(b, nullptr, false));
  } else {
    inspect::OpenedImage img = inspect::open_image(f.image, options);
    refuse_archive(img, "verify-signature");
    image::LayoutReader layout(img.layout);
    expect.subject_digest = layout.find_image(img.ref.empty() ? std::nullopt : std::optional<std::string>(img.ref)).digest;
    bundles = sign::layout_signatures(img.layout, expect.subject_digest);
  }

  Result<nlohmann::json> statement = sign::verify_signatures(bundles, key, expect);
  if (!statement) {
    if (f.json)
      std::cout << nlohmann::json{{"verified", false}, {"image", expect.subject_digest}, {"reason", statement.error().what()}}.dump(2)
                << "\n";
    throw Error(std::string("signature check failed: ") + statement.error().what(), statement.error().hint(), kExitMismatch);
  }
  const nlohmann::json source = sign::statement_source(*statement);
  if (f.json) {
    std::cout << nlohmann::json{{"verified", true}, {"image", expect.subject_digest}, {"key", key.hint()}, {"source", source}}.dump(2)
              << "\n";
  } else {
    util::info("verified: " + expect.subject_digest + " is signed by key " + key.hint().substr(0, 16) + "..." +
               (source.contains("commit") ? ", built from commit " + source.value("commit", "") : std::string()) +
               (source.contains("repository") ? " of " + source.value("repository", "") : std::string()));
    std::cout << expect.subject_digest << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_sign_command(CLI::App& root) {
  auto flags = std::make_shared<SignFlags>();
  Command c;
  c.app = root.add_subcommand("sign", "Sign an image: a Sigstore bundle with SLSA provenance, attached as a referrer");
  c.app->add_option("image", flags->image, "OCI layout DIR[:TAG] or registry REF")->required();
  add_signing_key_flags(c.app, flags->key, "--key", true);
  add_registry_flags(c.app, flags->registry);
  c.run = [flags] { return run_sign(*flags); };
  return c;
}

Command add_verify_signature_command(CLI::App& root) {
  auto flags = std::make_shared<VerifySignatureFlags>();
  Command c;
  c.app = root.add_subcommand("verify-signature", "Check an image's signature bundle against a public key");
  c.app->add_option("image", flags->image, "OCI layout DIR[:TAG] or registry REF")->required();
  c.app->add_option("--key", flags->key, "Public key (PEM) of the signing key")->required();
  c.app->add_option("--source-commit", flags->source_commit, "Require the provenance to name this git commit");
  c.app->add_option("--source-repo", flags->source_repo, "Require the provenance to name this source repository");
  c.app->add_flag("--json", flags->json, "Machine-readable result on stdout");
  add_registry_flags(c.app, flags->registry);
  c.run = [flags] { return run_verify_signature(*flags); };
  return c;
}

}  // namespace slimbuild::cli
