// BlobStreamer (build --push streams the layer during compression) against
// a scripted registry: chunks leave while the blob is still growing, the
// commit names the digest only after closed(), and every failure is an
// outcome for the push to fall back on, never an exception or a commit of a
// blob that was not finished. The transport runs on the streamer's worker
// thread, so it only records; the assertions run on the test's thread.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <tuple>

#include <slimbuild/registry/blob_stream.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

using namespace slimbuild;
using namespace slimbuild::registry;

namespace {

struct Seen {
  std::string method, url, range;
  std::string body;  // a PATCH's bytes, read when it arrived
};

class RecordingRegistry : public Transport {
 public:
  explicit RecordingRegistry(std::function<std::optional<HttpResponse>(const HttpRequest&)> override_ = {})
      : override_(std::move(override_)) {}

  std::expected<HttpResponse, TransportError> perform(const HttpRequest& r) override {
    Seen s{r.method, r.url, {}, {}};
    for (const auto& [k, v] : r.headers)
      if (k == "Content-Range") s.range = v;
    if (r.file_body) {
      s.body.assign(r.file_body->length, '\0');
      if (::pread(r.file_body->fd, s.body.data(), s.body.size(), static_cast<off_t>(r.file_body->offset)) !=
          static_cast<ssize_t>(s.body.size()))
        s.body = "<short read>";
    }
    std::lock_guard lock(mutex_);
    seen_.push_back(s);
    if (override_)
      if (auto answer = override_(r)) return *answer;
    HttpResponse out;
    if (r.url.ends_with("/v2/")) {
      out.status = 200;
    } else if (r.method == "POST") {
      held_.clear();  // a new session
      out.status = 202;
      out.headers = {{"location", "/v2/team/app/blobs/uploads/u1"}};
    } else if (r.method == "PATCH") {
      held_ += s.body;
      out.status = 202;
      out.headers = {{"location", "/v2/team/app/blobs/uploads/u1"}, {"range", "0-" + std::to_string(held_.size() - 1)}};
    } else if (r.method == "PUT") {
      out.status = 201;
      out.headers = {{"docker-content-digest", util::sha256_digest(held_)}};
    } else {
      out.status = 500;
    }
    return out;
  }

  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  size_t count(const std::string& method) {
    size_t n = 0;
    for (const auto& s : seen()) n += s.method == method;
    return n;
  }
  std::string held() {
    std::lock_guard lock(mutex_);
    return held_;
  }

 private:
  std::function<std::optional<HttpResponse>(const HttpRequest&)> override_;
  std::mutex mutex_;
  std::vector<Seen> seen_;
  std::string held_;
};

// No host credentials; 4 KiB chunks so a few KiB make several.
struct Env {
  util::TempDir dir{"blob-stream"};
  util::ScopedEnvironment env{{{"DOCKER_CONFIG", dir.path().string()}, {"SLIMBUILD_CHUNK_SIZE", "4096"}}};
  RegistryOptions options() const {
    RegistryOptions o;
    o.insecure_registry = true;
    o.progress = false;
    return o;
  }
};

void append(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << bytes;
}

// Polls until `done` or 20 s pass (a condition, not a timing assertion).
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

std::string pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 23);
  return s;
}

// A streamer over a RecordingRegistry with an empty blob file just opened.
struct OpenedStream {
  explicit OpenedStream(const Env& env)
      : transport(std::make_unique<RecordingRegistry>()),
        registry(*transport),
        streamer("reg.test/team/app:1", env.options(), std::move(transport)),
        blob(env.dir.path() / "layer.tmp") {
    std::ofstream(blob, std::ios::binary).flush();
    streamer.opened(blob);
  }
  std::tuple<RecordingRegistry&, BlobStreamer&, const fs::path&> parts() { return {registry, streamer, blob}; }

  std::unique_ptr<RecordingRegistry> transport;
  RecordingRegistry& registry;
  BlobStreamer streamer;
  fs::path blob;
};

// One small blob written whole, then opened and closed: its one outcome,
// and how many PATCHes the registry saw (read while the streamer, which owns
// the transport, still lives).
struct SmallStream {
  StreamOutcome outcome;
  size_t patches = 0;
};
SmallStream stream_small(const Env& env, std::unique_ptr<RecordingRegistry> transport) {
  RecordingRegistry& registry = *transport;
  BlobStreamer streamer("reg.test/team/app:1", env.options(), std::move(transport));
  fs::path blob = env.dir.path() / "layer.tmp";
  std::ofstream(blob, std::ios::binary) << "small layer";
  streamer.opened(blob);
  streamer.closed(util::sha256_digest("small layer"), 11);
  auto outcomes = streamer.wait();
  REQUIRE(outcomes.size() == 1);
  return {outcomes[0], registry.count("PATCH")};
}

}  // namespace

