// A whole push_layout and pull_to_layout over a scripted Transport: a small
// in-memory registry (blobs, manifests by tag or digest, upload sessions)
// answers what a distribution registry would, so the order of the exchange,
// the bytes and Content-Type of each manifest PUT, the digest check and the
// referrers fallback are asserted without a registry process.
#include <catch2/catch.hpp>

#include <algorithm>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/registry/mount_cache.hpp>
#include <slimbuild/registry/pull.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/registry_client.hpp>
#include <slimbuild/util/base64.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/fake_process_runner.hpp"
#include "unit/scripted_transport.hpp"
#include "unit/test_layer_support.hpp"

using namespace slimbuild;
using namespace slimbuild::registry;
using scripted::resp;
using scripted::ScriptedTransport;

namespace {

constexpr const char* kBase = "https://reg.test/v2/team/app/";
constexpr const char* kSpdx = "application/spdx+json";

std::string unescape(std::string s) {
  for (std::size_t p; (p = s.find("%3A")) != std::string::npos;) s.replace(p, 3, ":");
  return s;
}

// What a distribution registry keeps for one repository, and how it answers.
struct FakeRegistry {
  std::map<std::string, std::string> blobs;  // digest -> bytes
  struct Stored {
    std::string content_type, body;
  };
  std::map<std::string, Stored> manifests;  // tag or digest -> manifest
  std::vector<std::string> log;              // "PUT manifests/1.0", ... in order
  bool answers_subject = false;              // OCI 1.1: OCI-Subject on a manifest PUT with a subject
  std::string wrong_digest;                  // answered instead of the true manifest digest when set
  bool corrupt_blobs = false;                // GET blob sends other bytes

  HttpResponse operator()(const HttpRequest& r) {
    if (r.url == "https://reg.test/v2/") return resp(200);
    REQUIRE(r.url.rfind(kBase, 0) == 0);
    std::string path = unescape(r.url.substr(std::string(kBase).size()));
    std::string query;
    if (auto q = path.find('?'); q != std::string::npos) query = path.substr(q + 1), path.resize(q);
    log.push_back(r.method + " " + path);
    if (path.rfind("blobs/uploads/", 0) == 0) {
      if (r.method == "POST") return resp(202, {{"location", "/v2/team/app/blobs/uploads/s1"}});
      REQUIRE(r.method == "PUT");
      REQUIRE(r.file_body);
      std::string bytes = scripted::read_range(*r.file_body);
      std::string digest = util::sha256_digest(bytes);
      REQUIRE(query == "digest=" + digest);
      blobs[digest] = bytes;
      return resp(201, {{"docker-content-digest", digest}});
    }
    if (path.rfind("blobs/", 0) == 0) {
      auto it = blobs.find(path.substr(6));
      if (it == blobs.end()) return resp(404, {}, R"({"errors":[{"code":"BLOB_UNKNOWN"}]})");
      if (r.method == "HEAD") return resp(200);
      std::string bytes = corrupt_blobs ? std::string(it->second.size(), 'x') : it->second;
      if (r.sink) r.sink(bytes.data(), bytes.size());
      return resp(200);
    }
    REQUIRE(path.rfind("manifests/", 0) == 0);
    std::string ref = path.substr(10);
    if (r.method == "PUT") {
      std::string digest = util::sha256_digest(r.body);
      manifests[ref] = {scripted::header(r, "Content-Type"), r.body};
      manifests[digest] = manifests[ref];
      std::multimap<std::string, std::string> h{{"docker-content-digest", wrong_digest.empty() ? digest : wrong_digest}};
      auto j = nlohmann::json::parse(r.body);
      if (answers_subject && j.contains("subject")) h.emplace("oci-subject", j["subject"]["digest"].get<std::string>());
      return resp(201, h);
    }
    auto it = manifests.find(ref);
    if (it == manifests.end()) return resp(404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})");
    return resp(200, {{"content-type", it->second.content_type}, {"docker-content-digest", util::sha256_digest(it->second.body)}},
                it->second.body);
  }
};

// No host credentials (empty DOCKER_CONFIG), fast retries.
struct Env {
  util::TempDir dir{"push-scripted"};
  util::ScopedEnvironment env{{{"DOCKER_CONFIG", dir.path().string()}, {"SLIMBUILD_RETRY_BASE_MS", "1"}}};
};

struct Sample {
  fs::path dir;
  image::Descriptor image, sbom;
  std::string config_digest, layer_digest;
};

