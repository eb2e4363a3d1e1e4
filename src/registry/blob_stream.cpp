// The worker of BlobStreamer: one upload session per blob, in the order the
// blobs were opened. Only the worker talks to the registry, and it never
// logs (the layer's progress line owns stderr during the build): what
// happened is returned by wait() for the caller to report.
#include <slimbuild/registry/blob_stream.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>

#include <slimbuild/registry/registry_client.hpp>
#include "registry/url.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/interrupt.hpp>

namespace slimbuild::registry {

namespace {

// How long the worker sleeps between looks at the file when no chunk is
// complete yet; a full chunk takes far longer than this to compress.
constexpr auto kPoll = std::chrono::milliseconds(20);

std::string describe(const Failure& f) { return f.message.empty() ? "HTTP " + std::to_string(f.status) : f.message; }

}  // namespace

BlobStreamer::BlobStreamer(const std::string& reference, const RegistryOptions& options,
                           std::unique_ptr<Transport> transport) {
  auto ref = parse_reference(reference);
  if (!ref) throw ref.error();
  client_ = std::make_unique<RegistryClient>(*ref, options, RegistryClient::Access::PullPush, std::move(transport));
  settings_ = UploadSettings::from(options);
  worker_ = std::thread([this] { run(); });
}

BlobStreamer::~BlobStreamer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void BlobStreamer::opened(const std::filesystem::path& file) {
  auto job = std::make_shared<Job>();
  job->fd = util::Fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!job->fd) job->open_error = "cannot open " + file.string() + ": " + std::strerror(errno);
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(job);
    ++started_;
  }
  changed_.notify_all();
}

void BlobStreamer::closed(const std::string& digest, uint64_t size) {
  {
    std::lock_guard lock(mutex_);
    // The newest blob is the one being written: blobs are written one at a time.
    for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it)
      if (!(*it)->closed && !(*it)->failed) {
        (*it)->digest = digest;
        (*it)->size = size;
        (*it)->closed = true;
        break;
      }
  }
  changed_.notify_all();
}

void BlobStreamer::failed() noexcept {
  {
    std::lock_guard lock(mutex_);
    for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it)
      if (!(*it)->closed && !(*it)->failed) {
        (*it)->failed = true;
        break;
      }
  }
  changed_.notify_all();
}

std::vector<StreamOutcome> BlobStreamer::wait() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return outcomes_.size() >= started_ || stopping_; });
  return outcomes_;
}

void BlobStreamer::run() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = jobs_.front();
    }
    StreamOutcome outcome;
    try {
      outcome = stream(*job);
    } catch (const std::exception& e) {
      outcome.error = e.what();
    }
    {
      std::lock_guard lock(mutex_);
      if (outcome.digest.empty()) outcome.digest = job->digest;
      outcome.size = job->size;
      outcomes_.push_back(std::move(outcome));
      jobs_.pop_front();
    }
    changed_.notify_all();
  }
}

uint64_t BlobStreamer::available(const Job& job) {
  struct stat st {};
  if (::fstat(job.fd.get(), &st) != 0 || st.st_size < 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

StreamOutcome BlobStreamer::stream(Job& job) {
  StreamOutcome out;
  auto fail = [&out](std::string why) {
    out.error = std::move(why);
    return out;
  };
  auto chunk_failed = [&out](std::string why) {
    out.error = std::move(why);
    return false;
  };
  if (!job.open_error.empty()) return fail(job.open_error);
  if (!pinged_) {
    pinged_ = true;
    try {
      client_->ping();
    } catch (const Error& e) {
      client_error_ = e.what();
    }
  }
  if (!client_error_.empty()) return fail(client_error_);

  HttpRequest post;
  post.method = "POST";
  post.url = client_->repo_url("blobs/uploads/");
  auto started = client_->send_once(post);
  if (!started) return fail("opening an upload session: " + describe(started.error()));
  if (started->status != 202 || started->header("location").empty())
    return fail("opening an upload session: " + describe(Failure::from_response(*started)));
  std::string url = resolve_location(post.url, started->header("location"));

  // One PATCH of [offset, offset + len); the registry must then hold exactly that much.
  uint64_t offset = 0;
  auto send_chunk = [&](uint64_t len) -> bool {
    HttpRequest patch;
    patch.method = "PATCH";
    patch.url = url;
    patch.headers = {{"Content-Type", "application/octet-stream"},
                     {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + len - 1)}};
    patch.file_body = FileRange{job.fd.get(), offset, len};
    auto r = client_->send_once(patch);
    if (!r) return chunk_failed("sending bytes " + std::to_string(offset) + "+: " + describe(r.error()));
    if (r->status != 202 || r->header("location").empty())
      return chunk_failed("sending bytes " + std::to_string(offset) + "+: " + describe(Failure::from_response(*r)));
    if (range_end(r->header("range")).value_or(offset + len) != offset + len)
      return chunk_failed("the registry holds another range than was sent ('" + r->header("range").substr(0, 40) + "')");
    url = resolve_location(url, r->header("location"));
    offset += len;
    return true;
  };

  // While the blob grows: every full chunk as soon as it is on disk.
  for (;;) {
    bool closed = false;
    {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, kPoll, [&] {
        return stopping_ || job.closed || job.failed || available(job) - offset >= settings_.chunk_size;
      });
      if (stopping_ || job.failed) return fail("the layer was not finished");
      closed = job.closed;
    }
    if (util::interrupt_signal() != 0) return fail("interrupted");
    if (closed) break;
    uint64_t ready = available(job);
    if (ready > offset && ready - offset >= settings_.chunk_size && !send_chunk(settings_.chunk_size)) return out;
  }
  out.sent_before_close = offset;

  // The tail, then the commit that names the digest.
  std::string digest;
  uint64_t size = 0;
  {
    std::lock_guard lock(mutex_);
    digest = job.digest;
    size = job.size;
  }
  out.digest = digest;
  if (size < offset || available(job) != size) return fail("the blob file changed size after it was closed");
  while (offset < size)
    if (!send_chunk(std::min(settings_.chunk_size, size - offset))) return out;
  HttpRequest put;
  put.method = "PUT";
  put.url = add_query(url, "digest", digest);
  put.headers = {{"Content-Type", "application/octet-stream"}};
  auto r = client_->send_once(put);
  if (!r) return fail("committing the upload: " + describe(r.error()));
  if (r->status != 201 && r->status != 204)
    return fail("committing the upload: " + describe(Failure::from_response(*r)));
  if (std::string got = r->header("docker-content-digest"); !got.empty() && got != digest)
    return fail("the registry stored the blob as " + got.substr(0, 80) + ", not " + digest);
  out.uploaded = true;
  return out;
}

}  // namespace slimbuild::registry
