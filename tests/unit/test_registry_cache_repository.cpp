// registry::CacheRepository against an in-memory registry behind a scripted
// Transport: tag derivation and --cache-ref parsing, a 404 is a plain miss,
// a store then a fetch round-trips (and records the repository for mounts),
// and entries that are wrong in any way (other bytes for the layer, not
// JSON, another key's config, a manifest naming another blob) are rejected
// with a reason and never served, while a failing registry is an Error.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include <slimbuild/registry/cache_repository.hpp>
#include <slimbuild/registry/mount_cache.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

using namespace slimbuild;
using namespace slimbuild::registry;

namespace {

constexpr const char* kGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
const std::string kBase = "https://reg.test/v2/team/cache/";

// Blobs and manifests by digest / tag, and the requests it saw.
struct FakeRegistry {
  std::map<std::string, std::string> blobs;
  std::map<std::string, std::string> manifests;
  std::vector<std::string> seen;  // "METHOD path"
  std::function<std::optional<HttpResponse>(const HttpRequest&, const std::string& path)> override_;

  static HttpResponse resp(long status, std::string body = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }

  HttpResponse handle(const HttpRequest& r) {
    if (r.url == "https://reg.test/v2/") return resp(200);
    REQUIRE(r.url.rfind(kBase, 0) == 0);
    std::string path = r.url.substr(kBase.size());
    seen.push_back(r.method + " " + path);
    if (override_)
      if (auto o = override_(r, path)) return *o;
    if (path.rfind("blobs/uploads/", 0) == 0) {
      if (r.method == "POST") {
        HttpResponse h = resp(202);
        h.headers.emplace("location", kBase + "blobs/uploads/session");
        return h;
      }
      std::string digest = path.substr(path.find("digest=") + 7);
      if (auto pct = digest.find("%3A"); pct != std::string::npos) digest.replace(pct, 3, ":");
      REQUIRE(r.file_body);
      std::string bytes(r.file_body->length, '\0');
      REQUIRE(::pread(r.file_body->fd, bytes.data(), bytes.size(), static_cast<off_t>(r.file_body->offset)) ==
              static_cast<ssize_t>(bytes.size()));
      REQUIRE(util::sha256_digest(bytes) == digest);
      blobs[digest] = bytes;
      return resp(201);
    }
    if (path.rfind("blobs/", 0) == 0) {
      auto it = blobs.find(path.substr(6));
      if (it == blobs.end()) return resp(404);
      if (r.method == "HEAD") return resp(200);
      if (r.sink) {
        r.sink(it->second.data(), it->second.size());
        return resp(200);
      }
      return resp(200, it->second);
    }
    if (path.rfind("manifests/", 0) == 0) {
      std::string tag = path.substr(10);
      if (r.method == "PUT") {
        manifests[tag] = r.body;
        HttpResponse h = resp(201);
        h.headers.emplace("docker-content-digest", util::sha256_digest(r.body));
        return h;
      }
      auto it = manifests.find(tag);
      if (it == manifests.end()) return resp(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})");
      HttpResponse h = resp(200, it->second);
      h.headers.emplace("content-type", "application/vnd.oci.image.manifest.v1+json");
      return h;
    }
    FAIL("unexpected request " + r.method + " " + r.url);
    return resp(500);
  }
};

class FakeTransport : public Transport {
 public:
  explicit FakeTransport(FakeRegistry& reg) : reg_(reg) {}
  std::expected<HttpResponse, TransportError> perform(const HttpRequest& r) override { return reg_.handle(r); }

 private:
  FakeRegistry& reg_;
};

struct Fixture {
  util::TempDir dir{"cache-repository"};
  util::ScopedEnvironment env{{{"DOCKER_CONFIG", dir.path().string()}, {"SLIMBUILD_RETRY_BASE_MS", "1"}}};
  FakeRegistry reg;
  std::string key = std::string(64, 'a');
  std::string blob_bytes = std::string(5000, 'L') + "layer";
  fs::path blob = dir.path() / "layer.blob";
  fs::path dest = dir.path() / "fetched";
  fs::path mounts = dir.path() / "mounts.json";
  CachedLayer layer;

