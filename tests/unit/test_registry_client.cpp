// RegistryClient, Authenticator and push_blob against a scripted Transport,
// for exchanges a real docker-registry does not produce on demand: revoked
// tokens, "access_token"-only answers, garbage challenges, partial chunk
// acceptance with relative Locations, and a registry that stores other bytes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>

#include <slimbuild/registry/blob_upload.hpp>
#include <slimbuild/registry/registry_client.hpp>
#include "registry/url.hpp"
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/redact.hpp>
#include <slimbuild/util/sha256.hpp>

#include "unit/scripted_transport.hpp"

using namespace slimbuild;
using namespace slimbuild::registry;

namespace {

OpenBlob open_file(const fs::path& p) {
  return [p] { return util::Fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC)); };
}

using scripted::header;
using scripted::read_range;
using scripted::resp;
using scripted::ScriptedTransport;

// No credentials from the host (an empty DOCKER_CONFIG), fast retries; the
// previous environment comes back afterwards.
struct Env {
  util::TempDir dir{"registry-client"};
  util::ScopedEnvironment env{{{"DOCKER_CONFIG", dir.path().string()}, {"SLIMBUILD_RETRY_BASE_MS", "1"}}};
};

Reference ref(const std::string& s) { return *parse_reference(s); }

HttpRequest head_blob(const RegistryClient& client) {
  HttpRequest head;
  head.method = "HEAD";
  head.url = client.repo_url("blobs/sha256:" + std::string(64, '1'));
  return head;
}

// The Error a request fails with (the test fails when it succeeds).
Error send_error(RegistryClient& client, const HttpRequest& request) {
  try {
    client.send(request, "checking");
  } catch (const Error& e) {
    return e;
  }
  FAIL("the request succeeded");
  return Error("");
}

RegistryOptions with_user() {
  RegistryOptions o;
  o.username = "alice";
  o.password = "pw-never-shown";
  o.progress = false;
  return o;
}

}  // namespace

