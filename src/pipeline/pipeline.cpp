// build_image: the pipeline as a short list of stage calls, like
// rootfs/assemble.cpp. Everything is written into a LayoutWriter (an
// AtomicDir beside the output) or a private TempDir, so a failure at any step
// leaves nothing at `output`; the output appears, whole, only at the final
// commit. What a stage returns is passed on in memory, never read back from
// disk.
#include <slimbuild/pipeline/pipeline.hpp>

#include <fstream>
#include <future>
#include <optional>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include "pipeline/image_config.hpp"
#include <slimbuild/provenance/dpkg_db.hpp>
#include <slimbuild/provenance/dpkg_records.hpp>
#include <slimbuild/provenance/file_hashes.hpp>
#include <slimbuild/provenance/git.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/sign/bundle.hpp>
#include <slimbuild/sign/image_signing.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/trace/platform.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/process.hpp>
#include <slimbuild/util/stage_timer.hpp>
#include <slimbuild/util/threads.hpp>

#include "pipeline/cached_layer.hpp"

namespace slimbuild::pipeline {

namespace {

// POSIX tar headers carry "ustar" at offset 257.
bool looks_like_tar(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char header[262] = {};
  return in.read(header, sizeof header) && std::string_view(header + 257, 5) == "ustar";
}

// AtomicDir replaces whatever is at the target. That is right for an old
// layout, and a disaster for `-o .` or `-o src/`: refuse anything else.
void check_output(const fs::path& output, image::OutputFormat format) {
  std::error_code ec;
  auto st = fs::symlink_status(output, ec);
  if (ec || !fs::exists(st)) return;
  if (format != image::OutputFormat::Oci) {
    if (fs::is_directory(st))
      throw Error("output " + output.string() + " is a directory, but the archive format writes a file",
                  "pass a file name with -o, e.g. -o image.tar");
    if (!fs::is_regular_file(st) || !(fs::file_size(output, ec) == 0 || looks_like_tar(output)))
      throw Error("refusing to replace " + output.string() + ": it exists and is not a tar archive",
                  "choose another -o file, or remove it first");
    return;
  }
  if (!fs::is_directory(st))
    throw Error("refusing to replace " + output.string() + ": it exists and is not an OCI image layout",
                "choose another -o directory, or remove it first");
  image::check_replaceable_layout(output);
}

void check_clean(const manifest::Manifest& m, util::ProcessRunner& runner) {
  // The binary may be a git-ignored build output of the commit; every other
  // input must be committed content.
  std::vector<fs::path> inputs{m.file};
  for (const auto& f : m.files) inputs.push_back(f.src);
  if (m.ca_certificates.enabled && !m.ca_certificates.bundle.empty()) inputs.push_back(m.ca_certificates.bundle);
  auto dirty = provenance::uncommitted_inputs(inputs, {m.binary.path}, runner);
  if (dirty.empty()) return;
  std::string list;
  for (const auto& d : dirty) list += "\n  " + d;
  throw Error("--require-clean: these build inputs are not committed:" + list,
              "commit them (or build without --require-clean)");
}

uint64_t count_files(const rootfs::Rootfs& rootfs) {
  uint64_t n = 0;
  for (const auto& [path, e] : rootfs.entries())
    if (e.type == rootfs::EntryType::File) ++n;
  return n;
}

fs::path default_output(const manifest::Manifest& m, image::OutputFormat format) {
  return fs::path("out") / (format == image::OutputFormat::Oci ? m.name : m.name + ".tar");
}

trace::TraceResult trace_manifest_binary(const manifest::Manifest& m, trace::ElfMemo* memo) {
  trace::TraceOptions options;
  options.elf_memo = memo;
  options.sysroot = m.sysroot;
  options.extra_libraries = m.libraries;
  options.binary_image_path = m.binary.dest;
  return trace::trace_binary(m.binary.path, options);
}

int64_t source_date_epoch(const BuildOptions& options, const std::optional<provenance::GitInfo>& git) {
  int64_t epoch = options.source_date_epoch ? *options.source_date_epoch : provenance::resolve_source_date_epoch(git);
  if (epoch < 0) throw Error("source date epoch " + std::to_string(epoch) + " is negative");
  return epoch;
}

provenance::SbomDocuments sboms(const manifest::Manifest& m, const std::optional<std::string>& reference,
                                const trace::TraceResult& traced, const rootfs::Rootfs& rootfs,
                                const std::map<std::string, std::string>* file_sha256, const provenance::DpkgDb& dpkg,
                                int64_t epoch) {
  provenance::SbomInput input;
  input.dpkg = &dpkg;
  input.name = m.name;
  input.image_reference = reference.value_or("");
  input.sysroot = m.sysroot;
  input.created = epoch;
  input.binary_build_id = traced.binary.elf.build_id;
  input.file_sha256 = file_sha256;
  return provenance::sbom_documents(rootfs, input);
}

struct SbomBeside {
  provenance::FileHashes hashes;
  provenance::SbomDocuments docs;
};

// The provenance facts of the image just written, signed into a bundle that
// becomes one more referrer (see sign/image_signing.hpp).
image::Descriptor add_signature(image::LayoutWriter& writer, const BuildResult& result, const manifest::Manifest& m,
                                const sign::PrivateKey& key, const image::ImageConfigSpec& config,
                                const std::map<std::string, std::string>& annotations, const std::string& sbom,
                                const std::optional<provenance::GitInfo>& git, int64_t epoch) {
  sign::ImageFacts facts;
  facts.name = m.name;
  if (result.reference)
    if (auto ref = registry::parse_reference(*result.reference)) facts.name = ref->name();
  facts.manifest = result.image_manifest;
  facts.annotations = annotations;
  facts.platforms = {config.os + "/" + config.architecture + (config.variant.empty() ? "" : "/" + config.variant)};
  facts.created = epoch;
  facts.sbom = nlohmann::json::parse(sbom);
  std::error_code ec;
  fs::path file = fs::absolute(m.file, ec).lexically_normal();
  facts.manifest_path = git ? file.lexically_relative(git->top_level).generic_string() : file.filename().string();
  facts.builder_version = SLIMBUILD_VERSION;
  return writer.add_referrer(result.image_manifest, sign::kBundleMediaType, sign::signed_bundle(facts, key),
                             sign::kBundleMediaType, sign::bundle_annotations(facts));
}

// The name loaders give the image: the push reference without a digest
// (":latest" when it has no tag), else "<manifest name>:<ref name>". The
// docker-archive's RepoTags and the layout's io.containerd.image.name.
std::string image_name(const BuildResult& result, const manifest::Manifest& m, bool has_tag) {
  if (!result.reference) return m.name + ":" + result.ref_name;
  return result.reference->substr(0, result.reference->find('@')) + (has_tag ? "" : ":latest");
}

// An archive is made from the complete layout in the private directory.
void write_archive(const fs::path& layout_dir, const BuildResult& result, const std::string& name,
                   image::OutputFormat format, int64_t epoch) {
  if (format == image::OutputFormat::OciArchive)
    image::write_oci_archive(layout_dir, result.layout, epoch);
  else if (format == image::OutputFormat::DockerArchive)
    image::write_docker_archive(layout_dir, result.ref_name, {name}, result.layout, epoch);
}

std::string platform_list(const std::vector<manifest::Manifest>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + (p.platform ? p.platform->str() : std::string("?"));
  return out;
}

// The manifests to build: each platforms: entry (or the one --platform
// names), or the manifest itself.
std::vector<manifest::Manifest> platform_parts(const manifest::Manifest& m, const std::optional<std::string>& wanted) {
  std::optional<manifest::PlatformName> want;
  if (wanted) {
    auto parsed = manifest::parse_platform(*wanted);
    if (!parsed) throw Error("--platform " + parsed.error(), "e.g. --platform linux/arm64", kExitUsage);
    want = *parsed;
  }
  if (m.platforms.empty()) {
    manifest::Manifest single = m;
    single.platform = want;  // checked against the binary like an entry's platform
    return {single};
  }
  std::vector<manifest::Manifest> parts;
  for (const auto& entry : m.platforms) {
    const auto& p = entry.platform;
    if (want && !(p.os == want->os && p.architecture == want->architecture &&
                  (want->variant.empty() || p.variant.empty() || p.variant == want->variant)))
      continue;
    parts.push_back(manifest::for_platform(m, entry));
  }
  if (parts.empty()) {
    std::string have;
    for (const auto& entry : m.platforms) have += (have.empty() ? "" : ", ") + entry.platform.str();
    throw Error(m.file.string() + " has no " + want->str() + " entry (it has " + have + ")",
                "pass one of its platforms to --platform, or leave --platform out", kExitUsage);
  }
  return parts;
}

// A platforms: entry's binary must be for that platform: a linux/arm64
// image holding an x86-64 program would only fail when it is run.
void check_platform(const manifest::Manifest& part, const trace::TraceResult& traced) {
  if (!part.platform) return;
  const trace::ElfInfo& elf = traced.binary.elf;
  std::string actual;
  bool ok = false;
  try {
    trace::Platform p = trace::oci_platform(elf);
    actual = "linux/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
    ok = p.architecture == part.platform->architecture &&
         (part.platform->variant.empty() || part.platform->variant == p.variant);
  } catch (const Error&) {
    actual = "no OCI platform";
  }
  if (ok) return;
  std::string what = part.platform_where.line ? part.platform_where.str() + ": platform " : "--platform ";
  throw Error(what + part.platform->str() + " does not match " + part.binary.path.string() + ", a " +
                  trace::describe_abi(elf) + " binary (" + actual + ")",
              "build the binary for " + part.platform->str() + ", or correct the platform");
}

}  // namespace

namespace {

// One attempt; throws CacheEntryRejected if a served cache entry turns out bad.
BuildResult build_image_once(const manifest::Manifest& m, const BuildOptions& options) {
  // One single-image manifest per platform; an index over them unless the
  // manifest is a plain one or --platform picked one entry.
  std::vector<manifest::Manifest> parts = platform_parts(m, options.platform);
  const bool index = !m.platforms.empty() && !options.platform;
  util::ProcessRunner& runner = options.runner ? *options.runner : util::real_process_runner();
  // Refuse what would fail late or destroy something, before any work.
  if (options.require_clean)
    for (const auto& part : parts) check_clean(part, runner);
  if (index && options.format == image::OutputFormat::DockerArchive)
    throw Error("docker-archive holds one image per tag, and " + m.file.string() + " builds an image index (" +
                    platform_list(parts) + ")",
                "build one platform with --platform " + parts.back().platform->str() +
                    ", or use --format oci or oci-archive",
                kExitUsage);
  if (index && options.sbom_file)
    throw Error("--sbom writes one SBOM, and " + m.file.string() + " builds one image per platform (" +
                    platform_list(parts) + ")",
                "add --platform to write that image's SBOM; every image carries its own SBOM referrer in the layout",
                kExitUsage);
  BuildResult result;
  result.layout = options.output.empty() ? default_output(m, options.format) : options.output;
  check_output(result.layout, options.format);
  result.reference = options.tag ? options.tag : m.image;
  std::optional<std::string> tag = result.reference ? reference_tag(*result.reference) : std::nullopt;
  result.ref_name = tag.value_or("latest");
  std::optional<provenance::GitInfo> git = provenance::git_info(m.dir, runner);
  int64_t epoch = source_date_epoch(options, git);

  std::optional<util::TempDir> staging;
  if (options.format != image::OutputFormat::Oci) staging.emplace("slimbuild-build");
  fs::path layout_dir = staging ? staging->path() / "layout" : result.layout;
  image::LayoutWriter writer(layout_dir);
  // --tag only says where to push: it names the layout entry but must not
  // change the image, so `verify` without it reproduces the same digest.
  std::optional<std::string> manifest_tag = m.image ? reference_tag(*m.image) : std::nullopt;
  const auto standard = standard_annotations(m, git, manifest_tag, epoch);  // also the config's labels
  // The manifest's own annotations: on the OCI manifests only, over the standard ones.
  auto annotations = standard;
  for (const auto& [k, v] : m.annotations) annotations[k] = v;
  const std::string full_name = image_name(result, m, tag.has_value());

  LayerCacheSettings cache_settings{options.cache_dir, options.cache_ref, options.cache_registry,
                                    registry::MountCache::default_path()};
  CachedLayers caches(cache_settings);
  util::StageTimer timer;
  std::optional<util::AtomicFile> sbom_out;
  std::vector<image::Descriptor> images;
  for (const auto& part : parts) {
    // The cached layer this manifest and platform last used starts its
    // check now, beside the trace.
    std::error_code ec;
    caches.expect(fs::absolute(part.file, ec).lexically_normal().string() + "\n" +
                  (part.platform ? part.platform->str() : std::string()));
    // What the loader needs, then the file system.
    trace::TraceResult traced = trace_manifest_binary(part, caches.elf_memo());
    check_platform(part, traced);
    timer.mark("trace");
    rootfs::Rootfs rootfs = rootfs::assemble_rootfs(part, traced, caches.secret_memo());
    // The sysroot's dpkg database, read once and only for the image's paths:
    // the image's own dpkg records (what scanners read; they go into the
    // layer, so the database is needed first) and the SBOMs attribute files
    // by the same rule. Without records its reading overlaps the layer.
    auto load_dpkg = [&rootfs, &part] {
      return provenance::DpkgDb::load(part.sysroot, provenance::owner_lookup_paths(rootfs, part.sysroot));
    };
    std::optional<provenance::DpkgDb> dpkg_now;
    std::future<provenance::DpkgDb> dpkg_later;
    if (part.scanner_metadata)
      provenance::add_dpkg_records(rootfs, dpkg_now.emplace(load_dpkg()), part.sysroot);
    else
      dpkg_later = util::async_or_deferred(load_dpkg);
    timer.mark("rootfs");

    // The SBOMs need each file's SHA-256 (provenance/file_hashes.hpp). When
    // the layer is built and the files not in memory are few (a tree of
    // small files the walk held, next to the binary and its libraries), the
    // SBOMs hash them on their own and are written beside the layer: on a
    // tree of 50,000 files they cost as much as the layer. Otherwise, and on
    // a cache hit, they take the layer's hashes: no file is read twice.
    std::future<SbomBeside> sbom_beside;
    auto write_sboms_beside = [&, reference = result.reference] {
      if (!provenance::worth_hashing_beside_layer(rootfs)) return;
      sbom_beside = util::async_or_deferred([&, reference] {
        const provenance::DpkgDb& dpkg = dpkg_now ? *dpkg_now : dpkg_now.emplace(dpkg_later.get());
        SbomBeside out{provenance::hash_files(rootfs), {}};
        out.docs = sboms(part, reference, traced, rootfs, &out.hashes, dpkg, epoch);
        return out;
      });
    };

    // The bytes.
    layer::LayerOptions layer_options;
    layer_options.mtime = epoch;
    layer_options.compression = options.compression.value_or(manifest_compression(part.compression));
    layer_options.compression.threads = options.threads;
    layer_options.progress = options.progress;
    layer_options.observer = options.layer_observer;
    CacheTier tier = CacheTier::None;
    layer::LayerResult layer = caches.put(writer, rootfs, layer_options, tier, write_sboms_beside);
    const bool from_cache = tier != CacheTier::None;
    result.layer_from_cache = (images.empty() || result.layer_from_cache) && from_cache;
    if (tier == CacheTier::Registry || result.layer_cache.empty()) result.layer_cache = tier_name(tier);
    timer.mark(tier == CacheTier::Registry ? "layer (from the registry cache)"
               : from_cache                ? "layer (from the cache)"
                                           : "layer");
    image::ImageConfigSpec config = make_image_config(part, traced, standard, epoch);
    image::WrittenImage written = index ? writer.put_image(config, layer, annotations)
                                        : writer.write_image(config, layer, annotations, result.ref_name, full_name);
    image::Descriptor subject = written.manifest;
    subject.platform = nullptr;

    // The SBOMs travel with each image as OCI 1.1 referrers, SPDX and CycloneDX.
    std::string sbom, sbom_file, spdx_digest, cyclonedx_digest;
    const bool overlapped = sbom_beside.valid();
    provenance::SbomDocuments docs;
    if (overlapped) {
      SbomBeside beside = sbom_beside.get();
      provenance::check_same_hashes(beside.hashes, layer.file_sha256);
      docs = std::move(beside.docs);
    } else {
      docs = sboms(part, result.reference, traced, rootfs, &layer.file_sha256,
                   dpkg_now ? *dpkg_now : dpkg_now.emplace(dpkg_later.get()), epoch);
    }
    for (auto format : {provenance::SbomFormat::Spdx, provenance::SbomFormat::CycloneDx}) {
      std::string doc = std::move(format == provenance::SbomFormat::Spdx ? docs.spdx : docs.cyclonedx);
      const char* type = provenance::media_type(format);
      std::string digest =
          writer.add_referrer(subject, type, doc, type, {{"org.opencontainers.image.created", image::rfc3339(epoch)}})
              .digest;
      (format == provenance::SbomFormat::Spdx ? spdx_digest : cyclonedx_digest) = digest;
      if (format == options.sbom_format) sbom_file = doc;
      if (format == provenance::SbomFormat::Spdx) sbom = std::move(doc);
    }
    timer.mark(overlapped ? "sbom (written beside the layer; waited)" : "sbom");

    // A signed provenance statement, when asked: one more referrer.
    if (options.signing_key) {
      BuildResult one = result;
      one.image_manifest = subject;
      result.signature_digest =
          add_signature(writer, one, part, *options.signing_key, config, annotations, sbom, git, epoch).digest;
    }
    // --sbom is staged before anything is committed, so a bad path fails the
    // build with nothing written; it is renamed into place last.
    if (options.sbom_file) {
      sbom_out.emplace(*options.sbom_file);
      sbom_out->write(sbom_file);
    }
    images.push_back(written.manifest);
    result.platforms.push_back({image::platform_name(written.manifest.platform), written.manifest, layer.digest,
                                layer.diff_id, layer.size, count_files(rootfs), spdx_digest, cyclonedx_digest,
                                written.config.digest, tier_name(tier)});
  }
  result.image_manifest = index ? writer.add_index(images, annotations, result.ref_name, full_name) : images.front();
  const PlatformImage& first = result.platforms.front();
  result.layer_digest = first.layer_digest;
  result.diff_id = first.diff_id;
  result.layer_size = first.layer_size;
  result.file_count = first.file_count;
  result.sbom_digest = index ? "" : first.sbom_digest;
  result.cyclonedx_digest = index ? "" : first.cyclonedx_digest;
  result.config_digest = index ? "" : first.config_digest;
  if (index) result.signature_digest.clear();
  if (!result.layer_from_cache) result.layer_cache.clear();
  caches.save_memos();
  // A cached layer is served only once its blob is checked.
  if (!caches.confirm()) throw CacheEntryRejected();

  writer.commit();
  if (staging) write_archive(layout_dir, result, full_name, options.format, epoch);
  if (sbom_out) sbom_out->commit();
  timer.mark("write");
  return result;
}

}  // namespace

BuildResult build_image(const manifest::Manifest& m, const BuildOptions& options) {
  try {
    return build_image_once(m, options);
  } catch (const CacheEntryRejected&) {
    // Nothing was committed; the bad entry is gone, so this run builds the layer.
    return build_image_once(m, options);
  }
}

}  // namespace slimbuild::pipeline