  Fixture() {
    std::ofstream(blob, std::ios::binary) << blob_bytes;
    layer = {util::sha256_digest(blob_bytes), blob_bytes.size(), kGzip, "sha256:" + std::string(64, 'd'), 10240};
  }
  std::unique_ptr<CacheRepository> repo() {
    RegistryOptions o;
    o.progress = false;
    return std::make_unique<CacheRepository>(*parse_reference("reg.test/team/cache"), o, mounts,
                                             std::make_unique<FakeTransport>(reg));
  }
  // The entry as stored, with `edit` applied to its manifest (re-PUT under the tag).
  void edit_manifest(const std::function<void(nlohmann::json&)>& edit) {
    auto m = nlohmann::json::parse(reg.manifests.at(cache_tag(key)));
    edit(m);
    reg.manifests[cache_tag(key)] = m.dump();
  }
};

}  // namespace

TEST_CASE("registry cache: tags come from the key, --cache-ref is a repository") {
  std::string key(64, 'f');
  CHECK(cache_tag(key) == "slimbuild-layer-" + key);
  CHECK(cache_tag(key).size() <= 128);
  CHECK_THROWS(cache_tag("ABC"));
  CHECK_THROWS(cache_tag(std::string(64, 'F')));
  CHECK_THROWS(cache_tag(std::string(63, 'a') + "/"));

  auto ok = parse_cache_ref("registry.example.com/team/slimbuild-cache");
  REQUIRE(ok);
  CHECK(ok->registry == "registry.example.com");
  CHECK(ok->repository == "team/slimbuild-cache");
  auto tagged = parse_cache_ref("registry.example.com/team/cache:v1");
  REQUIRE_FALSE(tagged);
  CHECK(std::string(tagged.error().what()).find("names a tag") != std::string::npos);
  CHECK(tagged.error().exit_code() == kExitUsage);
  auto pinned = parse_cache_ref("registry.example.com/team/cache@sha256:" + std::string(64, '0'));
  REQUIRE_FALSE(pinned);
  CHECK(std::string(pinned.error().what()).find("names a digest") != std::string::npos);
  CHECK_FALSE(parse_cache_ref("Registry.example.com/Team"));
}

TEST_CASE("registry cache: a missing tag is a miss, nothing written") {
  Fixture f;
  CacheLookup got = f.repo()->fetch(f.key, kGzip, f.dest);
  CHECK_FALSE(got.hit);
  CHECK(got.rejected.empty());
  CHECK_FALSE(fs::exists(f.dest));
  CHECK(f.reg.seen == std::vector<std::string>{"GET manifests/" + cache_tag(f.key)});
}

TEST_CASE("registry cache: a stored entry is fetched back verified and recorded for mounts") {
  Fixture f;
  f.repo()->store(f.key, f.blob, f.layer);
  REQUIRE(f.reg.manifests.count(cache_tag(f.key)));
  auto m = nlohmann::json::parse(f.reg.manifests[cache_tag(f.key)]);
  CHECK(m["artifactType"] == kLayerCacheArtifactType);
  CHECK(m["config"]["mediaType"] == kLayerCacheConfigType);
  REQUIRE(m["layers"].size() == 1);
  CHECK(m["layers"][0]["digest"] == f.layer.digest);
  CHECK(m["layers"][0]["mediaType"] == kGzip);
  CHECK(f.reg.blobs.at(f.layer.digest) == f.blob_bytes);

  // A second store of the same key writes the same bytes (deterministic entries).
  std::string first = f.reg.manifests[cache_tag(f.key)];
  f.repo()->store(f.key, f.blob, f.layer);
  CHECK(f.reg.manifests[cache_tag(f.key)] == first);

  fs::remove(f.mounts);
  CacheLookup got = f.repo()->fetch(f.key, kGzip, f.dest);
  REQUIRE(got.rejected.empty());
  REQUIRE(got.hit);
  CHECK(got.hit->digest == f.layer.digest);
  CHECK(got.hit->size == f.layer.size);
  CHECK(got.hit->diff_id == f.layer.diff_id);
  CHECK(got.hit->tar_size == f.layer.tar_size);
  CHECK(util::read_file(f.dest) == f.blob_bytes);
  // The part hashes of the local cache's record, taken as the blob arrived.
  CHECK(got.part_sha256 == std::vector<std::string>{util::sha256_hex(f.blob_bytes)});
  MountCache mounts(f.mounts);
  CHECK(mounts.candidates("reg.test", f.layer.digest, "team/app") == std::vector<std::string>{"team/cache"});

  // Asked for zstd, a gzip entry is not served.
  fs::remove(f.dest);
  got = f.repo()->fetch(f.key, "application/vnd.oci.image.layer.v1.tar+zstd", f.dest);
  CHECK_FALSE(got.hit);
  CHECK(got.rejected.find("media type") != std::string::npos);
}

