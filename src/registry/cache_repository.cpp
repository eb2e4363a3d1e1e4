// CacheRepository: a lookup is GET manifest by tag (404 = miss) -> the
// manifest's shape -> the config blob (hashed, must name this key and this
// layer) -> the layer blob streamed to the caller's file through SHA-256
// (blob_download.hpp). A store is push_blob for the layer and the config,
// then PUT manifest under the tag. The JSON is canonical, so every runner
// writes the same bytes for the same key and a PUT race is harmless.
#include <slimbuild/registry/cache_repository.hpp>

#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "registry/blob_download.hpp"

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/blob_upload.hpp>
#include <slimbuild/registry/registry_client.hpp>
#include "registry/registry_error.hpp"
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/json.hpp>
#include <slimbuild/util/limits.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::registry {

namespace {

constexpr std::string_view kTagPrefix = "slimbuild-layer-";
// Our manifests and configs are a few hundred bytes; anything this large is not ours.
constexpr std::size_t kMaxEntryJson = 64u << 10;

// Why an entry is not served (becomes CacheLookup::rejected).
struct BadEntry : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool is_key(std::string_view key) {
  return key.size() == 64 &&
         key.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

nlohmann::json parse_entry_json(const std::string& text, const std::string& what) {
  if (text.size() > kMaxEntryJson) throw BadEntry("its " + what + " is larger than 64 KiB");
  nlohmann::json j;
  try {
    j = util::parse_untrusted_json(text, what);
  } catch (const Error& e) {
    throw BadEntry("its " + what + " is not JSON");
  }
  if (!j.is_object()) throw BadEntry("its " + what + " is not a JSON object");
  return j;
}

std::string string_field(const nlohmann::json& j, const char* name, const std::string& what) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) throw BadEntry("its " + what + " has no string \"" + name + "\"");
  return it->get<std::string>();
}

uint64_t size_field(const nlohmann::json& j, const char* name, const std::string& what) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number_unsigned()) throw BadEntry("its " + what + " has no unsigned \"" + name + "\"");
  return it->get<uint64_t>();
}

image::Descriptor descriptor(const nlohmann::json& j, const std::string& what, const std::string& media_type) {
  if (!j.is_object()) throw BadEntry("its " + what + " descriptor is not an object");
  image::Descriptor d;
  d.media_type = string_field(j, "mediaType", what + " descriptor");
  d.digest = string_field(j, "digest", what + " descriptor");
  d.size = size_field(j, "size", what + " descriptor");
  if (d.media_type != media_type)
    throw BadEntry("its " + what + " has media type '" + d.media_type.substr(0, 100) + "', not " + media_type);
  if (!util::is_sha256_digest(d.digest)) throw BadEntry("its " + what + " digest is not sha256:<64 hex>");
  return d;
}

