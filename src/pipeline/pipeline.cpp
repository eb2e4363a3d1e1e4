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

#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/pipeline/cached_layer.hpp>
#include <slimbuild/pipeline/image_config.hpp>
#include <slimbuild/provenance/git.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/sign/bundle.hpp>
#include <slimbuild/sign/image_signing.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/stage_timer.hpp>

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
  bool empty_dir = fs::is_directory(st) && fs::is_empty(output, ec);
  if (!empty_dir && !fs::exists(output / "oci-layout", ec))
    throw Error("refusing to replace " + output.string() + ": it exists and is not an OCI image layout",
                "choose another -o directory, or remove it first");
}

void check_clean(const manifest::Manifest& m) {
  std::vector<fs::path> inputs{m.file, m.binary.path};
  for (const auto& f : m.files) inputs.push_back(f.src);
  if (m.ca_certificates.enabled && !m.ca_certificates.bundle.empty()) inputs.push_back(m.ca_certificates.bundle);
  auto dirty = provenance::uncommitted_inputs(inputs);
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

trace::TraceResult trace_manifest_binary(const manifest::Manifest& m) {
  trace::TraceOptions options;
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

std::string sbom_json(const manifest::Manifest& m, const std::optional<std::string>& reference,
                      const trace::TraceResult& traced, const rootfs::Rootfs& rootfs, const layer::LayerResult& layer,
                      int64_t epoch, const provenance::DpkgDb& dpkg) {
  provenance::SbomInput input;
  input.dpkg = &dpkg;
  input.name = m.name;
  input.image_reference = reference.value_or("");
  input.sysroot = m.sysroot;
  input.created = epoch;
  input.binary_build_id = traced.binary.elf.build_id;
  input.file_sha256 = layer.file_sha256;
  return util::canonical_json(provenance::make_spdx(rootfs, input));
}

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

// An archive is made from the complete layout in the private directory.
void write_archive(const fs::path& layout_dir, const BuildResult& result, const manifest::Manifest& m,
                   image::OutputFormat format, bool has_tag, int64_t epoch) {
  if (format == image::OutputFormat::OciArchive) {
    image::write_oci_archive(layout_dir, result.layout, epoch);
  } else if (format == image::OutputFormat::DockerArchive) {
    std::vector<std::string> repo_tags;
    if (result.reference) repo_tags.push_back(result.reference->substr(0, result.reference->find('@')));
    if (!repo_tags.empty() && !has_tag) repo_tags.back() += ":latest";
    if (repo_tags.empty()) repo_tags.push_back(m.name + ":" + result.ref_name);
    image::write_docker_archive(layout_dir, result.ref_name, repo_tags, result.layout, epoch);
  }
}

}  // namespace

BuildResult build_image(const manifest::Manifest& m, const BuildOptions& options) {
  // Refuse what would fail late or destroy something, before any work.
  if (options.require_clean) check_clean(m);
  BuildResult result;
  result.layout = options.output.empty() ? default_output(m, options.format) : options.output;
  check_output(result.layout, options.format);
  result.reference = options.tag ? options.tag : m.image;
  std::optional<std::string> tag = result.reference ? reference_tag(*result.reference) : std::nullopt;
  result.ref_name = tag.value_or("latest");

  // What the loader needs, then the file system.
  util::StageTimer timer;
  trace::TraceResult traced = trace_manifest_binary(m);
  timer.mark("trace");
  rootfs::Rootfs rootfs = rootfs::assemble_rootfs(m, traced);
  result.file_count = count_files(rootfs);
  timer.mark("rootfs");
  // The SBOM's dpkg lookups run on their own thread while the layer is written.
  std::future<provenance::DpkgDb> dpkg = std::async(std::launch::async, [&rootfs, &m] {
    return provenance::DpkgDb::load(m.sysroot, provenance::dpkg_lookup_paths(rootfs, m.sysroot));
  });
  std::optional<provenance::GitInfo> git = provenance::git_info(m.dir);
  int64_t epoch = source_date_epoch(options, git);

  // The bytes: archives are made from a complete layout in a private directory.
  std::optional<util::TempDir> staging;
  if (options.format != image::OutputFormat::Oci) staging.emplace("slimbuild-build");
  fs::path layout_dir = staging ? staging->path() / "layout" : result.layout;
  image::LayoutWriter writer(layout_dir);
  layer::LayerOptions layer_options;
  layer_options.mtime = epoch;
  layer_options.compression = options.compression.value_or(manifest_compression(m.compression));
  layer_options.compression.threads = options.threads;
  layer::LayerResult layer = put_layer_cached(writer, rootfs, layer_options, options.cache_dir,
                                              result.layer_from_cache);
  result.layer_digest = layer.digest;
  result.diff_id = layer.diff_id;
  result.layer_size = layer.size;
  timer.mark(result.layer_from_cache ? "layer (from the cache)" : "layer");

  // Config and manifest. --tag only says where to push: it names the layout
  // entry but must not change the image, so `verify` without it reproduces
  // the same digest.
  std::optional<std::string> manifest_tag = m.image ? reference_tag(*m.image) : std::nullopt;
  auto annotations = standard_annotations(m, git, manifest_tag, epoch);
  image::ImageConfigSpec config = make_image_config(m, traced, annotations, epoch);
  image::WrittenImage written = writer.write_image(config, layer, annotations, result.ref_name);
  result.image_manifest = written.manifest;
  result.config_digest = written.config.digest;

  // The SBOM travels with the image as an OCI 1.1 referrer.
  provenance::DpkgDb dpkg_db = dpkg.get();
  std::string sbom = sbom_json(m, result.reference, traced, rootfs, layer, epoch, dpkg_db);
  result.sbom_digest = writer
                           .add_referrer(result.image_manifest, provenance::kSpdxMediaType, sbom,
                                         provenance::kSpdxMediaType,
                                         {{"org.opencontainers.image.created", image::rfc3339(epoch)}})
                           .digest;
  timer.mark("sbom");

  // A signed provenance statement, when asked: one more referrer.
  if (options.signing_key)
    result.signature_digest =
        add_signature(writer, result, m, *options.signing_key, config, annotations, sbom, git, epoch).digest;

  // --sbom is staged before anything is committed, so a bad path fails the
  // build with nothing written; it is renamed into place last.
  std::optional<util::AtomicFile> sbom_out;
  if (options.sbom_file) {
    sbom_out.emplace(*options.sbom_file);
    sbom_out->write(sbom);
  }

  writer.commit();
  if (staging) write_archive(layout_dir, result, m, options.format, tag.has_value(), epoch);
  if (sbom_out) sbom_out->commit();
  timer.mark("write");
  return result;
}

}  // namespace slimbuild::pipeline
