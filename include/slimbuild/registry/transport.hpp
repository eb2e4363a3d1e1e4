// The narrow HTTP interface the registry client talks through. The real one
// is libcurl (curl_transport.cpp); unit tests can substitute a fake for edge
// cases a real server will not produce. Request bodies are either a small
// string or a byte range of an open file (streamed, seekable for curl's
// rewinds); response bodies are either collected (bounded) or handed to a
// sink as they arrive, so memory never grows with blob size.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace slimbuild::registry {

struct FileRange {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                  // small bodies (manifests, forms)
  std::optional<FileRange> file_body;  // streamed bodies (blobs)
  // Receives the response body when set (GET blob); return false to abort.
  std::function<bool(const char*, std::size_t)> sink;
  // Bytes of the request body sent so far (upload progress).
  std::function<void(uint64_t)> on_upload_progress;
  std::function<void(uint64_t)> on_download_progress;
  // Blob GETs may redirect to storage. The transport never follows a
  // redirect itself: RegistryClient::send_once does, deciding per hop which
  // origin gets credentials and whether plain http is allowed.
  bool follow_redirects = false;
  // Bytes the response body is expected to carry (a blob's size), so the
  // request's deadline grows with it; 0 for small answers.
  uint64_t expected_download = 0;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercased
  std::string body;       // collected when the request had no sink (truncated at a bound)

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::vector<std::string> all(const std::string& lower_name) const;
};

struct TransportError {
  std::string message;  // curl's description; never contains request headers
  bool retryable = true;  // connection reset, timeout; false for TLS/protocol/usage problems
  bool tls = false;       // a TLS handshake/verification failure
};

struct TransportOptions {
  std::optional<std::filesystem::path> ca_file;  // added to the system trust store
  bool verify_tls = true;
  long connect_timeout_s = 15;
  long low_speed_time_s = 30;  // abort when under 1 byte/s for this long (stalls)
  // The overall deadline of one request: this many seconds plus one second
  // per kDeadlineBytesPerSecond of body sent or expected (SLIMBUILD_REQUEST_TIMEOUT).
  long request_timeout_s = 300;
  // A collected (non-streamed) response body larger than this aborts the
  // request (SLIMBUILD_MAX_RESPONSE_MB): a body that never ends cannot hang us.
  std::size_t max_collected_body = 8u << 20;
};

inline constexpr uint64_t kDeadlineBytesPerSecond = 256u << 10;

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::expected<HttpResponse, TransportError> perform(const HttpRequest& request) = 0;
};

// Throws Error when trust material cannot be read.
std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options);

}  // namespace slimbuild::registry
