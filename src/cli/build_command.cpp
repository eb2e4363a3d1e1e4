// `slimbuild build MANIFEST`: flags -> the manifest, loaded once ->
// pipeline::build_image -> optional push -> summary. Humans get a few lines on stderr and the digest as the last stdout
// line (the contract); with --json stdout holds exactly one JSON document
// (whose "digest" is that same digest) so it can be piped into jq as is.
#include "cli/commands.hpp"
#include "cli/registry_flags.hpp"
#include "cli/sign_flags.hpp"

#include <cstdlib>
#include <iostream>
#include <map>
#include <system_error>

#include <nlohmann/json.hpp>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/layer/compressor.hpp>
#include <slimbuild/layer/layer_cache.hpp>
#include <slimbuild/image/layout.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/pipeline/pipeline.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/registry/blob_stream.hpp>
#include <slimbuild/registry/cache_repository.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/human_size.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/progress.hpp>
#include <slimbuild/util/stage_timer.hpp>

namespace slimbuild::cli {

namespace {

struct BuildFlags {
  std::string manifest;
  std::string output;
  bool push = false;
  std::string tag;
  bool json = false;
  image::OutputFormat format = image::OutputFormat::Oci;
  std::string sbom;
  std::string sbom_format = "spdx";
  bool require_clean = false;
  std::optional<int64_t> source_date_epoch;
  std::string compression;
  unsigned threads = 0;
  std::string cache_dir;
  bool no_cache = false;
  std::string cache_ref;
  std::string platform;
  RegistryFlags registry;
  registry::RegistryOptions registry_options;
  SigningKeyFlags signing;
};

const char* format_name(image::OutputFormat f) {
  switch (f) {
    case image::OutputFormat::Oci: return "oci";
    case image::OutputFormat::OciArchive: return "oci-archive";
    case image::OutputFormat::DockerArchive: return "docker-archive";
  }
  return "oci";
}

// The layer's progress: a redrawn line on a terminal outside CI (CI set, as
// every CI system does); with -v also in CI, and as plain log lines when
// stderr is not a terminal; never with -q.
std::optional<util::ProgressStyle> progress_style(const char* ci_env) {
  if (util::log_level() == util::LogLevel::Quiet) return std::nullopt;
  bool verbose = util::log_level() == util::LogLevel::Verbose;
  bool in_ci = ci_env && *ci_env && std::string_view(ci_env) != "false" && std::string_view(ci_env) != "0";
  if (util::stderr_is_tty()) {
    if (!in_ci || verbose) return util::ProgressStyle::Redraw;
    return std::nullopt;
  }
  if (verbose) return util::ProgressStyle::Lines;
  return std::nullopt;
}

// What the layer streaming did, on stderr; the number of layers it uploaded.
// A stream that did not work costs nothing but time: the push uploads the blob.
unsigned report_streamed(const std::vector<registry::StreamOutcome>& outcomes) {
  unsigned uploaded = 0;
  for (const auto& o : outcomes) {
    if (o.uploaded) {
      ++uploaded;
      util::debug("layer " + o.digest + " streamed during the build (" + util::human_size(o.sent_before_close) + " of " +
                  util::human_size(o.size) + " sent before it was finished)");
    } else {
      util::info("streaming the layer to the registry during the build did not work (" + o.error +
                 "); the push uploads it now");
    }
  }
  return uploaded;
}

// Archives are pushed from a layout unpacked next to nothing: a private temp dir.
registry::PushResult push(const BuildFlags& flags, const pipeline::BuildResult& built, const std::string& reference) {
  registry::RegistryOptions options = flags.registry_options;
  if (flags.format == image::OutputFormat::Oci)
    return registry::push_layout(built.layout, built.ref_name, reference, options);
  util::TempDir tmp("slimbuild-push");
  image::archive_to_layout(built.layout, tmp.path() / "layout");
  return registry::push_layout(tmp.path() / "layout", std::nullopt, reference, options);
}

int run_build(BuildFlags& flags) {
  manifest::Manifest loaded = manifest::load_manifest(flags.manifest);
  pipeline::BuildOptions options;
  options.output = flags.output;
  options.source_date_epoch = flags.source_date_epoch;
  if (!flags.tag.empty()) options.tag = flags.tag;
  options.format = flags.format;
  options.require_clean = flags.require_clean;
  if (!flags.sbom.empty()) options.sbom_file = flags.sbom;
  options.sbom_format = provenance::parse_sbom_format(flags.sbom_format).value_or(provenance::SbomFormat::Spdx);
  if (!flags.compression.empty()) options.compression = layer::parse_compression(flags.compression);
  options.threads = flags.threads;
  // The cache is on unless --no-cache or SLIMBUILD_NO_CACHE=1 (the tests set it).
  const util::Environment& env = util::environment();  // the snapshot cli::run took
  if (!flags.no_cache && env.value("SLIMBUILD_NO_CACHE") != "1")
    options.cache_dir = flags.cache_dir.empty() ? layer::default_cache_dir() : std::filesystem::path(flags.cache_dir);
  if (!flags.platform.empty()) options.platform = flags.platform;
  std::optional<util::TerminalProgress> progress;
  const std::optional<std::string> ci = env.value("CI");
  if (auto style = progress_style(ci ? ci->c_str() : nullptr)) options.progress = &progress.emplace("layer", *style);
  // Usage problems with --push fail before the (slow) build, not after it.
  std::optional<registry::BlobStreamer> streamer;
  if (flags.push) {
    std::optional<std::string> destination = options.tag ? options.tag : loaded.image;
    if (!destination)
      throw Error("--push needs a destination: the manifest has no image: and no --tag was given",
                  "set image: in the manifest or pass --tag REF", kExitUsage);
    if (auto ref = registry::parse_reference(*destination); !ref) throw ref.error();
    flags.registry_options = to_registry_options(flags.registry);  // reads --password-stdin once
    // Each layer goes to the registry while it is compressed; the push then
    // finds it there. SLIMBUILD_STREAM_PUSH=0 uploads after the build instead.
    if (env.value("SLIMBUILD_STREAM_PUSH") != "0") {
      try {
        options.layer_observer = &streamer.emplace(*destination, flags.registry_options);
      } catch (const std::system_error&) {  // no thread to upload on: the push after the build does it
        util::debug("no thread for streaming the layer; it is pushed after the build");
      }
    }
  }
  // --cache-ref: checked before building even when the cache is off.
  if (!flags.cache_ref.empty()) {
    auto cache_ref = registry::parse_cache_ref(flags.cache_ref);
    if (!cache_ref) throw cache_ref.error();
    if (options.cache_dir) {
      options.cache_ref = flags.cache_ref;
      options.cache_registry = flags.push ? flags.registry_options : to_registry_options(flags.registry);
      // --username/--password-stdin are for the push destination; a cache on
      // another registry must not receive them (it still gets that
      // registry's own credential store entries and helpers).
      if (flags.push) {
        auto destination = registry::parse_reference(options.tag ? *options.tag : *loaded.image);
        if (destination->registry != cache_ref->registry) {
          options.cache_registry.username.reset();
          options.cache_registry.password.reset();
        }
      }
      // Cache transfers are not the user's push: their per-blob lines only
      // with -v; and a registry that is down should not hold the build up
      // for a whole series of backoffs (one retry).
      options.cache_registry.progress = util::log_level() == util::LogLevel::Verbose;
      options.cache_registry.max_attempts = 2;
    }
  }
  // A key that cannot sign fails here, before anything is built.
  if (!flags.signing.key.empty())
    options.signing_key = std::make_shared<const sign::PrivateKey>(load_signing_key(flags.signing, flags.registry.password_stdin));

  pipeline::BuildResult built = pipeline::build_image(loaded, options);
  if (built.image_manifest.media_type == image::kMediaTypeIndex) {
    util::info("built " + built.layout.string() + " (" + format_name(flags.format) + ", ref " + built.ref_name +
               "): image index of " + std::to_string(built.platforms.size()) + " platforms");
    for (const auto& p : built.platforms)
      util::info("  " + p.platform + ": " + std::to_string(p.file_count) + " files, layer " + util::human_size(p.layer_size) +
                 " " + p.layer_digest + ", image " + p.manifest.digest);
  } else {
    util::info("built " + built.layout.string() + " (" + format_name(flags.format) + ", ref " + built.ref_name +
               "): " + std::to_string(built.file_count) + " files, layer " + util::human_size(built.layer_size) + " " +
               built.layer_digest +
               (built.layer_cache == "registry" ? " (from the registry cache)"
                : built.layer_from_cache        ? " (from the cache)"
                                                : ""));
  }

  std::optional<registry::PushResult> pushed;
  unsigned streamed = 0;
  if (flags.push) {
    try {
      util::StageTimer timer;
      if (streamer) streamed = report_streamed(streamer->wait());
      pushed = push(flags, built, *built.reference);
      timer.mark("push");
    } catch (const Error& e) {
      // The build itself succeeded and is kept: say so, and how to finish.
      std::string hint = e.hint().empty() ? "" : e.hint() + "; ";
      hint += "the image was built and kept at " + built.layout.string();
      if (flags.format == image::OutputFormat::Oci)
        hint += ": push it again with `slimbuild push " + built.layout.string() + " " + *built.reference + "`";
      throw Error(e.what(), hint, e.exit_code());
    }
    util::info("pushed " + pushed->reference);
  }

  if (flags.json) {
    nlohmann::json j{{"digest", built.image_manifest.digest},
                     {"layout", built.layout.string()},
                     {"format", format_name(flags.format)},
                     {"ref_name", built.ref_name},
                     {"config_digest", built.config_digest},
                     {"layer_digest", built.layer_digest},
                     {"diff_id", built.diff_id},
                     {"layer_size", built.layer_size},
                     {"file_count", built.file_count},
                     {"sbom_digest", built.sbom_digest},
                     {"cyclonedx_digest", built.cyclonedx_digest},
                     {"layer_from_cache", built.layer_from_cache},
                     {"layer_cache", built.layer_cache.empty() ? nlohmann::json() : nlohmann::json(built.layer_cache)}};
    if (built.image_manifest.media_type == image::kMediaTypeIndex) {
      j["media_type"] = image::kMediaTypeIndex;
      j["platforms"] = nlohmann::json::array();
      for (const auto& p : built.platforms)
        j["platforms"].push_back({{"platform", p.platform},
                                  {"digest", p.manifest.digest},
                                  {"config_digest", p.config_digest},
                                  {"layer_digest", p.layer_digest},
                                  {"diff_id", p.diff_id},
                                  {"layer_size", p.layer_size},
                                  {"file_count", p.file_count},
                                  {"sbom_digest", p.sbom_digest},
                                  {"cyclonedx_digest", p.cyclonedx_digest},
                                  {"layer_cache", p.layer_cache.empty() ? nlohmann::json() : nlohmann::json(p.layer_cache)}});
    }
    if (!built.signature_digest.empty()) j["signature_digest"] = built.signature_digest;
    if (pushed) {
      nlohmann::json blobs = nlohmann::json::array();
      for (const auto& b : pushed->blobs) blobs.push_back({{"digest", b.digest}, {"size", b.size}, {"action", b.action}});
      j["pushed"] = {{"reference", pushed->reference}, {"digest", pushed->manifest_digest}, {"blobs", blobs},
                     {"layers_streamed", streamed}};
    }
    std::cout << j.dump() << "\n";
  } else {
    std::cout << built.image_manifest.digest << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_build_command(CLI::App& root) {
  auto flags = std::make_shared<BuildFlags>();
  Command c;
  c.app = root.add_subcommand("build", "Build an OCI image from a manifest (also: `slimbuild MANIFEST`)");
  c.app->add_option("manifest", flags->manifest, "The YAML manifest")->required();
  c.app->add_option("-o,--output", flags->output,
                    "Write the image here (default: ./out/<name>, or ./out/<name>.tar for archives); "
                    "replaced atomically, nothing left on failure");
  c.app->add_flag("--push", flags->push, "Also push to the manifest's image: (or --tag)");
  c.app->add_option("--tag", flags->tag, "Push reference overriding image:, e.g. registry.example.com/team/app:1.2");
  c.app->add_flag("--json", flags->json, "Print one JSON summary on stdout (its \"digest\" field) instead of the digest line");
  std::map<std::string, image::OutputFormat> formats{{"oci", image::OutputFormat::Oci},
                                                     {"oci-archive", image::OutputFormat::OciArchive},
                                                     {"docker-archive", image::OutputFormat::DockerArchive}};
  // A string checked against the names, so help and errors show the names
  // users type rather than CLI11's enum mapping.
  c.app->add_option_function<std::string>(
          "--format", [flags, formats](const std::string& v) { flags->format = formats.at(v); },
          "oci (layout directory, default), oci-archive or docker-archive")
      ->check(CLI::IsMember({"oci", "oci-archive", "docker-archive"}).description(""))
      ->type_name("oci|oci-archive|docker-archive");
  c.app->add_option("--sbom", flags->sbom, "Also write the SBOM (SPDX 2.3 JSON, or see --sbom-format) to this file");
  c.app->add_option("--sbom-format", flags->sbom_format, "What --sbom writes: spdx (SPDX 2.3) or cyclonedx (CycloneDX 1.5)")
      ->check(CLI::IsMember({"spdx", "cyclonedx"}));
  c.app->add_flag("--require-clean", flags->require_clean, "Fail if any input is not committed to git (the binary may be a git-ignored build output)");
  c.app->add_option("--source-date-epoch", flags->source_date_epoch,
                    "Timestamp for the image (default: $SOURCE_DATE_EPOCH, else the git commit time, else 0)")
      ->check(CLI::NonNegativeNumber);
  c.app->add_option("--compression", flags->compression,
                    "gzip or zstd, optionally with a level (gzip:9, zstd:19); overrides the manifest's compression:")
      ->type_name("ALGO[:LEVEL]");
  c.app->add_option("--threads", flags->threads, "Compression threads (default: every core); never changes the bytes")
      ->check(CLI::Range(1u, layer::kMaxThreads));
  c.app->add_option("--cache-dir", flags->cache_dir,
                    "The layer cache (default: $XDG_CACHE_HOME/slimbuild, else ~/.cache/slimbuild)");
  c.app->add_flag("--no-cache", flags->no_cache, "Neither use nor fill the layer cache (local or --cache-ref)");
  c.app->add_option("--cache-ref", flags->cache_ref,
                    "Also keep the layer cache in this registry repository (REGISTRY/REPO, no tag), shared by "
                    "every runner; reached with the registry flags below")
      ->type_name("REGISTRY/REPO");
  c.app->add_option("--platform", flags->platform,
                    "Build only this platforms: entry (e.g. linux/arm64), as a single image");
  add_signing_key_flags(c.app, flags->signing, "--sign-key", false);
  add_registry_flags(c.app, flags->registry);
  c.run = [flags]() { return run_build(*flags); };
  return c;
}

}  // namespace slimbuild::cli
