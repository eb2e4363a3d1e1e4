// `platforms:`: one binary per OS/architecture, everything else shared. The
// platform names are checked here only for form (os/arch[/variant], names as
// Go and the OCI image spec spell them); whether a binary really is for its
// platform is a fact of its ELF header, which the build checks after
// tracing. for_platform() turns one entry back into an ordinary
// single-image manifest, so every later stage stays platform-agnostic.
#include "manifest/platforms.hpp"

#include <algorithm>
#include <array>

#include "manifest/keys.hpp"
#include "manifest/sections.hpp"

namespace slimbuild::manifest {

namespace {

struct KnownArch {
  const char* name;
  std::vector<std::string> variants;  // the variants that may be written; empty = none
};

// The architectures an ELF can be mapped to (trace/platform.cpp), with the
// variants that tell its images apart.
const std::array<KnownArch, 13> kArchitectures{{
    {"amd64", {}},
    {"arm64", {"v8"}},
    {"arm", {"v5", "v6", "v7", "v8"}},
    {"386", {}},
    {"ppc64le", {}},
    {"ppc64", {}},
    {"s390x", {}},
    {"riscv64", {}},
    {"mips64le", {}},
    {"mips64", {}},
    {"mipsle", {}},
    {"mips", {}},
    {"loong64", {}},
}};

std::string arch_list() {
  std::string out;
  for (const auto& a : kArchitectures) out += std::string(out.empty() ? "" : ", ") + a.name;
  return out;
}

std::optional<PlatformSpec> read_entry(const YamlNode& node, const std::string& what, const fs::path& base_dir,
                                       Diagnostics& diag) {
  if (node.kind != YamlNode::Kind::Mapping) {
    wrong_type(node, what, "a mapping {platform, binary, sysroot, libraries, files}", diag,
               "e.g. - {platform: linux/arm64, binary: build/arm64/hello}");
    return std::nullopt;
  }
  Fields fields(node, what, keys::kPlatform, diag);
  PlatformSpec spec;
  bool ok = true;
  if (const YamlNode* p = fields.require("platform")) {
    spec.where = diag.at(*p);
    auto text = read_string(*p, fields.path("platform"), diag);
    auto parsed = text ? parse_platform(*text) : std::unexpected(std::string());
    if (text && !parsed) diag.error(*p, fields.path("platform") + " " + parsed.error(),
                                    "write os/architecture[/variant], e.g. linux/amd64, linux/arm64, linux/arm/v7");
    if (parsed) spec.platform = *parsed; else ok = false;
  } else {
    ok = false;
  }
  if (const YamlNode* b = fields.require("binary")) {
    auto binary = read_binary(*b, base_dir, diag, fields.path("binary"));
    if (binary) spec.binary = std::move(*binary); else ok = false;
  } else {
    ok = false;
  }
  if (const YamlNode* n = fields.get("sysroot")) {
    spec.sysroot = read_host_path(*n, fields.path("sysroot"), HostKind::Directory, base_dir, diag);
    ok = ok && spec.sysroot;
  }
  if (const YamlNode* n = fields.get("libraries")) spec.libraries = read_libraries(*n, fields.path("libraries"), diag);
  if (const YamlNode* n = fields.get("files")) spec.files = read_files(*n, base_dir, diag, fields.path("files"));
  if (!ok) return std::nullopt;
  return spec;
}

}  // namespace

std::expected<PlatformName, std::string> parse_platform(const std::string& text) {
  std::vector<std::string> parts;
  for (size_t i = 0;;) {
    size_t j = text.find('/', i);
    parts.push_back(text.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || std::any_of(parts.begin(), parts.end(), [](auto& p) { return p.empty(); }))
    return std::unexpected("'" + text + "' is not os/architecture[/variant]");
  PlatformName p{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  if (p.os != "linux")
    return std::unexpected("'" + text + "': os '" + p.os + "' is not supported (slimbuild images hold Linux ELF binaries)");
  auto arch = std::find_if(kArchitectures.begin(), kArchitectures.end(),
                           [&](const KnownArch& a) { return p.architecture == a.name; });
  if (arch == kArchitectures.end())
    return std::unexpected("'" + text + "': unknown architecture '" + p.architecture + "' (known: " + arch_list() + ")");
  if (!p.variant.empty() && std::find(arch->variants.begin(), arch->variants.end(), p.variant) == arch->variants.end()) {
    std::string allowed;
    for (const auto& v : arch->variants) allowed += (allowed.empty() ? "" : ", ") + v;
    return std::unexpected("'" + text + "': " + p.architecture + " has no variant '" + p.variant + "'" +
                           (allowed.empty() ? std::string(" (it takes none)") : " (known: " + allowed + ")"));
  }
  return p;
}

std::vector<PlatformSpec> read_platforms(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag) {
  std::vector<PlatformSpec> out;
  if (node.kind != YamlNode::Kind::Sequence || node.items.empty()) {
    wrong_type(node, "platforms", "a non-empty list of {platform, binary} mappings", diag,
               "start each entry with '- platform: linux/amd64'");
    return out;
  }
  for (size_t i = 0; i < node.items.size(); ++i) {
    auto entry = read_entry(*node.items[i], "platforms[" + std::to_string(i) + "]", base_dir, diag);
    if (!entry) continue;
    // Two images for one platform would leave a runtime to pick one at random.
    auto same = std::find_if(out.begin(), out.end(), [&](const PlatformSpec& o) {
      return o.platform.os == entry->platform.os && o.platform.architecture == entry->platform.architecture &&
             (o.platform.variant == entry->platform.variant || o.platform.variant.empty() ||
              entry->platform.variant.empty());
    });
    if (same != out.end()) {
      diag.error(entry->where, "platforms[" + std::to_string(i) + "] repeats " + same->platform.str() + " (first at " +
                                   same->where.str() + ")",
                 "give each platform one entry");
      continue;
    }
    out.push_back(std::move(*entry));
  }
  return out;
}

Manifest for_platform(const Manifest& manifest, const PlatformSpec& entry) {
  Manifest m = manifest;
  m.platforms.clear();
  m.platform = entry.platform;
  m.platform_where = entry.where;
  m.binary = entry.binary;
  if (entry.sysroot) m.sysroot = *entry.sysroot;
  for (const auto& lib : entry.libraries)
    if (std::find(m.libraries.begin(), m.libraries.end(), lib) == m.libraries.end()) m.libraries.push_back(lib);
  m.files.insert(m.files.end(), entry.files.begin(), entry.files.end());
  if (m.entrypoint_where.line == 0) m.entrypoint = {entry.binary.dest};
  return m;
}

}  // namespace slimbuild::manifest
