// load_manifest / parse_manifest: read the file (bounded, regular files
// only), parse it into a located YAML tree, then read each top-level key.
// Problems are collected across the whole file and thrown once, so the user
// fixes everything in one round instead of one error per run.
#include <slimbuild/manifest/manifest.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <slimbuild/util/handles.hpp>

#include "manifest/keys.hpp"
#include "manifest/platforms.hpp"
#include "manifest/runtime_keys.hpp"
#include "manifest/sections.hpp"
#include "manifest/validate.hpp"
#include <slimbuild/manifest/yaml_reader.hpp>
#include <slimbuild/manifest/yaml_tree.hpp>

namespace slimbuild::manifest {

namespace {

// Reports `problem` (if any) as "<what> <message>" at `node`; true when fine.
bool report(const std::optional<Problem>& problem, const YamlNode& node, std::string_view what, Diagnostics& diag) {
  if (problem) diag.error(node, std::string(what) + " " + problem->message, problem->hint);
  return !problem;
}

std::optional<std::vector<std::string>> read_command(const YamlNode& node, std::string_view what, Diagnostics& diag) {
  auto items = read_string_list(node, what, diag);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : *items) out.push_back(item.value);
  return out;
}

std::vector<std::string> read_ports(const YamlNode& node, Diagnostics& diag) {
  std::vector<std::string> out;
  auto items = read_string_list(node, "ports", diag, "port");
  for (std::size_t i = 0; items && i < items->size(); ++i) {
    auto port = normalise_port((*items)[i].value);
    if (!port) diag.error(*(*items)[i].node, "ports[" + std::to_string(i) + "] " + port.error().message, port.error().hint);
    else if (std::find(out.begin(), out.end(), *port) == out.end()) out.push_back(*port);
  }
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::pair(port_number(a), a) < std::pair(port_number(b), b);
  });
  return out;
}

std::map<std::string, std::string> read_env(const YamlNode& node, Diagnostics& diag) {
  std::map<std::string, std::string> env;
  auto items = read_string_map(node, "env", diag);
  for (const auto& [key, value] : items.value_or(std::vector<KeyValueItem>{}))
    if (report(check_env_name(key.value), *key.node, "env key '" + key.value + "'", diag)) env[key.value] = value.value;
  return env;
}

std::map<std::string, std::string> read_labels(const YamlNode& node, Diagnostics& diag) {
  return read_named_strings(node, "labels", "\n\r", "labels keys must be non-empty single-line strings", diag);
}

// entrypoint defaults to the binary; cmd is optional. Together they must
// leave the image something to run.
void read_command_line(const Fields& top, Manifest& m, Diagnostics& diag) {
  std::optional<std::vector<std::string>> entrypoint;
  if (const YamlNode* n = top.get("entrypoint")) {
    m.entrypoint_where = diag.at(*n);
    entrypoint = read_command(*n, "entrypoint", diag);
  } else if (!m.binary.dest.empty()) {
    entrypoint = std::vector<std::string>{m.binary.dest};
  }
  if (const YamlNode* n = top.get("cmd")) m.cmd = read_command(*n, "cmd", diag);
  if (entrypoint) m.entrypoint = *entrypoint;
  bool cmd_failed = top.get("cmd") && !m.cmd;
  if (entrypoint && entrypoint->empty() && !cmd_failed && (!m.cmd || m.cmd->empty()))
    diag.error(*top.get("entrypoint"), "entrypoint and cmd are both empty: the image would have nothing to run",
               "leave entrypoint out to run the binary");
}

// tzdata and timezone; the timezone's zone is always included.
void read_time_zones(const Fields& top, Manifest& m, Diagnostics& diag) {
  if (const YamlNode* n = top.get("tzdata")) m.tzdata = read_tzdata(*n, m.sysroot, diag);
  if (const YamlNode* n = top.get("timezone")) {
    m.timezone_where = diag.at(*n);
    m.timezone = read_timezone(*n, m.sysroot, diag);
    auto& zones = m.tzdata.zones;
    if (m.timezone && !m.tzdata.all && std::find(zones.begin(), zones.end(), *m.timezone) == zones.end())
      zones.push_back(*m.timezone);
  }
}

void read_runtime_keys(const Fields& top, Manifest& m, Diagnostics& diag) {
  if (const YamlNode* n = top.get("stop_signal")) m.stop_signal = read_stop_signal(*n, diag);
  if (const YamlNode* n = top.get("volumes")) m.volumes = read_image_dirs(*n, "volumes", diag);
  if (const YamlNode* n = top.get("annotations")) m.annotations = read_annotations(*n, diag);
  if (const YamlNode* n = top.get("writable")) m.writable = read_image_dirs(*n, "writable", diag);
  if (const YamlNode* n = top.get("capabilities")) m.capabilities = read_capabilities(*n, diag);
  if (const YamlNode* n = top.get("arbitrary_uid")) m.arbitrary_uid = read_flag(*n, "arbitrary_uid", diag).value_or(false);
}

