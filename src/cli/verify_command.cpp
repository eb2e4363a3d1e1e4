// `slimbuild verify MANIFEST --against DIGEST|IMAGE`: rebuild from the
// manifest into a private directory and check that the result is the very
// image someone claims it is. Against a digest the answer is yes or no;
// against an image (layout, archive or registry reference) a "no" comes with
// the list of differences, down to the file, so a non-reproducible input can
// be found. Exit 0 match, 3 mismatch, 1 error (as for build).
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"

#include <iostream>
#include <memory>

#include <slimbuild/inspect/diff.hpp>
#include <slimbuild/inspect/image_source.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/pipeline/pipeline.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::cli {

namespace {

struct VerifyFlags {
  std::string manifest;
  std::string against;
  std::optional<int64_t> source_date_epoch;
  bool json = false;
  RegistryFlags registry;
};

int report_digest_check(const VerifyFlags& f, const std::string& rebuilt) {
  bool same = rebuilt == f.against;
  if (f.json) {
    // The same document as a comparison of two images, with one difference at most.
    inspect::ImageComparison digests;
    digests.digest_a = rebuilt;
    digests.digest_b = f.against;
    digests.identical = same;
    if (!same) digests.differences.push_back({inspect::DifferenceKind::Manifest, "digest", rebuilt, f.against});
    std::cout << digests.to_json().dump(2) << "\n";
  } else if (same) {
    util::info("verified: the rebuilt image is " + rebuilt);
    std::cout << rebuilt << "\n";
  } else {
    std::cout << "mismatch: rebuilt " << rebuilt << "\n          expected " << f.against << "\n";
    util::warn("the rebuild does not reproduce " + f.against +
               "; pass --against LAYOUT|ARCHIVE|REF (the image itself) for a file-level explanation");
  }
  return same ? kExitOk : kExitMismatch;
}

}  // namespace

Command add_verify_command(CLI::App& root) {
  auto flags = std::make_shared<VerifyFlags>();
  Command c;
  c.app = root.add_subcommand("verify", "Rebuild from MANIFEST and check it reproduces an image; explain any difference");
  c.app->add_option("manifest", flags->manifest, "The YAML manifest")->required();
  c.app->add_option("--against", flags->against,
                    "sha256:DIGEST, OCI layout DIR[:TAG], oci-archive/docker-archive file, or registry REF")
      ->required();
  c.app->add_option("--source-date-epoch", flags->source_date_epoch,
                    "The timestamp the image was built with (default: SOURCE_DATE_EPOCH, else the git commit time)");
  c.app->add_flag("--json", flags->json, "Print one JSON document instead of text");
  add_registry_flags(c.app, flags->registry);
  c.run = [flags]() -> int {
    const VerifyFlags& f = *flags;
    bool against_digest = f.against.rfind("sha256:", 0) == 0;
    if (against_digest && !util::is_sha256_digest(f.against))
      throw Error("--against " + f.against + " is not a valid digest", "a digest is sha256: followed by 64 lowercase hex digits",
                  kExitUsage);
    // Open the reference image first: a bad --against fails before the rebuild.
    std::optional<inspect::OpenedImage> expected;
    if (!against_digest) expected = inspect::open_image(f.against, to_registry_options(f.registry));

    util::TempDir tmp("slimbuild-verify");
    manifest::Manifest loaded = manifest::load_manifest(f.manifest);
    pipeline::BuildOptions options;
    options.output = tmp.path() / "rebuilt";
    options.source_date_epoch = f.source_date_epoch;
    util::info("rebuilding " + f.manifest);
    pipeline::BuildResult built = pipeline::build_image(loaded, options);
    if (against_digest) return report_digest_check(f, built.image_manifest.digest);

    inspect::CompareOptions compare;
    compare.content_only = expected->kind == inspect::SourceKind::DockerArchive;
    // Before = the image claimed, after = what these inputs build today.
    auto result = inspect::compare_layouts(expected->layout, expected->ref, built.layout, built.ref_name, compare);
    std::optional<std::string> epoch = result.only_timestamps_differ();
    std::string times_hint;
    if (epoch)
      times_hint = "only timestamps differ: the inputs reproduce the image, which was built with SOURCE_DATE_EPOCH=" +
                   *epoch + "; verify with --source-date-epoch " + *epoch;
    if (f.json) {
      nlohmann::json j = result.to_json();
      if (epoch) j["hint"] = times_hint;
      std::cout << j.dump(2) << "\n";
    } else if (result.identical) {
      util::info("verified: the rebuild reproduces " + f.against +
                 (compare.content_only ? " (config and layers; a docker-archive keeps no OCI manifest)" : ""));
      std::cout << result.digest_b << "\n";
    } else {
      std::cout << "the rebuild (B) does not reproduce " << f.against << " (A):\n" << result.to_text();
      if (epoch) util::warn(times_hint);
    }
    return result.identical ? kExitOk : kExitMismatch;
  };
  return c;
}

}  // namespace slimbuild::cli