nlohmann::json descriptor_json(const std::string& media_type, const std::string& digest, uint64_t size) {
  return {{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

nlohmann::json config_json(const std::string& key, const CachedLayer& layer) {
  return {{"format", kLayerCacheFormat}, {"key", key},           {"digest", layer.digest},
          {"size", layer.size},          {"media_type", layer.media_type}, {"diff_id", layer.diff_id},
          {"tar_size", layer.tar_size}};
}

// A small blob (the config) by digest, hashed; a missing one makes the entry bad.
std::string get_small_blob(RegistryClient& client, const image::Descriptor& d, const std::string& what) {
  if (d.size > kMaxEntryJson) throw BadEntry("its " + what + " is larger than 64 KiB");
  const std::string step = "fetching the cache entry's " + what + " " + short_digest(d.digest) + " from " +
                           client.reference().name();
  HttpRequest get;
  get.url = client.repo_url("blobs/" + d.digest);
  get.follow_redirects = true;
  HttpResponse r = client.send(get, step);
  if (r.status == 404) throw BadEntry("its " + what + " blob is missing from the repository");
  if (r.status != 200) throw http_error(step, r.status, r.body);
  if (r.body.size() != d.size || util::sha256_digest(r.body) != d.digest)
    throw BadEntry("its " + what + " blob does not match its digest " + d.digest);
  return r.body;
}

// The manifest and config of an entry, checked against each other and the key.
CachedLayer check_entry(RegistryClient& client, const std::string& key, const std::string& media_type,
                        const std::string& manifest_bytes) {
  nlohmann::json m = parse_entry_json(manifest_bytes, "manifest");
  if (m.value("mediaType", "") != image::kMediaTypeManifest)
    throw BadEntry("its manifest is not an OCI image manifest");
  if (m.value("artifactType", "") != kLayerCacheArtifactType)
    throw BadEntry(std::string("its manifest's artifactType is not ") + kLayerCacheArtifactType);
  auto layers = m.find("layers");
  if (layers == m.end() || !layers->is_array() || layers->size() != 1)
    throw BadEntry("its manifest does not list exactly one layer");
  image::Descriptor config_d = descriptor(m.contains("config") ? m["config"] : nlohmann::json(), "config",
                                          kLayerCacheConfigType);
  image::Descriptor layer_d = descriptor(layers->front(), "layer", media_type);

  nlohmann::json c = parse_entry_json(get_small_blob(client, config_d, "config"), "config");
  if (!c.contains("format") || c["format"] != kLayerCacheFormat)
    throw BadEntry("its config is not format " + std::to_string(kLayerCacheFormat));
  if (string_field(c, "key", "config") != key) throw BadEntry("its config was written for another key");
  CachedLayer layer{string_field(c, "digest", "config"), size_field(c, "size", "config"),
                    string_field(c, "media_type", "config"), string_field(c, "diff_id", "config"),
                    size_field(c, "tar_size", "config")};
  if (layer.digest != layer_d.digest || layer.size != layer_d.size || layer.media_type != layer_d.media_type)
    throw BadEntry("its manifest's layer " + short_digest(layer_d.digest) + " is not the layer its config describes (" +
                   short_digest(layer.digest) + ")");
  if (!util::is_sha256_digest(layer.diff_id)) throw BadEntry("its config's diff_id is not sha256:<64 hex>");
  if (layer.size == 0 || layer.tar_size == 0) throw BadEntry("its config describes an empty layer");
  return layer;
}

// The config's bytes as a file descriptor push_blob can read (pread) from.
util::Fd memory_file(const std::string& bytes) {
  util::Fd fd(::memfd_create("slimbuild-cache-config", MFD_CLOEXEC));
  if (!fd) throw Error("cannot create an in-memory file for the cache entry's config");
  for (std::size_t off = 0; off < bytes.size();) {
    ssize_t w = ::write(fd.get(), bytes.data() + off, bytes.size() - off);
    if (w <= 0) throw Error("cannot write the cache entry's config to memory");
    off += static_cast<std::size_t>(w);
  }
  return fd;
}

}  // namespace

std::string cache_tag(std::string_view key) {
  if (!is_key(key)) throw Error("internal: layer cache key '" + std::string(key.substr(0, 80)) + "' is not 64 hex digits");
  return std::string(kTagPrefix) + std::string(key);
}

Result<Reference> parse_cache_ref(std::string_view text) {
  auto r = parse_reference(text);
  if (!r) return std::unexpected(Error("--cache-ref: " + std::string(r.error().what()), r.error().hint(), kExitUsage));
  if (r->tag || r->digest)
    return std::unexpected(Error("--cache-ref " + std::string(text) + " names a " + (r->digest ? "digest" : "tag") +
                                     ", but it must be a repository: slimbuild tags each cache entry itself",
                                 "pass the repository alone, e.g. --cache-ref " + r->name(), kExitUsage));
  return r;
}

CacheRepository::CacheRepository(Reference repository, const RegistryOptions& options, fs::path mount_cache_file,
                                 std::unique_ptr<Transport> transport)
    : repository_(std::move(repository)),
      options_(options),
      client_(std::make_unique<RegistryClient>(repository_, options_, RegistryClient::Access::PullPush,
                                               std::move(transport))),
      mounts_(std::move(mount_cache_file)) {}

CacheRepository::~CacheRepository() = default;

RegistryClient& CacheRepository::client() {
  if (!pinged_) {
    client_->ping();
    pinged_ = true;
  }
  return *client_;
}

std::string CacheRepository::entry_name(const std::string& key) const { return repository_.name() + ":" + cache_tag(key); }

CacheLookup CacheRepository::fetch(const std::string& key, const std::string& media_type, const fs::path& dest) {
  const std::string tag = cache_tag(key);
  RegistryClient& c = client();
  const std::string step = "looking up the cache entry " + entry_name(key);
  HttpRequest get;
  get.url = c.repo_url("manifests/" + tag);
  get.headers = {{"Accept", image::kMediaTypeManifest}};
  HttpResponse r = c.send(get, step);
  if (r.status == 404) return {};
  if (r.status != 200) throw http_error(step, r.status, r.body);

  CacheLookup out;
  try {
    CachedLayer layer = check_entry(c, key, media_type, r.body);
    image::Descriptor d;
    d.media_type = layer.media_type;
    d.digest = layer.digest;
    d.size = layer.size;
    try {
      download_blob(c, d, dest, options_.progress, &out.part_sha256);
    } catch (const Error& e) {
      if (util::interrupt_signal() != 0) throw;  // the user stopped the build: not a bad entry
      throw BadEntry(std::string("its layer blob did not arrive intact (") + e.what() + ")");
    }
    // The image's push to another repository here can mount the layer.
    mounts_.remember(repository_.registry, layer.digest, repository_.repository);
    mounts_.save();
    out.hit = std::move(layer);
  } catch (const BadEntry& e) {
    std::error_code ec;
    fs::remove(dest, ec);
    out.part_sha256.clear();
    out.rejected = e.what();
  }
  return out;
}

void CacheRepository::store(const std::string& key, const fs::path& blob, const CachedLayer& layer) {
  const std::string tag = cache_tag(key);
  RegistryClient& c = client();
  UploadSettings settings = UploadSettings::from(options_);
  auto open_layer = [&blob] {
    util::Fd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error("cannot read the layer " + blob.string() + " to upload it to the cache");
    return fd;
  };
  push_blob(c, open_layer, layer.digest, layer.size, mounts_, settings);
  const std::string config = util::canonical_json(config_json(key, layer));
  const std::string config_digest = util::sha256_digest(config);
  push_blob(c, [&config] { return memory_file(config); }, config_digest, config.size(), mounts_, settings);

  nlohmann::json manifest{{"schemaVersion", 2},
                          {"mediaType", image::kMediaTypeManifest},
                          {"artifactType", kLayerCacheArtifactType},
                          {"config", descriptor_json(kLayerCacheConfigType, config_digest, config.size())},
                          {"layers", nlohmann::json::array({descriptor_json(layer.media_type, layer.digest, layer.size)})}};
  const std::string bytes = util::canonical_json(manifest);
  const std::string step = "storing the cache entry " + entry_name(key);
  HttpRequest put;
  put.method = "PUT";
  put.url = c.repo_url("manifests/" + tag);
  put.headers = {{"Content-Type", image::kMediaTypeManifest}};
  put.body = bytes;
  HttpResponse r = c.send(put, step);
  if (r.status != 201 && r.status != 200) throw http_error(step, r.status, r.body);
  if (std::string got = r.header("docker-content-digest"); !got.empty() && got != util::sha256_digest(bytes))
    throw Error(step + ": the registry stored the manifest with digest " + got.substr(0, 80));
  mounts_.save();
}

}  // namespace slimbuild::registry