// One image with one layer and an SPDX referrer, as `slimbuild build` writes it.
Sample write_sample(const fs::path& dir) {
  image::LayoutWriter w(dir);
  rootfs::Rootfs r;
  r.add(layer_test::generated("/etc/hello", "hello\n"));
  image::ImageConfigSpec s;
  s.architecture = "amd64";
  Sample out{dir, w.add_image(s, w.put_layer(r, {}), {}, "latest"), {}, {}, {}};
  out.sbom = w.add_referrer(out.image, kSpdx, R"({"spdxVersion":"SPDX-2.3"})", kSpdx, {});
  w.commit();
  auto m = nlohmann::json::parse(util::read_file(dir / "blobs/sha256" / out.image.digest.substr(7)));
  out.config_digest = m["config"]["digest"];
  out.layer_digest = m["layers"][0]["digest"];
  return out;
}

RegistryOptions quiet() {
  RegistryOptions o;
  o.progress = false;
  return o;
}

struct Session {
  std::unique_ptr<RegistryClient> client;
  ScriptedTransport* transport;
};

Session connect(FakeRegistry& registry, const std::string& reference, RegistryClient::Access access) {
  auto t = std::make_unique<ScriptedTransport>();
  auto* tp = t.get();
  tp->handler = [&registry](const HttpRequest& r) { return registry(r); };
  return {std::make_unique<RegistryClient>(*parse_reference(reference), quiet(), access, std::move(t)), tp};
}

std::size_t position(const std::vector<std::string>& log, const std::string& entry) {
  auto it = std::find(log.begin(), log.end(), entry);
  REQUIRE(it != log.end());
  return static_cast<std::size_t>(it - log.begin());
}

PushResult push(FakeRegistry& registry, const Sample& s, const Env& env, const std::string& reference = "reg.test/team/app:1.0") {
  auto session = connect(registry, reference, RegistryClient::Access::PullPush);
  MountCache cache(env.dir.path() / "mounts.json");
  PushResult r = push_layout(*session.client, s.dir, std::nullopt, quiet(), cache);
  CHECK(session.transport->seen.front().url == "https://reg.test/v2/");  // the ping comes first
  return r;
}

}  // namespace

TEST_CASE("push scripted: a whole push uploads what is missing, PUTs the manifest, then its referrer") {
  Env env;
  Sample s = write_sample(env.dir.path() / "layout");
  FakeRegistry registry;
  registry.blobs[s.config_digest] = util::read_file(s.dir / "blobs/sha256" / s.config_digest.substr(7));

  PushResult r = push(registry, s, env);

  CHECK(r.reference == "reg.test/team/app:1.0");
  CHECK(r.manifest_digest == s.image.digest);
  std::map<std::string, std::string> actions;
  for (const auto& b : r.blobs) actions[b.digest] = b.action;
  CHECK(actions[s.config_digest] == "exists");  // HEAD 200: not sent again
  CHECK(actions[s.layer_digest] == "uploaded");  // HEAD 404: POST + PUT ?digest=
  CHECK(registry.blobs[s.layer_digest] == util::read_file(s.dir / "blobs/sha256" / s.layer_digest.substr(7)));
  CHECK(std::count(registry.log.begin(), registry.log.end(), "POST blobs/uploads/") == 3);  // the layer; the SBOM's empty config and its layer

  // The manifest under the tag: our exact bytes with their media type.
  REQUIRE(registry.manifests.count("1.0"));
  CHECK(registry.manifests["1.0"].body == util::read_file(s.dir / "blobs/sha256" / s.image.digest.substr(7)));
  CHECK(registry.manifests["1.0"].content_type == image::kMediaTypeManifest);

  // The referrer by digest after its subject; no OCI-Subject answer, so the
  // referrers tag index names it.
  REQUIRE(r.referrers == std::vector<std::string>{s.sbom.digest});
  CHECK(position(registry.log, "PUT manifests/1.0") < position(registry.log, "PUT manifests/" + s.sbom.digest));
  const std::string tag = "sha256-" + s.image.digest.substr(7);
  CHECK(position(registry.log, "PUT manifests/" + s.sbom.digest) < position(registry.log, "GET manifests/" + tag));
  REQUIRE(registry.manifests.count(tag));
  auto index = nlohmann::json::parse(registry.manifests[tag].body);
  CHECK(registry.manifests[tag].content_type == image::kMediaTypeIndex);
  REQUIRE(index["manifests"].size() == 1);
  CHECK(index["manifests"][0]["digest"] == s.sbom.digest);
  CHECK(index["manifests"][0]["artifactType"] == kSpdx);
}

