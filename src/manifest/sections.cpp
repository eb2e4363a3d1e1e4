// The nested manifest sections. Each reader reports every problem it finds
// in its part of the tree and returns what it could read, so later sections
// are still checked and the user sees all errors at once.
#include "manifest/sections.hpp"

#include <algorithm>
#include <fstream>

#include "manifest/keys.hpp"
#include "manifest/validate.hpp"
#include "manifest/zoneinfo.hpp"

namespace slimbuild::manifest {

namespace {

constexpr std::int64_t kMaxId = (std::int64_t{1} << 31) - 2;  // uid_t limits kept safe for every runtime

const char* kind_name(HostKind kind) {
  switch (kind) {
    case HostKind::File: return "a regular file";
    case HostKind::Directory: return "a directory";
    case HostKind::FileOrDirectory: return "a file or a directory";
  }
  return "";
}

bool has_kind(const fs::path& p, HostKind kind) {
  std::error_code ec;
  auto st = fs::status(p, ec);  // follows symlinks: a link to the real binary is fine
  if (ec) return false;
  switch (kind) {
    case HostKind::File: return fs::is_regular_file(st);
    case HostKind::Directory: return fs::is_directory(st);
    case HostKind::FileOrDirectory: return fs::is_regular_file(st) || fs::is_directory(st);
  }
  return false;
}

// A PEM bundle has "-----BEGIN" near the top (after an optional comment header).
bool looks_like_pem(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head.find("-----BEGIN") != std::string::npos;
}

std::optional<std::uint32_t> read_id(const Fields& fields, std::string_view key, Diagnostics& diag) {
  const YamlNode* node = fields.get(key);
  if (!node) return std::nullopt;
  auto id = as_integer(*node);
  std::string_view digits = node->value;
  if (digits.starts_with('-')) digits.remove_prefix(1);
  bool numeric = node->kind == YamlNode::Kind::Scalar && !digits.empty() &&
                 digits.find_first_not_of("0123456789") == std::string_view::npos;
  if (!id && !numeric) {
    wrong_type(*node, fields.path(key), "an integer", diag);
    return std::nullopt;
  }
  if (id && *id == 0) {
    diag.error(*fields.key_node(key), fields.path(key) + " is 0, and root is refused: images run as a non-root user",
               "pick an unprivileged id such as 65532, as distroless does");
    return std::nullopt;
  }
  if (!id || *id < 0 || *id > kMaxId) {  // too big for int64 counts as out of range too
    diag.error(*node, fields.path(key) + " must be between 1 and " + std::to_string(kMaxId) + ", got " + node->value);
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(*id);
}

// Where a file lands in the image: an image path outside the runtime's mounts.
std::optional<std::string> read_destination(const YamlNode& node, std::string_view what, Diagnostics& diag) {
  auto path = read_image_path(node, what, diag);
  if (auto problem = path ? check_not_runtime_mount(*path) : std::nullopt) {
    diag.error(node, std::string(what) + " " + problem->message, problem->hint);
    return std::nullopt;
  }
  return path;
}

std::optional<FileSpec> read_file_entry(const YamlNode& node, const std::string& what, const fs::path& base_dir,
                                        Diagnostics& diag) {
  if (node.kind != YamlNode::Kind::Mapping) {
    wrong_type(node, what, "a mapping {src, dest, mode, exclude}", diag);
    return std::nullopt;
  }
  Fields fields(node, what, keys::kFile, diag);
  FileSpec spec;
  spec.where = diag.at(node);
  bool ok = true;
  const YamlNode* src = fields.require("src");
  auto src_path = src ? read_host_path(*src, fields.path("src"), HostKind::FileOrDirectory, base_dir, diag) : std::nullopt;
  if (src_path) spec.src = *src_path; else ok = false;

  const YamlNode* dest = fields.require("dest");
  auto dest_path = dest ? read_destination(*dest, fields.path("dest"), diag) : std::nullopt;
  if (dest_path) {
    spec.dest = *dest_path;
    spec.dest_is_dir = dest->value.ends_with('/') || *dest_path == "/";
  } else {
    ok = false;
  }

  if (const YamlNode* mode = fields.get("mode")) {
    // An unquoted 0640 arrives as the text "0640" too: digits are read as octal.
    auto text = read_string(*mode, fields.path("mode"), diag);
    if (!text) {
      ok = false;
    } else if (auto parsed = parse_mode(*text)) {
      spec.mode = *parsed;
    } else {
      diag.error(*mode, fields.path("mode") + " " + parsed.error().message, parsed.error().hint);
      ok = false;
    }
  }

  if (const YamlNode* exclude = fields.get("exclude")) {
    auto patterns = read_string_list(*exclude, fields.path("exclude"), diag, "pattern");
    for (const auto& p : patterns.value_or(std::vector<ScalarItem>{})) {
      if (p.value.empty() || p.value.find('\n') != std::string::npos)
        diag.error(*p.node, fields.path("exclude") + " patterns must be non-empty single lines");
      else
        spec.exclude.push_back(p.value);
    }
    if (src_path && !has_kind(*src_path, HostKind::Directory))
      diag.error(*exclude, fields.path("exclude") + " only applies when src is a directory, and " +
                               src->value + " is a file");
  }
  if (!ok) return std::nullopt;
  return spec;
}

// A hint for YAML 1.1 booleans (yes/no/on/off) and quoted "true"/"false",
// which YAML 1.2 reads as strings: the user almost certainly meant a boolean.
std::optional<std::string> boolean_hint(const YamlNode& node) {
  if (node.kind != YamlNode::Kind::Scalar) return std::nullopt;
  static const char* kWords[] = {"yes", "no", "on", "off", "y", "n", "Yes", "No", "On", "Off", "YES", "NO"};
  for (const char* word : kWords)
    if (node.value == word) return std::string("write true or false");
  if (!node.plain && (node.value == "true" || node.value == "false"))
    return "write " + node.value + " without quotes";
  return std::nullopt;
}

}  // namespace

std::optional<fs::path> read_host_path(const YamlNode& node, std::string_view what, HostKind kind,
                                       const fs::path& base_dir, Diagnostics& diag) {
  auto text = read_string(node, what, diag);
  if (!text) return std::nullopt;
  if (text->empty()) {
    diag.error(node, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  fs::path p = fs::path(*text).is_absolute() ? fs::path(*text) : base_dir / *text;
  p = p.lexically_normal();
  if (has_kind(p, kind)) return p;
  std::error_code ec;
  bool exists = fs::exists(p, ec);
  std::string message = std::string(what) + " '" + *text + "' " +
                        (exists ? "is not " + std::string(kind_name(kind)) : "does not exist");
  if (!fs::path(*text).is_absolute()) message += " (looked for " + p.string() + ")";
  std::string hint = text->starts_with("~") ? "'~' is not expanded; use a path relative to the manifest"
                                            : "relative paths are resolved against the manifest's directory, " +
                                                  base_dir.string();
  diag.error(node, message, hint);
  return std::nullopt;
}

std::optional<std::string> read_image_path(const YamlNode& node, std::string_view what, Diagnostics& diag) {
  auto text = read_string(node, what, diag);
  if (!text) return std::nullopt;
  auto normal = normalise_image_path(*text);
  if (!normal) {
    diag.error(node, std::string(what) + " " + normal.error().message, normal.error().hint);
    return std::nullopt;
  }
  return *normal;
}

std::optional<BinarySpec> read_binary(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag,
                                      const std::string& what) {
  BinarySpec spec;
  spec.where = diag.at(node);
  const YamlNode* path = nullptr;
  const YamlNode* dest = nullptr;
  std::optional<Fields> fields;
  if (node.kind == YamlNode::Kind::Scalar) {
    path = &node;  // short form: `binary: build/hello`
  } else if (node.kind == YamlNode::Kind::Mapping) {
    fields.emplace(node, what, keys::kBinary, diag);
    path = fields->require("path");
    dest = fields->get("dest");
  } else {
    wrong_type(node, what, "a path or a mapping {path, dest}", diag);
    return std::nullopt;
  }
  auto host = path ? read_host_path(*path, fields ? what + ".path" : what, HostKind::File, base_dir, diag)
                   : std::nullopt;
  std::optional<std::string> image_path = "/app";
  if (dest) image_path = read_destination(*dest, what + ".dest", diag);
  if (!host || !image_path) return std::nullopt;
  // The default and a dest ending in '/' mean "into this directory": the
  // binary keeps its file name, as `cp build/hello /app/` would.
  bool into_dir = !dest || dest->value.ends_with('/') || *image_path == "/";
  spec.path = *host;
  spec.dest = into_dir ? (*image_path == "/" ? "" : *image_path) + "/" + host->filename().string() : *image_path;
  return spec;
}

// Sonames are looked up like DT_NEEDED; absolute paths name one file.
std::vector<std::string> read_libraries(const YamlNode& node, const std::string& what, Diagnostics& diag) {
  std::vector<std::string> out;
  auto items = read_string_list(node, what, diag, "soname");
  for (const auto& [value, item] : items.value_or(std::vector<ScalarItem>{})) {
    std::string lib = value;
    if (value.empty() || value.find_first_of(" \t\n\r") != std::string::npos) {
      diag.error(*item, what + " entry '" + value + "' must be a soname like libnss_dns.so.2 or an absolute path");
      continue;
    }
    if (value.find('/') != std::string::npos) {
      auto normal = normalise_image_path(value);
      if (!normal) {
        std::string hint = value.front() == '/' ? normal.error().hint : "use a soname (no '/') or an absolute path";
        diag.error(*item, what + " entry " + normal.error().message, hint);
        continue;
      }
      lib = *normal;
    }
    if (std::find(out.begin(), out.end(), lib) == out.end()) out.push_back(lib);
  }
  return out;
}

std::vector<FileSpec> read_files(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag,
                                 const std::string& what) {
  std::vector<FileSpec> files;
  if (node.kind != YamlNode::Kind::Sequence) {
    wrong_type(node, what, "a list of {src, dest} mappings", diag, "start each entry with '- src: ...'");
    return files;
  }
  for (std::size_t i = 0; i < node.items.size(); ++i)
    if (auto spec = read_file_entry(*node.items[i], what + "[" + std::to_string(i) + "]", base_dir, diag))
      files.push_back(std::move(*spec));
  return files;
}

std::optional<UserSpec> read_user(const YamlNode& node, Diagnostics& diag) {
  if (node.kind != YamlNode::Kind::Mapping) {
    wrong_type(node, "user", "a mapping {name, uid, gid}", diag, "e.g. user: {name: app, uid: 65532}");
    return std::nullopt;
  }
  Fields fields(node, "user", keys::kUser, diag);
  UserSpec user;
  user.where = diag.at(node);
  bool ok = true;
  if (const YamlNode* name = fields.get("name")) {
    auto text = read_string(*name, "user.name", diag);
    auto problem = text ? check_user_name(*text) : std::nullopt;
    if (problem) diag.error(*name, "user.name " + problem->message, problem->hint);
    if (text && !problem) user.name = *text; else ok = false;
  }
  const YamlNode* uid_node = fields.require("uid");
  auto uid = uid_node ? read_id(fields, "uid", diag) : std::nullopt;
  auto gid = fields.get("gid") ? read_id(fields, "gid", diag) : uid;
  if (!uid || !gid || !ok) return std::nullopt;
  user.uid = *uid;
  user.gid = *gid;
  return user;
}

CaCertificates read_ca_certificates(const YamlNode& node, const fs::path& base_dir, Diagnostics& diag) {
  CaCertificates ca;
  ca.where = diag.at(node);
  if (auto flag = as_bool(node)) {
    ca.enabled = *flag;
    return ca;
  }
  if (auto hint = boolean_hint(node)) {
    wrong_type(node, "ca_certificates", "true, false or a path to a PEM bundle", diag, *hint);
    return ca;
  }
  if (node.kind != YamlNode::Kind::Scalar) {
    wrong_type(node, "ca_certificates", "true, false or a path to a PEM bundle", diag);
    return ca;
  }
  auto bundle = read_host_path(node, "ca_certificates", HostKind::File, base_dir, diag);
  if (!bundle) return ca;
  if (!looks_like_pem(*bundle)) {
    diag.error(node, "ca_certificates '" + node.value + "' is not a PEM bundle (no -----BEGIN CERTIFICATE-----)");
    return ca;
  }
  ca.enabled = true;
  ca.bundle = *bundle;
  return ca;
}

TzData read_tzdata(const YamlNode& node, const fs::path& sysroot, Diagnostics& diag) {
  TzData tz;
  tz.where = diag.at(node);
  const fs::path zoneinfo = zoneinfo_dir(sysroot);
  if (auto flag = as_bool(node)) {
    tz.all = *flag;
    std::error_code ec;
    if (tz.all && !fs::is_directory(zoneinfo, ec))
      diag.error(node, "tzdata is true, but " + zoneinfo.string() + " does not exist",
                 "install tzdata on the build machine, or point sysroot: at a tree that has it");
    return tz;
  }
  if (node.kind != YamlNode::Kind::Sequence) {
    std::string hint = boolean_hint(node).value_or(
        node.kind == YamlNode::Kind::Scalar ? "write a list: tzdata: [" + node.value.substr(0, 60) + "]" : "");
    wrong_type(node, "tzdata", "true, false or a list of zone names", diag, hint);
    return tz;
  }
  auto zones = read_string_list(node, "tzdata", diag, "zone name");
  if (!zones) return tz;
  std::vector<std::string> refused;
  for (std::size_t i = 0; i < zones->size() && !diag.full(); ++i) {
    const auto& [zone, item] = (*zones)[i];
    // Each distinct zone is looked up once, however often it is repeated.
    auto seen = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), zone) != v.end(); };
    if (seen(tz.zones) || seen(refused)) continue;
    if (auto problem = check_zone(zoneinfo, zone)) {
      diag.error(*item, "tzdata[" + std::to_string(i) + "] " + problem->message, problem->hint);
      refused.push_back(zone);
      continue;
    }
    tz.zones.push_back(zone);
  }
  return tz;
}

std::optional<std::string> read_timezone(const YamlNode& node, const fs::path& sysroot, Diagnostics& diag) {
  auto zone = read_string(node, "timezone", diag);
  if (!zone) return std::nullopt;
  if (auto problem = check_zone(zoneinfo_dir(sysroot), *zone)) {
    diag.error(node, "timezone " + problem->message, problem->hint);
    return std::nullopt;
  }
  return zone;
}

}  // namespace slimbuild::manifest
