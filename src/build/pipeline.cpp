// build_image: the pipeline as a short list of stage calls. Everything is
// written into a LayoutWriter (an AtomicDir beside the output) or a private
// TempDir, so a failure at any step leaves nothing at `output`; the output
// appears, whole, only at the final commit.
#include <slimbuild/build/pipeline.hpp>

#include <future>
#include <optional>

#include <fstream>

#include <slimbuild/build/cached_layer.hpp>
#include <slimbuild/build/image_config.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/provenance/git.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/stage_timer.hpp>

namespace slimbuild::build {

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

}  // namespace

BuildResult build_image(const BuildOptions& options) {
  manifest::Manifest m = manifest::load_manifest(options.manifest);
  if (options.require_clean) check_clean(m);

  BuildResult result;
  result.layout = options.output.empty()
                      ? fs::path("out") / (options.format == image::OutputFormat::Oci ? m.name : m.name + ".tar")
                      : options.output;
  check_output(result.layout, options.format);

  std::optional<std::string> reference = options.tag ? options.tag : m.image;
  std::optional<std::string> tag = reference ? reference_tag(*reference) : std::nullopt;
  result.ref_name = tag.value_or("latest");
  result.reference = reference;

  // Stages: what the loader needs, then the file system, then the bytes.
  trace::TraceOptions trace_options;
  trace_options.sysroot = m.sysroot;
  trace_options.extra_libraries = m.libraries;
  trace_options.binary_image_path = m.binary.dest;
  util::StageTimer timer;
  trace::TraceResult traced = trace::trace_binary(m.binary.path, trace_options);
  timer.mark("trace");
  rootfs::Rootfs rootfs = rootfs::assemble_rootfs(m, traced);
  result.file_count = count_files(rootfs);
  timer.mark("rootfs");
  // The SBOM's dpkg lookups run on their own thread while the layer is written.
  std::future<provenance::DpkgDb> dpkg = std::async(std::launch::async, [&rootfs, &m] {
    return provenance::DpkgDb::load(m.sysroot, provenance::dpkg_lookup_paths(rootfs, m.sysroot));
  });

  std::optional<provenance::GitInfo> git = provenance::git_info(m.dir);
  int64_t epoch = options.source_date_epoch ? *options.source_date_epoch : provenance::resolve_source_date_epoch(git);
  if (epoch < 0) throw Error("source date epoch " + std::to_string(epoch) + " is negative");

  // Archives are made from a complete layout in a private directory.
  std::optional<util::TempDir> staging;
  fs::path layout_dir = result.layout;
  if (options.format != image::OutputFormat::Oci) {
    staging.emplace("slimbuild-build");
    layout_dir = staging->path() / "layout";
  }

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

  // --tag only says where to push: it names the layout entry but must not
  // change the image, so `verify` without it reproduces the same digest.
  std::optional<std::string> manifest_tag = m.image ? reference_tag(*m.image) : std::nullopt;
  auto annotations = standard_annotations(m, git, manifest_tag, epoch);
  image::ImageConfigSpec config = make_image_config(m, traced, annotations, epoch);
  result.manifest = writer.add_image(config, layer, annotations, result.ref_name);

  // The SBOM travels with the image as an OCI 1.1 referrer.
  provenance::SbomInput sbom_input;
  sbom_input.name = m.name;
  sbom_input.image_reference = reference.value_or("");
  sbom_input.sysroot = m.sysroot;
  sbom_input.created = epoch;
  sbom_input.binary_build_id = traced.binary.elf.build_id;
  sbom_input.file_sha256 = layer.file_sha256;
  provenance::DpkgDb dpkg_db = dpkg.get();
  sbom_input.dpkg = &dpkg_db;
  std::string sbom = util::canonical_json(provenance::make_spdx(rootfs, sbom_input));
  image::Descriptor referrer =
      writer.add_referrer(result.manifest, provenance::kSpdxMediaType, sbom, provenance::kSpdxMediaType,
                          {{"org.opencontainers.image.created", image::rfc3339(epoch)}});
  result.sbom_digest = referrer.digest;
  timer.mark("sbom");

  // --sbom is staged before anything is committed, so a bad path fails the
  // build with nothing written; it is renamed into place last.
  std::optional<util::AtomicFile> sbom_out;
  if (options.sbom_file) {
    sbom_out.emplace(*options.sbom_file);
    sbom_out->write(sbom);
  }

  writer.commit();
  result.config_digest = image::LayoutReader(layout_dir).read_json_blob(result.manifest).at("config").at("digest");

  if (options.format == image::OutputFormat::OciArchive) {
    image::write_oci_archive(layout_dir, result.layout, epoch);
  } else if (options.format == image::OutputFormat::DockerArchive) {
    std::vector<std::string> repo_tags;
    if (reference) repo_tags.push_back(reference->substr(0, reference->find('@')));
    if (!repo_tags.empty() && !tag) repo_tags.back() += ":latest";
    if (repo_tags.empty()) repo_tags.push_back(m.name + ":" + result.ref_name);
    image::write_docker_archive(layout_dir, result.ref_name, repo_tags, result.layout, epoch);
  }
  if (sbom_out) sbom_out->commit();
  timer.mark("write");
  return result;
}

}  // namespace slimbuild::build
