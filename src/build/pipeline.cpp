// build_image: the pipeline as a short list of stage calls. Everything is
// written into a LayoutWriter (an AtomicDir beside the output) or a private
// TempDir, so a failure at any step leaves nothing at `output`; the output
// appears, whole, only at the final commit.
#include <slimbuild/build/pipeline.hpp>

#include <optional>

#include <fstream>

#include <slimbuild/build/image_config.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/provenance/git.hpp>
#include <slimbuild/provenance/sbom.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/trace/platform.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/log.hpp>

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

BuildResult build_image(const BuildOptions& options) {
  manifest::Manifest m = manifest::load_manifest(options.manifest);
  // One single-image manifest per platform; an index over them unless the
  // manifest is a plain one or --platform picked one entry.
  std::vector<manifest::Manifest> parts = platform_parts(m, options.platform);
  const bool index = !m.platforms.empty() && !options.platform;
  if (options.require_clean)
    for (const auto& part : parts) check_clean(part);
  if (index && options.format == image::OutputFormat::DockerArchive)
    throw Error("docker-archive holds one image per tag, and " + options.manifest.string() + " builds an image index (" +
                    platform_list(parts) + ")",
                "build one platform with --platform " + parts.back().platform->str() +
                    ", or use --format oci or oci-archive",
                kExitUsage);
  if (index && options.sbom_file)
    throw Error("--sbom writes one SBOM, and " + options.manifest.string() + " builds one image per platform (" +
                    platform_list(parts) + ")",
                "add --platform to write that image's SBOM; every image carries its own SBOM referrer in the layout",
                kExitUsage);

  BuildResult result;
  result.layout = options.output.empty()
                      ? fs::path("out") / (options.format == image::OutputFormat::Oci ? m.name : m.name + ".tar")
                      : options.output;
  check_output(result.layout, options.format);

  std::optional<std::string> reference = options.tag ? options.tag : m.image;
  std::optional<std::string> tag = reference ? reference_tag(*reference) : std::nullopt;
  result.ref_name = tag.value_or("latest");
  result.reference = reference;

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

  // --tag only says where to push: it names the layout entry but must not
  // change the image, so `verify` without it reproduces the same digest.
  std::optional<std::string> manifest_tag = m.image ? reference_tag(*m.image) : std::nullopt;
  auto annotations = standard_annotations(m, git, manifest_tag, epoch);

  std::optional<util::AtomicFile> sbom_out;
  std::vector<image::Descriptor> images;
  for (const auto& part : parts) {
    // Stages: what the loader needs, then the file system, then the bytes.
    trace::TraceOptions trace_options;
    trace_options.sysroot = part.sysroot;
    trace_options.extra_libraries = part.libraries;
    trace_options.binary_image_path = part.binary.dest;
    trace::TraceResult traced = trace::trace_binary(part.binary.path, trace_options);
    check_platform(part, traced);
    rootfs::Rootfs rootfs = rootfs::assemble_rootfs(part, traced);

    layer::LayerOptions layer_options;
    layer_options.mtime = epoch;
    layer::LayerResult layer = writer.put_layer(rootfs, layer_options);
    image::ImageConfigSpec config = make_image_config(part, traced, annotations, epoch);
    image::Descriptor image =
        index ? writer.put_image(config, layer, annotations) : writer.add_image(config, layer, annotations, result.ref_name);

    // The SBOM travels with each image as an OCI 1.1 referrer.
    provenance::SbomInput sbom_input;
    sbom_input.name = m.name;
    sbom_input.image_reference = reference.value_or("");
    sbom_input.sysroot = part.sysroot;
    sbom_input.created = epoch;
    sbom_input.binary_build_id = traced.binary.elf.build_id;
    sbom_input.file_sha256 = layer.file_sha256;
    std::string sbom = util::canonical_json(provenance::make_spdx(rootfs, sbom_input));
    image::Descriptor subject = image;
    subject.platform = nullptr;
    image::Descriptor referrer =
        writer.add_referrer(subject, provenance::kSpdxMediaType, sbom, provenance::kSpdxMediaType,
                            {{"org.opencontainers.image.created", image::rfc3339(epoch)}});

    // --sbom is staged before anything is committed, so a bad path fails the
    // build with nothing written; it is renamed into place last.
    if (options.sbom_file) {
      sbom_out.emplace(*options.sbom_file);
      sbom_out->write(sbom);
    }
    images.push_back(image);
    result.platforms.push_back({image::platform_name(image.platform), image, layer.digest, layer.diff_id, layer.size,
                                count_files(rootfs), referrer.digest});
  }
  result.manifest = index ? writer.add_index(images, annotations, result.ref_name) : images.front();
  const PlatformImage& first = result.platforms.front();
  result.layer_digest = first.layer_digest;
  result.diff_id = first.diff_id;
  result.layer_size = first.layer_size;
  result.file_count = first.file_count;
  result.sbom_digest = index ? "" : first.sbom_digest;

  writer.commit();
  image::LayoutReader reader(layout_dir);
  for (auto& p : result.platforms) p.config_digest = reader.read_json_blob(p.manifest).at("config").at("digest");
  result.config_digest = index ? "" : first.config_digest;

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
  return result;
}

}  // namespace slimbuild::build
