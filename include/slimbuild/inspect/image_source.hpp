// One way for inspect, verify and diff to accept an image: an OCI layout
// directory (DIR or DIR:TAG), an oci-archive or docker-archive file, or a
// registry reference with an explicit host (registry.example.com/app:1,
// localhost:5000/app@sha256:...). Skopeo-style prefixes force the reading:
// oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, docker://REF.
// Archives and references are unpacked or pulled into a private temporary
// layout that lives as long as the OpenedImage.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <slimbuild/registry/push.hpp>
#include <slimbuild/util/fs.hpp>

namespace slimbuild::inspect {

namespace fs = std::filesystem;

enum class SourceKind { Layout, OciArchive, DockerArchive, Registry };

struct OpenedImage {
  std::string spec;        // what the user passed
  SourceKind kind = SourceKind::Layout;
  fs::path layout;         // an OCI layout on disk
  std::string ref;         // ref.name inside it; "" = its only image
  std::unique_ptr<util::TempDir> temp;  // owns `layout` for archives and pulls
};

// Throws Error saying which forms are accepted when `spec` is none of them.
OpenedImage open_image(const std::string& spec, const registry::RegistryOptions& registry_options);

// True for a registry reference with an explicit registry host.
bool looks_like_registry_reference(const std::string& spec);

// The registry reference open_image would pull for `spec` (docker:// taken
// off), or nullopt when `spec` names a layout or an archive.
std::optional<std::string> registry_reference_of(const std::string& spec);

const char* to_string(SourceKind kind);

}  // namespace slimbuild::inspect