TEST_CASE("registry: bearer token fetched once, reused, and renewed after a 401") {
  Env env;
  auto t = std::make_unique<ScriptedTransport>();
  auto* tp = t.get();
  int token_fetches = 0, heads = 0;
  tp->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url == "https://reg.test/v2/")
      return resp(401, {{"www-authenticate", R"(Bearer realm="https://auth.test/token",service="reg.test")"}});
    if (r.url.rfind("https://auth.test/token?", 0) == 0) {
      ++token_fetches;
      CHECK(r.url.find("service=reg.test") != std::string::npos);
      CHECK(r.url.find("scope=repository%3Ateam%2Fapp%3Apull%2Cpush") != std::string::npos);
      CHECK(header(r, "Authorization").rfind("Basic ", 0) == 0);
      return resp(200, {}, R"({"access_token":"T)" + std::to_string(token_fetches) + R"(","expires_in":300})");
    }
    ++heads;
    // The second HEAD finds T1 revoked: only T2 is accepted from then on.
    if (heads == 2) return resp(401, {{"www-authenticate", R"(Bearer realm="https://auth.test/token",service="reg.test")"}});
    CHECK(header(r, "Authorization") == (heads == 1 ? "Bearer T1" : "Bearer T2"));
    return resp(200);
  };
  RegistryClient client(ref("reg.test/team/app:1"), with_user(), RegistryClient::Access::PullPush, std::move(t));
  client.ping();
  HttpRequest head = head_blob(client);
  CHECK(client.send(head, "checking").status == 200);
  CHECK(client.send(head, "checking").status == 200);
  CHECK(client.send(head, "checking").status == 200);
  CHECK(token_fetches == 2);
  CHECK(heads == 4);
}

TEST_CASE("registry: unusable auth answers are clear errors") {
  Env env;
  auto t = std::make_unique<ScriptedTransport>();
  std::string challenge = R"(Bearer realm="https://auth.test/token)";  // unterminated
  std::string token_body;
  t->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url.find("/v2/") != std::string::npos && r.url.find("auth.test") == std::string::npos)
      return resp(401, {{"www-authenticate", challenge}});
    return resp(200, {}, token_body);
  };
  auto* tp = t.get();
  RegistryClient client(ref("reg.test/team/app"), with_user(), RegistryClient::Access::PullPush, std::move(t));
  CHECK_THROWS_WITH(client.ping(), Catch::Contains("malformed WWW-Authenticate"));

  challenge = R"(Bearer realm="https://auth.test/token")";
  token_body = R"({"expires_in":300})";
  client.ping();
  HttpRequest head = head_blob(client);
  Error e = send_error(client, head);
  CHECK_THAT(e.what(), Catch::Contains("without a token"));
  CHECK_THAT(e.what(), !Catch::Contains("pw-never-shown"));
  challenge = R"(Bearer realm="http://auth.test/token")";  // plain http: no password over it
  client.ping();
  CHECK_THROWS_WITH(client.send(head, "checking"), Catch::Contains("plain-http token service"));
  challenge = "Negotiate";
  CHECK_THROWS_WITH(client.ping(), Catch::Contains("does not support"));
  (void)tp;
}

TEST_CASE("registry: chunked upload follows relative Locations and the Range the registry holds") {
  Env env;
  util::TempDir dir("registry-upload");
  std::string data;
  for (int i = 0; i < 10000; ++i) data += static_cast<char>('a' + i % 26);
  fs::path blob = dir.path() / "blob";
  std::ofstream(blob, std::ios::binary) << data;
  const std::string digest = util::sha256_digest(data);

  std::string received;
  int patches = 0;
  auto t = std::make_unique<ScriptedTransport>();
  t->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url.ends_with("://reg.test/v2/")) return resp(200);
    if (r.method == "HEAD") return resp(404);
    if (r.method == "POST") return resp(202, {{"location", "/v2/team/app/blobs/uploads/s1?_state=0"}});
    if (r.method == "PATCH") {
      ++patches;
      std::string range = header(r, "Content-Range");
      CHECK(range == std::to_string(received.size()) + "-" + std::to_string(received.size() + r.file_body->length - 1));
      CHECK(header(r, "Content-Type") == "application/octet-stream");
      CHECK(r.url.find("/v2/team/app/blobs/uploads/s1?_state=") != std::string::npos);
      // Keep only the first 1000 bytes of each chunk, as a registry under pressure may.
      std::string chunk = read_range(*r.file_body);
      received += chunk.substr(0, std::min<std::size_t>(chunk.size(), 1000));
      return resp(202, {{"location", "s1?_state=" + std::to_string(received.size())},
                        {"range", "0-" + std::to_string(received.size() - 1)}});
    }
    if (r.method == "PUT") {
      CHECK(r.url.find("digest=sha256%3A" + digest.substr(7)) != std::string::npos);
      CHECK_FALSE(r.file_body);
      return resp(201, {{"docker-content-digest", util::sha256_digest(received)}});
    }
    FAIL("unexpected " << r.method << " " << r.url);
    return resp(500);
  };
  RegistryOptions o;
  o.insecure_registry = true;
  o.progress = false;
  RegistryClient client(ref("reg.test/team/app"), o, RegistryClient::Access::PullPush, std::move(t));
  client.ping();
  UploadSettings s;
  s.monolithic_max = 1000;
  s.chunk_size = 4096;
  s.progress = false;
  MountCache cache("");
  BlobOutcome out = push_blob(client, open_file(blob), digest, data.size(), cache, s);
  CHECK(out.action == "uploaded");
  CHECK(received == data);
  CHECK(patches == 10);
}

TEST_CASE("registry: a registry that stores different bytes fails the push") {
  Env env;
  util::TempDir dir("registry-upload");
  fs::path blob = dir.path() / "blob";
  std::ofstream(blob, std::ios::binary) << "hello";
  auto t = std::make_unique<ScriptedTransport>();
  int puts = 0;
  t->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url.ends_with("://reg.test/v2/")) return resp(200);
    if (r.method == "HEAD") return resp(404);
    if (r.method == "POST") return resp(202, {{"location", "http://reg.test/v2/team/app/blobs/uploads/s1"}});
    ++puts;
    CHECK(read_range(*r.file_body) == "hello");
    return resp(201, {{"docker-content-digest", "sha256:" + std::string(64, 'f')}});
  };
  RegistryOptions o;
  o.insecure_registry = true;
  RegistryClient client(ref("reg.test/team/app"), o, RegistryClient::Access::PullPush, std::move(t));
  client.ping();
  UploadSettings s;
  s.progress = false;
  MountCache cache("");
  CHECK_THROWS_WITH(push_blob(client, open_file(blob), util::sha256_digest("hello"), 5, cache, s),
                    Catch::Contains("stored the blob as sha256:ffff"));
  CHECK(puts == 1);  // not retried: the bytes, not the network, are wrong
}

