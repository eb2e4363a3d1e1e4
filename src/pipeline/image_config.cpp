// Image config and annotations from the manifest, trace and git. Kept apart
// from the pipeline so the mapping can be unit-tested without building.
#include "pipeline/image_config.hpp"

#include <algorithm>
#include <cctype>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/trace/loader.hpp>
#include <slimbuild/trace/platform.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::pipeline {

namespace {

// Directories the tracer searched only because /etc/ld.so.conf names them
// (e.g. /usr/local/lib). At run time glibc finds such libraries through
// /etc/ld.so.cache, which the image does not carry, so the image's loader
// must be told where they are. Joined in the order they were first used.
std::string ld_so_conf_only_dirs(const trace::TraceResult& trace) {
  std::vector<std::string> dirs;
  for (const auto& lib : trace.libraries) {
    if (lib.found_via != trace::FoundVia::LdSoConf) continue;
    std::string dir = lib.image_path.substr(0, lib.image_path.rfind('/'));
    if (dir.empty()) dir = "/";
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  std::string joined;
  for (const auto& d : dirs) joined += (joined.empty() ? "" : ":") + d;
  return joined;
}

}  // namespace

std::optional<std::string> reference_tag(const std::string& reference) {
  std::string name = reference.substr(0, reference.find('@'));  // a digest is not a tag
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return std::nullopt;
  std::string tag = name.substr(colon + 1);
  if (!registry::is_valid_tag(tag))
    throw Error("'" + tag + "' in '" + reference + "' is not a valid image tag",
                "tags are up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
  return tag;
}

std::map<std::string, std::string> standard_annotations(const manifest::Manifest& m,
                                                        const std::optional<provenance::GitInfo>& git,
                                                        const std::optional<std::string>& tag, int64_t created) {
  std::map<std::string, std::string> a;
  a["org.opencontainers.image.created"] = image::rfc3339(created);
  a["org.opencontainers.image.title"] = m.name;
  if (git) {
    if (!git->commit.empty()) a["org.opencontainers.image.revision"] = git->commit;
    if (!git->source_url.empty()) a["org.opencontainers.image.source"] = git->source_url;
  }
  if (tag && *tag != "latest")
    a["org.opencontainers.image.version"] = *tag;
  else if (git && !git->tag.empty())
    a["org.opencontainers.image.version"] = git->tag;
  return a;
}

image::ImageConfigSpec make_image_config(const manifest::Manifest& m, const trace::TraceResult& trace,
                                         const std::map<std::string, std::string>& annotations, int64_t created) {
  image::ImageConfigSpec c;
  trace::Platform platform = trace::oci_platform(trace.binary.elf);
  c.architecture = platform.architecture;
  c.variant = platform.variant;
  c.user = std::to_string(m.user.uid) + ":" + std::to_string(m.user.gid);

  std::map<std::string, std::string> env{{"PATH", kDefaultPath}, {"HOME", "/home/" + m.user.name}};
  if (m.ca_certificates.enabled) env["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt";
  if (m.timezone) env["TZ"] = *m.timezone;
  if (auto dirs = ld_so_conf_only_dirs(trace); !dirs.empty()) env["LD_LIBRARY_PATH"] = dirs;
  for (const auto& [k, v] : m.env) env[k] = v;
  for (const auto& [k, v] : env) c.env.push_back(k + "=" + v);

  // The manifest fills the default; `entrypoint: []` with a cmd is the
  // user's choice (the cmd names the program) and must stay empty.
  bool has_cmd = m.cmd && !m.cmd->empty();
  c.entrypoint = (m.entrypoint.empty() && !has_cmd) ? std::vector<std::string>{m.binary.dest} : m.entrypoint;
  c.cmd = m.cmd;
  c.working_dir = m.workdir.value_or("");
  c.exposed_ports = m.ports;
  c.labels = annotations;
  for (const auto& [k, v] : m.labels) c.labels[k] = v;
  c.stop_signal = m.stop_signal.value_or("");
  c.volumes = m.volumes;
  c.created = created;
  return c;
}

}  // namespace slimbuild::pipeline
