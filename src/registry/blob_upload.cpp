// Blob transfer to a registry. Every request body is a byte range of the
// blob file read with pread, so memory stays flat for any blob size, and a
// restarted session simply reads the range again.
#include <slimbuild/registry/blob_upload.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "registry/registry_error.hpp"
#include "registry/url.hpp"
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/human_size.hpp>
#include <slimbuild/util/log.hpp>

#include "registry/progress.hpp"

namespace slimbuild::registry {

namespace {

std::optional<uint64_t> env_bytes(const char* name) {
  auto n = util::environment().number(name);
  return n && *n > 0 ? n : std::nullopt;
}

class Upload {
 public:
  Upload(RegistryClient& client, int fd, const std::string& digest, uint64_t size, const UploadSettings& s, BlobProgress& p)
      : client_(client), fd_(fd), digest_(digest), size_(size), settings_(s), progress_(p) {}

  // One whole session: start (or reuse `location`), send the bytes, commit.
  Attempt<bool> run(std::optional<std::string> location) {
    if (!location) {
      HttpRequest post;
      post.method = "POST";
      post.url = client_.repo_url("blobs/uploads/");
      auto r = client_.send_once(post);
      if (!r) return std::unexpected(r.error());
      if (r->status != 202) return std::unexpected(Failure::from_response(*r));
      location = next_location(post.url, *r);
      if (!location) return std::unexpected(no_location());
    }
    std::string url = *location;
    if (size_ > settings_.monolithic_max) {
      uint64_t offset = 0;
      while (offset < size_) {
        uint64_t len = std::min(settings_.chunk_size, size_ - offset);
        HttpRequest patch;
        patch.method = "PATCH";
        patch.url = url;
        patch.headers = {{"Content-Type", "application/octet-stream"},
                         {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + len - 1)}};
        patch.file_body = FileRange{fd_, offset, len};
        patch.on_upload_progress = [this, offset](uint64_t n) { progress_.update(offset + n); };
        auto r = client_.send_once(patch);
        if (!r) return std::unexpected(r.error());
        if (r->status != 202) return std::unexpected(session_failure(*r));
        auto next = next_location(url, *r);
        if (!next) return std::unexpected(no_location());
        url = *next;
        // The registry says how much it holds; trust it over our own count.
        uint64_t held = range_end(r->header("range")).value_or(offset + len);
        if (held <= offset || held > size_) {
          Failure f;
          f.message = "the registry reported an unexpected upload range '" + r->header("range").substr(0, 40) + "'";
          f.retryable = true;
          return std::unexpected(f);
        }
        offset = held;
      }
    }
    HttpRequest put;
    put.method = "PUT";
    put.url = add_query(url, "digest", digest_);
    put.headers = {{"Content-Type", "application/octet-stream"}};
    if (size_ <= settings_.monolithic_max) {
      put.file_body = FileRange{fd_, 0, size_};
      put.on_upload_progress = [this](uint64_t n) { progress_.update(n); };
    }
    auto r = client_.send_once(put);
    if (!r) return std::unexpected(r.error());
    if (r->status != 201 && r->status != 204) return std::unexpected(session_failure(*r));
    if (std::string got = r->header("docker-content-digest"); !got.empty() && got != digest_) {
      Failure f;
      f.message = "the registry stored the blob as " + got.substr(0, 80) + ", not " + digest_;
      return std::unexpected(f);
    }
    return true;
  }

 private:
  std::optional<std::string> next_location(const std::string& request_url, const HttpResponse& r) const {
    std::string loc = r.header("location");
    if (loc.empty()) return std::nullopt;
    return resolve_location(request_url, loc);
  }
  // A session the registry no longer recognises, or whose offset disagrees
  // with ours (a chunk that arrived although its answer was lost), is
  // abandoned and the blob sent again in a new one. A wrong digest is final.
  static Failure session_failure(const HttpResponse& r) {
    Failure f = Failure::from_response(r);
    bool bad_digest = r.body.find("DIGEST_INVALID") != std::string::npos || r.body.find("SIZE_INVALID") != std::string::npos;
    if ((r.status == 400 && !bad_digest) || r.status == 404 || r.status == 416) f.retryable = true;
    return f;
  }
  static Failure no_location() {
    Failure f;
    f.message = "the registry answered without a Location header for the upload session";
    return f;
  }

