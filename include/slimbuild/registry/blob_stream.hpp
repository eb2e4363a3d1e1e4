// Pushing a layer while it is still being compressed (`build --push`): a
// layer::BlobObserver whose worker thread opens an upload session as soon as
// the blob file exists, sends every full chunk (PATCH with Content-Range) as
// soon as the compressor has appended it, and the tail with the digest
// (PATCH, then PUT ?digest=) once the blob is closed. The compression never
// waits for the network: the worker reads the file with pread up to its
// current size (the blob is only ever appended to). The push that follows
// finds the blob with its HEAD check and sends only the config, manifest and
// referrers.
//
// It is an optimisation, never a second way to fail: a refused session, a
// network error or a registry that takes no chunks ends that blob's stream,
// wait() reports why, and the push uploads the blob the ordinary way (with
// its retries). A registry that verifies the digest at the PUT (all do) never
// keeps bytes that are not the blob.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/registry/blob_upload.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/registry/transport.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::registry {

class RegistryClient;

struct StreamOutcome {
  std::string digest;  // "" when the blob failed before it was closed
  uint64_t size = 0;
  bool uploaded = false;
  std::string error;   // why not, when !uploaded
  uint64_t sent_before_close = 0;  // bytes that left while the blob was still being written
};

class BlobStreamer : public layer::BlobObserver {
 public:
  // `reference` is the push destination (parsed already: Error otherwise);
  // `transport` = nullptr uses curl. Nothing is sent before opened().
  BlobStreamer(const std::string& reference, const RegistryOptions& options, std::unique_ptr<Transport> transport = nullptr);
  ~BlobStreamer() override;  // abandons what is still streaming and joins the worker
  BlobStreamer(const BlobStreamer&) = delete;
  BlobStreamer& operator=(const BlobStreamer&) = delete;

  void opened(const std::filesystem::path& file) override;
  void closed(const std::string& digest, uint64_t size) override;
  void failed() noexcept override;

  // Waits until every blob opened so far is uploaded or given up; their
  // outcomes in order. Never throws.
  std::vector<StreamOutcome> wait();

 private:
  struct Job {
    util::Fd fd;
    std::string digest;
    uint64_t size = 0;
    bool closed = false;
    bool failed = false;
    std::string open_error;
  };
  void run();
  StreamOutcome stream(Job& job);
  static uint64_t available(const Job& job);  // bytes final in the file now

  std::unique_ptr<RegistryClient> client_;
  UploadSettings settings_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Job>> jobs_;
  std::vector<StreamOutcome> outcomes_;
  size_t started_ = 0;  // jobs handed to the worker so far
  bool stopping_ = false;
  bool pinged_ = false;
  std::string client_error_;
  std::thread worker_;
};

}  // namespace slimbuild::registry