TEST_CASE("blob stream: full chunks leave while the blob grows; the digest is committed after close") {
  Env env;
  OpenedStream opened(env);
  auto [registry, streamer, blob] = opened.parts();

  const std::string first = pattern(3 * 4096, 'a');
  append(blob, first);
  // Three chunks are complete: they are sent before the layer is finished.
  REQUIRE(eventually([&] { return registry.count("PATCH") == 3; }));
  CHECK(registry.count("PUT") == 0);
  const std::string tail = pattern(1000, 'A');
  append(blob, tail);
  const std::string all = first + tail;
  streamer.closed(util::sha256_digest(all), all.size());

  auto outcomes = streamer.wait();
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].uploaded);
  CHECK(outcomes[0].error.empty());
  CHECK(outcomes[0].digest == util::sha256_digest(all));
  CHECK(outcomes[0].sent_before_close == 3 * 4096);
  CHECK(registry.held() == all);
  auto seen = registry.seen();
  REQUIRE(seen.back().method == "PUT");
  CHECK(seen.back().url.find("digest=sha256%3A" + util::sha256_digest(all).substr(7)) != std::string::npos);
  // Ranges follow each other without gaps.
  std::vector<std::string> ranges;
  for (const auto& s : seen)
    if (s.method == "PATCH") ranges.push_back(s.range);
  CHECK(ranges == std::vector<std::string>{"0-4095", "4096-8191", "8192-12287", "12288-13287"});
}

TEST_CASE("blob stream: a layer that fails is never committed") {
  Env env;
  OpenedStream opened(env);
  auto [registry, streamer, blob] = opened.parts();
  append(blob, pattern(5000, 'q'));
  REQUIRE(eventually([&] { return registry.count("PATCH") == 1; }));
  streamer.failed();
  auto outcomes = streamer.wait();
  REQUIRE(outcomes.size() == 1);
  CHECK_FALSE(outcomes[0].uploaded);
  CHECK(outcomes[0].error == "the layer was not finished");
  CHECK(registry.count("PUT") == 0);
}

TEST_CASE("blob stream: a refused session or a wrong stored digest is an outcome, not an error") {
  Env env;
  SECTION("refused session") {
    auto transport = std::make_unique<RecordingRegistry>([](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.method != "POST") return std::nullopt;
      HttpResponse denied;
      denied.status = 403;
      denied.body = R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})";
      return denied;
    });
    auto [outcome, patches] = stream_small(env, std::move(transport));
    CHECK_FALSE(outcome.uploaded);
    CHECK(outcome.error.find("opening an upload session") != std::string::npos);
    CHECK(outcome.error.find("403") != std::string::npos);
    CHECK(patches == 0);
  }
  SECTION("the registry stores other bytes") {
    auto transport = std::make_unique<RecordingRegistry>([](const HttpRequest& r) -> std::optional<HttpResponse> {
      if (r.method != "PUT") return std::nullopt;
      HttpResponse stored;
      stored.status = 201;
      stored.headers = {{"docker-content-digest", "sha256:" + std::string(64, 'e')}};
      return stored;
    });
    auto [outcome, patches] = stream_small(env, std::move(transport));
    CHECK_FALSE(outcome.uploaded);
    CHECK(patches == 1);
    CHECK(outcome.error.find("stored the blob as sha256:eeee") != std::string::npos);
  }
}

TEST_CASE("blob stream: several layers stream one after another; nothing opened means nothing to wait for") {
  Env env;
  auto transport = std::make_unique<RecordingRegistry>();
  RecordingRegistry& registry = *transport;
  BlobStreamer streamer("reg.test/team/app:1", env.options(), std::move(transport));
  CHECK(streamer.wait().empty());
  for (char c : {'a', 'b'}) {
    fs::path blob = env.dir.path() / (std::string("layer-") + c);
    std::string bytes = pattern(6000, c);
    std::ofstream(blob, std::ios::binary) << bytes;
    streamer.opened(blob);
    streamer.closed(util::sha256_digest(bytes), bytes.size());
  }
  auto outcomes = streamer.wait();
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].uploaded);
  CHECK(outcomes[1].uploaded);
  CHECK(outcomes[0].digest == util::sha256_digest(pattern(6000, 'a')));
  CHECK(outcomes[1].digest == util::sha256_digest(pattern(6000, 'b')));
  CHECK(registry.count("PUT") == 2);
}
