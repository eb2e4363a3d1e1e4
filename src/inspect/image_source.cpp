// Turning the IMAGE argument of inspect/verify/diff into a layout on disk.
// A bare name is never sent to Docker Hub by accident: a registry reference
// must name its host (a first component with '.' or ':' or "localhost"),
// or be written docker://REF, so a mistyped directory fails locally with a
// clear message instead of turning into a network request.
#include <slimbuild/inspect/image_source.hpp>

#include <slimbuild/image/archive.hpp>
#include <slimbuild/image/layout_arg.hpp>
#include <slimbuild/registry/pull.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::inspect {

namespace {

bool has_prefix(const std::string& s, std::string_view p, std::string& rest) {
  if (s.rfind(p, 0) != 0) return false;
  rest = s.substr(p.size());
  return true;
}

OpenedImage from_layout(const std::string& spec, const fs::path& dir, std::string ref) {
  OpenedImage img;
  img.spec = spec;
  img.kind = SourceKind::Layout;
  img.layout = dir;
  img.ref = std::move(ref);
  return img;
}

OpenedImage from_archive(const std::string& spec, const fs::path& file) {
  OpenedImage img;
  img.spec = spec;
  img.temp = std::make_unique<util::TempDir>("slimbuild-image");
  img.layout = img.temp->path() / "layout";
  auto format = image::archive_to_layout(file, img.layout);
  img.kind = format == image::OutputFormat::DockerArchive ? SourceKind::DockerArchive : SourceKind::OciArchive;
  return img;
}

OpenedImage from_registry(const std::string& spec, const std::string& reference, const registry::RegistryOptions& options) {
  OpenedImage img;
  img.spec = spec;
  img.kind = SourceKind::Registry;
  img.temp = std::make_unique<util::TempDir>("slimbuild-pull");
  img.layout = img.temp->path() / "layout";
  util::info("pulling " + reference);
  registry::pull_to_layout(reference, img.layout, options);
  return img;
}

}  // namespace

const char* to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::Layout: return "OCI layout";
    case SourceKind::OciArchive: return "oci-archive";
    case SourceKind::DockerArchive: return "docker-archive";
    case SourceKind::Registry: return "registry";
  }
  return "image";
}

bool looks_like_registry_reference(const std::string& spec) {
  auto slash = spec.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  std::string host = spec.substr(0, slash);
  if (!std::isalnum(static_cast<unsigned char>(host[0]))) return false;  // "./x", "../x"
  if (host != "localhost" && host.find('.') == std::string::npos && host.find(':') == std::string::npos) return false;
  for (char c : spec)
    if (c <= ' ' || c == '\\') return false;
  return true;
}

std::optional<std::string> registry_reference_of(const std::string& spec) {
  std::string rest;
  std::error_code ec;
  if (has_prefix(spec, "docker://", rest)) return rest;
  if (has_prefix(spec, "oci-archive:", rest) || has_prefix(spec, "docker-archive:", rest) || has_prefix(spec, "oci:", rest))
    return std::nullopt;
  if (fs::is_regular_file(spec, ec)) return std::nullopt;
  if (fs::is_directory(image::split_layout_arg(spec).dir, ec)) return std::nullopt;  // DIR or DIR:TAG
  if (looks_like_registry_reference(spec)) return spec;
  return std::nullopt;
}

OpenedImage open_image(const std::string& spec, const registry::RegistryOptions& options) {
  if (auto reference = registry_reference_of(spec)) return from_registry(spec, *reference, options);
  std::string rest;
  std::error_code ec;
  if (has_prefix(spec, "oci-archive:", rest) || has_prefix(spec, "docker-archive:", rest)) return from_archive(spec, rest);
  if (has_prefix(spec, "oci:", rest)) {
    image::LayoutArg layout = image::split_layout_arg(rest);
    return from_layout(spec, layout.dir, layout.tag.value_or(""));
  }
  if (fs::is_regular_file(spec, ec)) return from_archive(spec, spec);
  if (image::LayoutArg layout = image::split_layout_arg(spec); fs::is_directory(layout.dir, ec))
    return from_layout(spec, layout.dir, layout.tag.value_or(""));
  throw Error("'" + spec + "' is not an OCI layout directory, an image archive file, or a registry reference",
              "pass DIR or DIR:TAG (from `slimbuild build -o DIR`), an oci-archive/docker-archive file, or a "
              "reference with its registry host, e.g. registry.example.com/team/app:1.0 (or docker://REF)");
}

}  // namespace slimbuild::inspect