TEST_CASE("push scripted: a registry with the referrers API (OCI-Subject) gets no referrers tag") {
  Env env;
  Sample s = write_sample(env.dir.path() / "layout");
  FakeRegistry registry;
  registry.answers_subject = true;
  push(registry, s, env);
  CHECK(registry.manifests.count(s.sbom.digest) == 1);
  CHECK(registry.manifests.count("sha256-" + s.image.digest.substr(7)) == 0);
  CHECK(std::none_of(registry.log.begin(), registry.log.end(),
                     [](const std::string& e) { return e.find("manifests/sha256-") != std::string::npos; }));
}

TEST_CASE("push scripted: a wrong Docker-Content-Digest fails the push before any referrer") {
  Env env;
  Sample s = write_sample(env.dir.path() / "layout");
  FakeRegistry registry;
  registry.wrong_digest = "sha256:" + std::string(64, 'e');
  CHECK_THROWS_WITH(push(registry, s, env),
                    Catch::Contains("pushing manifest") && Catch::Contains("the registry computed digest sha256:eeee") &&
                        Catch::Contains("but ours is " + s.image.digest));
  CHECK(registry.manifests.count(s.sbom.digest) == 0);
}

TEST_CASE("push scripted: a reference with another digest than the image is refused before any request") {
  Env env;
  Sample s = write_sample(env.dir.path() / "layout");
  FakeRegistry registry;
  CHECK_THROWS_WITH(push(registry, s, env, "reg.test/team/app@sha256:" + std::string(64, 'a')),
                    Catch::Contains("the reference names digest"));
  CHECK(registry.log.empty());
}

TEST_CASE("pull scripted: a pushed image comes back as an identical layout; bad bytes leave nothing") {
  Env env;
  Sample s = write_sample(env.dir.path() / "layout");
  FakeRegistry registry;
  push(registry, s, env);

  fs::path out = env.dir.path() / "pulled";
  auto session = connect(registry, "reg.test/team/app:1.0", RegistryClient::Access::Pull);
  PullResult r = pull_to_layout(*session.client, out, false);
  CHECK(r.manifest_digest == s.image.digest);
  image::LayoutReader pulled(out);
  image::Descriptor d = pulled.find_image();
  CHECK(d.digest == s.image.digest);
  CHECK(d.annotations.at(image::kAnnotationRefName) == "1.0");
  for (const auto& digest : {s.image.digest, s.config_digest, s.layer_digest})
    CHECK(util::read_file(out / "blobs/sha256" / digest.substr(7)) == util::read_file(s.dir / "blobs/sha256" / digest.substr(7)));

  auto again = connect(registry, "reg.test/team/app:1.0", RegistryClient::Access::Pull);
  CHECK(resolve_digest(*again.client) == s.image.digest);

  registry.corrupt_blobs = true;
  fs::path bad = env.dir.path() / "bad";
  auto third = connect(registry, "reg.test/team/app:1.0", RegistryClient::Access::Pull);
  CHECK_THROWS_WITH(pull_to_layout(*third.client, bad, false), Catch::Contains("do not match the digest"));
  CHECK_FALSE(fs::exists(bad));
}

TEST_CASE("push scripted: the options' runner answers for the credential helper, and its password authorises the push") {
  Env env;
  util::write_file_atomic(env.dir.path() / "config.json", R"({"credHelpers": {"reg.test": "fake"}})");
  fake_process::FakeProcessRunner runner;
  runner.programs = {"docker-credential-fake"};
  runner.handler = [](const auto&, const auto&) {
    return fake_process::result(0, R"({"ServerURL":"reg.test","Username":"u","Secret":"s3cret"})");
  };
  FakeRegistry registry;
  Sample s = write_sample(env.dir.path() / "layout");
  auto t = std::make_unique<ScriptedTransport>();
  ScriptedTransport* tp = t.get();
  const std::string expected = "Basic " + util::base64_encode("u:s3cret");
  int refused = 0;
  tp->handler = [&](const HttpRequest& r) {
    if (scripted::header(r, "Authorization") != expected) {
      ++refused;
      return resp(401, {{"www-authenticate", R"(Basic realm="reg.test")"}});
    }
    return registry(r);
  };
  RegistryOptions o = quiet();
  o.runner = &runner;
  RegistryClient client(*parse_reference("reg.test/team/app:1.0"), o, RegistryClient::Access::PullPush, std::move(t));
  MountCache cache(env.dir.path() / "mounts.json");
  push_layout(client, s.dir, std::nullopt, o, cache);
  CHECK(registry.manifests.count("1.0") == 1);
  CHECK(refused <= 1);  // at most the first, unauthenticated ping
  REQUIRE(!runner.calls.empty());
  CHECK(runner.calls[0].argv == std::vector<std::string>{"docker-credential-fake", "get"});
  CHECK(runner.calls[0].options.input == "reg.test\n");
}
