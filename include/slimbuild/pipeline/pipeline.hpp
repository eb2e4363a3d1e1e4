// The build pipeline as one call: loaded manifest -> trace -> rootfs ->
// layer -> OCI layout (-> archive). `build` and `verify` both use it; the CLI
// loads the YAML manifest once, adds flags and output. Nothing is left at
// `output` unless the whole build succeeded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/image/layout.hpp>
#include <slimbuild/layer/compressor.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/registry/push.hpp>

namespace slimbuild::layer { class BlobObserver; }
namespace slimbuild::manifest { struct Manifest; }
namespace slimbuild::sign { class PrivateKey; }
namespace slimbuild::util { class ProcessRunner; class ProgressSink; }

namespace slimbuild::pipeline {

namespace fs = std::filesystem;

struct BuildOptions {
  fs::path output;                       // OCI layout directory (replaced atomically); "" = ./out/<name>
  std::optional<int64_t> source_date_epoch;  // explicit; otherwise SOURCE_DATE_EPOCH / git / 0
  std::optional<std::string> tag;        // overrides the manifest's image: for the ref name
  image::OutputFormat format = image::OutputFormat::Oci;  // oci dir, or an archive file at `output`
  bool require_clean = false;            // refuse uncommitted inputs (git)
  std::optional<fs::path> sbom_file;     // also write an SBOM here
  provenance::SbomFormat sbom_format = provenance::SbomFormat::Spdx;  // which one sbom_file gets
  std::optional<layer::Compression> compression;  // overrides the manifest's compression:
  unsigned threads = 0;                  // compression threads, 0 = every core; never changes the bytes
  std::optional<fs::path> cache_dir;     // the layer cache (layer_cache.hpp); none: no cache
  // With cache_dir: a registry repository (REGISTRY/REPO, no tag) as the
  // shared second tier (registry/cache_repository.hpp), reached with these
  // options; registry problems are warnings.
  std::optional<std::string> cache_ref;
  registry::RegistryOptions cache_registry;
  util::ProgressSink* progress = nullptr;  // the layer's progress line (the CLI decides); none: silent
  layer::BlobObserver* layer_observer = nullptr;  // told about each layer blob as it is written (build --push streams it)
  std::shared_ptr<const sign::PrivateKey> signing_key;  // also attach a signed provenance bundle
  // "linux/arm64": build only that entry of a platforms: manifest, as a
  // plain image (for a single-image manifest: check its binary is for it).
  std::optional<std::string> platform;
  // Runs git (commit, time, remote, --require-clean); none: util::real_process_runner().
  util::ProcessRunner* runner = nullptr;
};

// One platform's image (the only one, or one entry of the index).
struct PlatformImage {
  std::string platform;            // "linux/arm64/v8"
  image::Descriptor manifest;      // with its platform object
  std::string layer_digest;
  std::string diff_id;
  uint64_t layer_size = 0;
  uint64_t file_count = 0;
  std::string sbom_digest;          // SPDX referrer
  std::string cyclonedx_digest;     // CycloneDX referrer
  std::string config_digest;
  std::string layer_cache;          // "local" | "registry" when the layer came from that cache, else ""
};

struct BuildResult {
  fs::path layout;                 // == options.output
  std::string ref_name;            // org.opencontainers.image.ref.name in index.json
  std::optional<std::string> reference;  // --tag, else the manifest's image: (where --push goes)
  image::Descriptor image_manifest;  // the image manifest's (or, for platforms:, the image index's) descriptor (digest printed last)
  std::string config_digest;
  std::string layer_digest;        // gzip blob
  std::string diff_id;             // uncompressed tar
  uint64_t layer_size = 0;
  uint64_t file_count = 0;
  std::string sbom_digest;         // the SPDX referrer manifest, "" if none
  bool layer_from_cache = false;   // the layer came from the cache: nothing was compressed
  // With layer_from_cache: "registry" if any layer came from the registry
  // cache (--cache-ref), else "local"; "" otherwise.
  std::string layer_cache;
  std::string signature_digest;    // the signature bundle referrer manifest, "" if unsigned
  std::string cyclonedx_digest;    // the CycloneDX referrer manifest
  // Every image built, in manifest order; one for a single image. The
  // fields above describe the first (config and SBOM only for a single image).
  std::vector<PlatformImage> platforms;
};

// `manifest` is the YAML manifest as manifest::load_manifest returned it.
BuildResult build_image(const manifest::Manifest& manifest, const BuildOptions& options);

}  // namespace slimbuild::pipeline