TEST_CASE("registry: a blob HEAD redirected to storage counts as present") {
  Env env;
  util::TempDir dir("registry-upload");
  auto t = std::make_unique<ScriptedTransport>();
  t->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url.ends_with("://reg.test/v2/")) return resp(200);
    CHECK(r.method == "HEAD");
    return resp(307, {{"location", "https://storage.test/blob?sig=x"}});
  };
  RegistryOptions o;
  RegistryClient client(ref("reg.test/team/app"), o, RegistryClient::Access::PullPush, std::move(t));
  client.ping();
  UploadSettings s;
  s.progress = false;
  MountCache cache("");
  auto out = push_blob(client, open_file(dir.path() / "unused"), "sha256:" + std::string(64, '2'), 10, cache, s);
  CHECK(out.action == "exists");
}

TEST_CASE("registry: secrets echoed by a hostile token service are redacted") {
  Env env;
  auto t = std::make_unique<ScriptedTransport>();
  t->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url.ends_with("://reg.test/v2/"))
      return resp(401, {{"www-authenticate", R"(Bearer realm="https://auth.test/token",service="reg.test")"}});
    return resp(401, {}, R"({"errors":[{"code":"DENIED","message":"password pw-never-shown is wrong"}]})");
  };
  RegistryClient client(ref("reg.test/team/app"), with_user(), RegistryClient::Access::PullPush, std::move(t));
  client.ping();
  Error e = send_error(client, head_blob(client));
  CHECK_THAT(e.what(), Catch::Contains("password *** is wrong"));
  CHECK_THAT(std::string(e.what()) + e.hint(), !Catch::Contains("pw-never-shown"));
}

TEST_CASE("registry: credentials go only to the registry's origin, plain http elsewhere is refused") {
  Env env;
  auto t = std::make_unique<ScriptedTransport>();
  auto* tp = t.get();
  tp->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url == "https://reg.test/v2/") return resp(401, {{"www-authenticate", R"(Basic realm="reg")"}});
    if (r.url.starts_with("https://reg.test/")) return resp(307, {{"location", "https://storage.test:8443/b?sig=1"}});
    if (r.url.starts_with("https://storage.test:8443/")) return resp(307, {{"location", "http://storage.test:8443/b"}});
    return resp(200);
  };
  RegistryClient client(ref("reg.test/team/app"), with_user(), RegistryClient::Access::Pull, std::move(t));
  client.ping();
  HttpRequest get;
  get.url = client.repo_url("blobs/sha256:" + std::string(64, '1'));
  get.follow_redirects = true;
  auto r = client.send_once(get);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("plain http http://storage.test:8443"));
  CHECK_THAT(r.error().hint, Catch::Contains("--insecure-registry"));
  CHECK_FALSE(r.error().retryable);
  REQUIRE(tp->seen.size() == 3);  // ping, the registry, the https storage; never the http one
  CHECK(header(tp->seen[1], "Authorization").starts_with("Basic "));
  CHECK(header(tp->seen[2], "Authorization").empty());
  // The same host on another port or scheme is another origin too.
  CHECK(same_origin("https://Reg.Test/v2/", "https://reg.test:443/x"));
  CHECK_FALSE(same_origin("https://reg.test/v2/", "https://reg.test:5000/v2/"));
  CHECK_FALSE(same_origin("https://reg.test/v2/", "http://reg.test:443/v2/"));
  CHECK_FALSE(same_origin("https://reg.test/", "https://reg.test@evil.test/"));
}

TEST_CASE("registry: base64(user:password) and tokens echoed in a retried 503 never reach a message") {
  Env env;
  auto t = std::make_unique<ScriptedTransport>();
  t->handler = [&](const HttpRequest& r) -> HttpResponse {
    if (r.url == "https://reg.test/v2/") return resp(401, {{"www-authenticate", R"(Basic realm="reg")"}});
    return resp(503, {}, R"({"errors":[{"code":"UNAVAILABLE","message":"echo: )" + header(r, "Authorization") + R"("}]})");
  };
  RegistryClient client(ref("reg.test/team/app"), with_user(), RegistryClient::Access::Pull, std::move(t));
  client.ping();
  Error e = send_error(client, head_blob(client));
  const std::string b64 = basic_authorization("alice", "pw-never-shown").substr(6);
  CHECK_THAT(e.what(), Catch::Contains("echo: Basic ***"));
  CHECK_THAT(util::redact(std::string("a ") + b64 + " b"), Catch::Equals("a *** b"));
}