  RegistryClient& client_;
  int fd_;
  const std::string& digest_;
  uint64_t size_;
  const UploadSettings& settings_;
  BlobProgress& progress_;
};

}  // namespace

std::optional<uint64_t> range_end(const std::string& range) {
  std::string_view r = range;
  if (r.rfind("bytes=", 0) == 0) r.remove_prefix(6);
  auto dash = r.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string end(r.substr(dash + 1));
  if (end.empty() || end.find_first_not_of("0123456789") != std::string::npos || end.size() > 19) return std::nullopt;
  return std::stoull(end) + 1;
}

UploadSettings UploadSettings::from(const RegistryOptions& options) {
  UploadSettings s;
  s.progress = options.progress;
  if (options.chunk_size) s.chunk_size = options.chunk_size;
  if (auto c = env_bytes("SLIMBUILD_CHUNK_SIZE")) s.chunk_size = *c;
  if (auto m = env_bytes("SLIMBUILD_MONOLITHIC_MAX")) s.monolithic_max = *m;
  return s;
}

BlobOutcome push_blob(RegistryClient& client, const OpenBlob& open_blob, const std::string& digest, uint64_t size,
                      MountCache& cache, const UploadSettings& settings) {
  const Reference& ref = client.reference();
  BlobOutcome out{digest, size, ""};
  BlobProgress progress(settings.progress, digest, size);
  const std::string what = "blob " + short_digest(digest) + " (" + util::human_size(size) + ")";

  HttpRequest head;
  head.method = "HEAD";
  head.url = client.repo_url("blobs/" + digest);
  HttpResponse h = client.send(head, "checking " + what + " in " + ref.name());
  // Registries with redirecting storage answer a present blob with a 3xx to it.
  bool present = h.status == 200 || ((h.status == 302 || h.status == 303 || h.status == 307) && !h.header("location").empty());
  if (present) {
    out.action = "exists";
    cache.remember(ref.registry, digest, ref.repository);
    progress.finish("exists");
    return out;
  }
  if (h.status != 404) throw http_error("checking " + what + " in " + ref.name(), h.status, h.body);

  std::optional<std::string> session;
  for (const auto& from : cache.candidates(ref.registry, digest, ref.repository)) {
    HttpRequest mount;
    mount.method = "POST";
    mount.url = add_query(add_query(client.repo_url("blobs/uploads/"), "mount", digest), "from", from);
    Attempt<HttpResponse> r;
    try {
      r = client.send_once(mount, {"repository:" + from + ":pull"});
    } catch (const Error& e) {
      // Some token services refuse the source scope outright; uploading still works.
      util::debug("no token to mount from " + from + " (" + e.what() + "); uploading");
      continue;
    }
    if (r && r->status == 201) {
      out.action = "mounted";
      cache.remember(ref.registry, digest, ref.repository);
      progress.finish("mounted from " + from);
      return out;
    }
    if (r && r->status == 202 && !r->header("location").empty()) {
      // Not mountable (gone, or no access): the registry opened an upload session instead.
      session = resolve_location(mount.url, r->header("location"));
      break;
    }
    util::debug("mounting " + what + " from " + from + " was refused; uploading");
  }

  util::Fd fd = open_blob();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) != size)
    throw Error("blob " + digest + " changed size before its upload", "the layout is corrupted; rebuild it");

  Upload upload(client, fd.get(), digest, size, settings, progress);
  client.with_retries<bool>("uploading " + what + " to " + ref.name(), [&]() -> Attempt<bool> {
    auto r = upload.run(std::exchange(session, std::nullopt));
    return r;
  });
  out.action = "uploaded";
  cache.remember(ref.registry, digest, ref.repository);
  progress.finish("uploaded " + util::human_size(size));
  return out;
}

}  // namespace slimbuild::registry
