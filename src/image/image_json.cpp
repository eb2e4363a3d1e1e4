// Image config and manifest documents; see image_json.hpp for the rules.
#include <slimbuild/image/image_json.hpp>

#include <ctime>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

// Only what a descriptor inside a manifest may carry; a platform or a
// ref.name belongs to index entries, not to a manifest's references.
nlohmann::json reference(const Descriptor& d) {
  if (!util::is_sha256_digest(d.digest)) throw Error("internal: descriptor with invalid digest '" + d.digest + "'");
  if (d.media_type.empty()) throw Error("internal: descriptor " + d.digest + " has no media type");
  nlohmann::json j{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.artifact_type) j["artifactType"] = *d.artifact_type;
  return j;
}

nlohmann::json container_config(const ImageConfigSpec& spec) {
  nlohmann::json c = nlohmann::json::object();
  if (!spec.user.empty()) c["User"] = spec.user;
  for (const auto& kv : spec.env)
    if (kv.find('=') == std::string::npos || kv.front() == '=')
      throw Error("environment entry '" + kv + "' is not KEY=value");
  if (!spec.env.empty()) c["Env"] = spec.env;
  if (!spec.entrypoint.empty()) c["Entrypoint"] = spec.entrypoint;
  // An explicit empty cmd ("cmd: []") is kept: it clears a default, unlike no cmd.
  if (spec.cmd) c["Cmd"] = *spec.cmd;
  if (!spec.working_dir.empty()) c["WorkingDir"] = spec.working_dir;
  if (!spec.exposed_ports.empty()) {
    nlohmann::json ports = nlohmann::json::object();
    for (const auto& p : spec.exposed_ports) ports[p] = nlohmann::json::object();
    c["ExposedPorts"] = ports;
  }
  if (!spec.labels.empty()) c["Labels"] = spec.labels;
  if (!spec.stop_signal.empty()) c["StopSignal"] = spec.stop_signal;
  if (!spec.volumes.empty()) {
    nlohmann::json volumes = nlohmann::json::object();
    for (const auto& v : spec.volumes) volumes[v] = nlohmann::json::object();
    c["Volumes"] = volumes;
  }
  return c;
}

}  // namespace

std::string rfc3339(int64_t epoch_seconds) {
  constexpr int64_t kYear10000 = 253402300800;  // RFC 3339 years have four digits
  if (epoch_seconds < 0 || epoch_seconds >= kYear10000)
    throw Error("timestamp " + std::to_string(epoch_seconds) + " is outside the years 1970..9999",
                "set SOURCE_DATE_EPOCH to seconds since 1970-01-01 UTC");
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) throw Error("cannot convert timestamp " + std::to_string(epoch_seconds));
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json platform_json(const ImageConfigSpec& spec) {
  nlohmann::json p{{"architecture", spec.architecture}, {"os", spec.os}};
  if (!spec.variant.empty()) p["variant"] = spec.variant;
  return p;
}

nlohmann::json image_config_json(const ImageConfigSpec& spec, const std::vector<std::string>& diff_ids) {
  if (spec.architecture.empty()) throw Error("internal: image config without an architecture");
  if (spec.os.empty()) throw Error("internal: image config without an os");
  for (const auto& d : diff_ids)
    if (!util::is_sha256_digest(d)) throw Error("internal: invalid diff_id '" + d + "'");
  std::string created = rfc3339(spec.created);
  nlohmann::json history_entry{{"created", created}};
  if (!spec.history_created_by.empty()) history_entry["created_by"] = spec.history_created_by;

  nlohmann::json j = platform_json(spec);
  j["config"] = container_config(spec);
  j["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  j["history"] = nlohmann::json::array({history_entry});
  j["created"] = created;
  return j;
}

nlohmann::json image_index_json(const std::vector<Descriptor>& manifests,
                                const std::map<std::string, std::string>& annotations) {
  nlohmann::json j{{"schemaVersion", 2}, {"mediaType", kMediaTypeIndex}, {"manifests", nlohmann::json::array()}};
  for (const auto& m : manifests) {
    if (m.platform.is_null()) throw Error("internal: index entry " + m.digest + " without a platform");
    nlohmann::json entry = reference(m);
    entry["platform"] = m.platform;
    j["manifests"].push_back(std::move(entry));
  }
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

nlohmann::json image_manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers,
                                   const std::map<std::string, std::string>& annotations) {
  nlohmann::json j{{"schemaVersion", 2}, {"mediaType", kMediaTypeManifest}, {"config", reference(config)}};
  j["layers"] = nlohmann::json::array();
  for (const auto& l : layers) j["layers"].push_back(reference(l));
  if (!annotations.empty()) j["annotations"] = annotations;
  return j;
}

nlohmann::json artifact_manifest_json(const std::string& artifact_type, const Descriptor& config,
                                      const Descriptor& layer, const Descriptor& subject,
                                      const std::map<std::string, std::string>& annotations) {
  if (artifact_type.empty()) throw Error("internal: artifact without an artifactType");
  nlohmann::json j = image_manifest_json(config, {layer}, annotations);
  j["artifactType"] = artifact_type;
  // The subject names the image manifest only; its index annotations
  // (ref.name) and platform are not part of the reference.
  j["subject"] = {{"mediaType", subject.media_type}, {"digest", subject.digest}, {"size", subject.size}};
  if (!util::is_sha256_digest(subject.digest)) throw Error("artifact subject has an invalid digest '" + subject.digest + "'");
  return j;
}

}  // namespace slimbuild::image