TEST_CASE("registry cache: other bytes for the layer are never served") {
  Fixture f;
  f.repo()->store(f.key, f.blob, f.layer);
  f.reg.blobs[f.layer.digest][10] = 'X';  // the registry's storage went bad
  CacheLookup got = f.repo()->fetch(f.key, kGzip, f.dest);
  CHECK_FALSE(got.hit);
  CHECK(got.rejected.find("did not arrive intact") != std::string::npos);
  CHECK_FALSE(fs::exists(f.dest));

  // More bytes than the descriptor says are cut off, not accepted.
  f.reg.blobs[f.layer.digest] = f.blob_bytes + "trailing";
  got = f.repo()->fetch(f.key, kGzip, f.dest);
  CHECK_FALSE(got.hit);
  CHECK_FALSE(fs::exists(f.dest));
}

TEST_CASE("registry cache: malformed or mismatched entries are rejected with a reason") {
  Fixture f;
  f.repo()->store(f.key, f.blob, f.layer);
  const std::string good = f.reg.manifests[cache_tag(f.key)];
  auto rejected = [&f]() {
    CacheLookup got = f.repo()->fetch(f.key, kGzip, f.dest);
    CHECK_FALSE(got.hit);
    CHECK_FALSE(fs::exists(f.dest));
    return got.rejected;
  };

  f.reg.manifests[cache_tag(f.key)] = "{not json";
  CHECK(rejected().find("not JSON") != std::string::npos);

  f.reg.manifests[cache_tag(f.key)] = good;
  f.edit_manifest([](nlohmann::json& m) { m["artifactType"] = "application/vnd.example+json"; });
  CHECK(rejected().find("artifactType") != std::string::npos);

  // The tag names a manifest whose layer is some other (valid) blob.
  f.reg.manifests[cache_tag(f.key)] = good;
  std::string other = "another layer";
  f.reg.blobs[util::sha256_digest(other)] = other;
  f.edit_manifest([&](nlohmann::json& m) {
    m["layers"][0]["digest"] = util::sha256_digest(other);
    m["layers"][0]["size"] = other.size();
  });
  CHECK(rejected().find("not the layer its config describes") != std::string::npos);

  // Another key's entry copied under this key's tag.
  Fixture g;
  g.key = std::string(64, 'b');
  g.repo()->store(g.key, f.blob, f.layer);
  f.reg.manifests[cache_tag(f.key)] = g.reg.manifests[cache_tag(g.key)];
  for (auto& [d, b] : g.reg.blobs) f.reg.blobs[d] = b;
  CHECK(rejected().find("another key") != std::string::npos);

  // Its config gone (e.g. garbage-collected).
  f.reg.manifests[cache_tag(f.key)] = good;
  auto config = nlohmann::json::parse(good)["config"]["digest"].get<std::string>();
  f.reg.blobs.erase(config);
  CHECK(rejected().find("config blob is missing") != std::string::npos);
}

TEST_CASE("registry cache: a failing registry is an Error, not a miss") {
  Fixture f;
  f.reg.override_ = [](const HttpRequest&, const std::string&) -> std::optional<HttpResponse> {
    return FakeRegistry::resp(503, R"({"errors":[{"code":"UNAVAILABLE","message":"down"}]})");
  };
  CHECK_THROWS_AS(f.repo()->fetch(f.key, kGzip, f.dest), Error);
  CHECK_THROWS_AS(f.repo()->store(f.key, f.blob, f.layer), Error);
  f.reg.override_ = [](const HttpRequest&, const std::string&) -> std::optional<HttpResponse> {
    return FakeRegistry::resp(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})");
  };
  CHECK_THROWS_AS(f.repo()->fetch(f.key, kGzip, f.dest), Error);
}