void read_top_level(const YamlNode& root, Manifest& m, Diagnostics& diag) {
  Fields top(root, "", keys::kTopLevel, diag);

  // First: zones are looked up under the sysroot. If it is wrong, every
  // zone would be "unknown" too, so those checks are skipped.
  bool sysroot_ok = true;
  if (const YamlNode* n = top.get("sysroot")) {
    auto dir = read_host_path(*n, "sysroot", HostKind::Directory, m.dir, diag);
    if (dir) m.sysroot = *dir;
    sysroot_ok = dir.has_value();
  }

  if (const YamlNode* n = top.require("name"))
    if (auto name = read_string(*n, "name", diag); name && report(check_image_name(*name), *n, "name", diag))
      m.name = *name;
  if (const YamlNode* n = top.get("image")) {
    m.image_where = diag.at(*n);
    if (auto ref = read_string(*n, "image", diag); ref && report(check_image_reference(*ref), *n, "image", diag))
      m.image = *ref;
  }
  // `binary:` for one image, or `platforms:` for one per platform.
  const YamlNode* platforms = top.get("platforms");
  if (platforms) {
    if (const YamlNode* b = top.get("binary"))
      diag.error(*b, "binary and platforms are both given; with platforms, each entry names its own binary",
                 "move binary: into the platforms entry it belongs to");
    m.platforms = read_platforms(*platforms, m.dir, diag);
  } else if (const YamlNode* n = top.require("binary")) {
    if (auto binary = read_binary(*n, m.dir, diag)) m.binary = std::move(*binary);
  }
  if (const YamlNode* n = top.require("user"))
    if (auto user = read_user(*n, diag)) m.user = std::move(*user);

  read_command_line(top, m, diag);
  if (const YamlNode* n = top.get("libraries")) {
    m.libraries_where = diag.at(*n);
    m.libraries = read_libraries(*n, "libraries", diag);
  }
  if (const YamlNode* n = top.get("files")) m.files = read_files(*n, m.dir, diag);
  if (const YamlNode* n = top.get("ca_certificates")) m.ca_certificates = read_ca_certificates(*n, m.dir, diag);
  if (sysroot_ok) read_time_zones(top, m, diag);
  if (const YamlNode* n = top.get("env")) m.env = read_env(*n, diag);
  if (const YamlNode* n = top.get("workdir")) m.workdir = read_image_path(*n, "workdir", diag);
  if (const YamlNode* n = top.get("ports")) m.ports = read_ports(*n, diag);
  if (const YamlNode* n = top.get("labels")) m.labels = read_labels(*n, diag);
  if (const YamlNode* n = top.get("scanner_metadata")) {
    if (auto flag = as_bool(*n))
      m.scanner_metadata = *flag;
    else
      wrong_type(*n, "scanner_metadata", "true or false", diag);
  }
  read_runtime_keys(top, m, diag);
  if (const YamlNode* n = top.get("compression"))
    if (auto c = read_compression(*n, diag)) m.compression = std::move(*c);
}

// Reads at most kMaxManifestBytes + 1 bytes, from regular files only: a
// FIFO or /dev/zero given by mistake must not hang or eat memory.
std::string read_manifest_file(const fs::path& file) {
  const std::string name = file.string();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    throw Error("cannot read manifest " + name + ": " + std::strerror(errno),
                "pass the path of a slimbuild manifest (YAML), e.g. slimbuild build hello.yaml");
  if (!S_ISREG(st.st_mode))
    throw Error("manifest " + name + " is not a regular file",
                S_ISDIR(st.st_mode) ? "pass the manifest file inside it, e.g. " + name + "/slimbuild.yaml"
                                    : "pass the manifest file itself");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxManifestBytes)
    throw Error("manifest " + name + " is " + std::to_string(st.st_size) + " bytes; the limit is 1 MiB",
                "is this really a slimbuild manifest?");
  util::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) throw Error("cannot read manifest " + name + ": " + std::strerror(errno));
  std::string text;
  char buf[16384];
  while (text.size() <= kMaxManifestBytes) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error("cannot read manifest " + name + ": " + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;  // parse_yaml refuses it if it grew past the limit meanwhile
}

}  // namespace

Manifest parse_manifest(const std::string& yaml_text, const fs::path& file) {
  const std::string name = file.string();
  NodePtr root = parse_yaml(yaml_text, name);
  if (root->kind != YamlNode::Kind::Mapping)
    throw ManifestError(SourceLocation{name, root->line, root->column},
                        "the manifest must be a mapping of keys (name:, binary:, user:, ...), got " + describe(*root),
                        "see docs/manifest.md for the format");
  Manifest m;
  std::error_code ec;
  m.file = fs::absolute(file, ec).lexically_normal();
  if (ec) throw Error("cannot resolve the manifest path " + name + ": " + ec.message());
  m.dir = m.file.parent_path();
  m.where = SourceLocation{name, root->line, root->column};
  Diagnostics diag(name);
  read_top_level(*root, m, diag);
  diag.throw_if_any();
  return m;
}

Manifest load_manifest(const fs::path& file) { return parse_manifest(read_manifest_file(file), file); }

}  // namespace slimbuild::manifest
