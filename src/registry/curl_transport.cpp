// The libcurl Transport. One easy handle per request (connection reuse comes
// from a shared connection cache), bodies streamed through read/write
// callbacks, trust = system bundle + SSL_CERT_FILE + --ca-file handed to curl
// as one in-memory PEM blob (CURLOPT_CAINFO alone would *replace* the system
// store). CURLOPT_VERBOSE is never enabled: it would print Authorization.
// Every request has an overall deadline (CURLOPT_TIMEOUT_MS, scaled with the
// body size) besides the stall limit, and a collected response body is capped:
// both errors name the limit and the variable that raises it. Redirects are
// never followed here (see RegistryClient::send_once).
#include <slimbuild/registry/transport.hpp>

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "registry/url.hpp"
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::registry {

namespace {

constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";

using CurlHandle = util::CHandle<CURL, curl_easy_cleanup>;
using CurlList = util::CHandle<curl_slist, curl_slist_free_all>;
using CurlShare = util::CHandle<CURLSH, curl_share_cleanup>;

struct Transfer {
  CURL* handle = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse response;
  std::size_t max_body = 0;
  uint64_t read_pos = 0;  // within the request body
  bool sink_failed = false;
  bool body_too_large = false;

  uint64_t body_size() const { return request->file_body ? request->file_body->length : request->body.size(); }
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->response.headers.emplace(std::move(name), std::string(value));
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
  // Only a successful response's body is the payload; error bodies are collected.
  if (t->request->sink && status >= 200 && status < 300) {
    if (!t->request->sink(data, len)) {
      t->sink_failed = true;
      return 0;  // aborts the transfer
    }
    return len;
  }
  if (len > t->max_body - t->response.body.size()) {
    t->body_too_large = true;
    return 0;  // aborts the transfer: a body that never ends must not hang us
  }
  t->response.body.append(data, len);
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  uint64_t total = t->body_size();
  if (t->read_pos >= total) return 0;
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, total - t->read_pos));
  if (t->request->file_body) {
    ssize_t got = ::pread(t->request->file_body->fd, buf, want, static_cast<off_t>(t->request->file_body->offset + t->read_pos));
    if (got <= 0) return CURL_READFUNC_ABORT;  // the file shrank under us
    want = static_cast<size_t>(got);
  } else {
    std::copy_n(t->request->body.data() + t->read_pos, want, buf);
  }
  t->read_pos += want;
  return want;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->body_size()) return CURL_SEEKFUNC_FAIL;
  t->read_pos = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  if (util::interrupt_signal() != 0) return 1;  // abort; perform() turns it into an Error
  if (t->request->on_upload_progress && ulnow > 0) t->request->on_upload_progress(static_cast<uint64_t>(ulnow));
  if (t->request->on_download_progress && dlnow > 0) t->request->on_download_progress(static_cast<uint64_t>(dlnow));
  return 0;
}

TransportError classify(CURLcode code, const char* errbuf) {
  TransportError e;
  e.message = (errbuf && *errbuf) ? errbuf : curl_easy_strerror(code);
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      e.tls = true;
      e.retryable = false;
      break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_OUT_OF_MEMORY:
      e.retryable = false;
      break;
    default:
      e.retryable = true;  // refused, reset, timeout, empty reply, DNS hiccup
  }
  return e;
}

std::string read_trust(const std::optional<std::filesystem::path>& ca_file) {
  std::string pem;
  auto add = [&](const std::filesystem::path& p, const char* what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec))
      throw Error(std::string(what) + " " + p.string() + " does not exist or is not a file",
                  "pass a PEM file with the CA certificate(s) that signed the registry's certificate");
    std::string data = util::read_file(p);
    if (data.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      throw Error(std::string(what) + " " + p.string() + " holds no PEM certificate",
                  "convert it with: openssl x509 -inform der -in CERT -out CERT.pem");
    pem += data;
    pem += '\n';
  };
  std::optional<std::string> env = util::environment().get("SSL_CERT_FILE");
  bool extra = ca_file || env;
  if (!extra) return {};
  std::error_code ec;
  if (std::filesystem::is_regular_file(kSystemBundle, ec)) pem += util::read_file(kSystemBundle) + "\n";
  if (env) add(*env, "SSL_CERT_FILE");
  if (ca_file) add(*ca_file, "--ca-file");
  return pem;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(const TransportOptions& options) : options_(options), trust_pem_(read_trust(options.ca_file)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share_.reset(curl_share_init());
    if (share_) {
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
  }

  std::expected<HttpResponse, TransportError> perform(const HttpRequest& request) override {
    CurlHandle h{curl_easy_init()};
    if (!h) return std::unexpected(TransportError{"curl_easy_init failed", false, false});
    CURL* c = h.get();
    Transfer t;
    t.handle = c;
    t.request = &request;
    t.max_body = options_.max_collected_body;
    char errbuf[CURL_ERROR_SIZE] = {0};

    CurlList headers;
    auto add_header = [&](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next) {
        (void)headers.release();
        headers.reset(next);
      }
    };
    for (const auto& [k, v] : request.headers) add_header(k + ": " + v);
    add_header("Expect:");  // no 100-continue round trip; registries answer errors before reading anyway

    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "slimbuild/" SLIMBUILD_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    if (share_) curl_easy_setopt(c, CURLOPT_SHARE, share_.get());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    const uint64_t deadline_s = static_cast<uint64_t>(options_.request_timeout_s) +
                                (t.body_size() + request.expected_download) / kDeadlineBytesPerSecond;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::min<uint64_t>(deadline_s, 1u << 20) * 1000));
    if (!options_.verify_tls) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!trust_pem_.empty()) {
      curl_blob blob{trust_pem_.data(), trust_pem_.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }

    if (request.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.body_size()));
    }

    const auto started = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(c);
    util::throw_if_interrupted();  // never retried: the user asked to stop
    if (rc != CURLE_OK) {
      const std::string what = request.method + " " + url_for_message(request.url);
      if (t.body_too_large)
        return std::unexpected(TransportError{
            "the answer to " + what + " is larger than " + std::to_string(t.max_body >> 20) +
                " MiB, the limit for a registry response (set SLIMBUILD_MAX_RESPONSE_MB to raise it)",
            false, false});
      auto elapsed = std::chrono::steady_clock::now() - started;
      if (rc == CURLE_OPERATION_TIMEDOUT && elapsed >= std::chrono::seconds(deadline_s) - std::chrono::milliseconds(50))
        return std::unexpected(TransportError{
            what + " did not finish within its deadline of " + std::to_string(deadline_s) + " s (" +
                std::to_string(options_.request_timeout_s) + " s, SLIMBUILD_REQUEST_TIMEOUT, plus 1 s per " +
                std::to_string(kDeadlineBytesPerSecond >> 10) + " KiB of data; set SLIMBUILD_REQUEST_TIMEOUT to raise it)",
            false, false});
      TransportError e = classify(rc, errbuf);
      if (t.sink_failed) e.retryable = false;
      return std::unexpected(std::move(e));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
    return std::move(t.response);
  }

 private:
  TransportOptions options_;
  std::string trust_pem_;
  CurlShare share_;
};

}  // namespace

std::vector<std::string> HttpResponse::all(const std::string& lower_name) const {
  std::vector<std::string> out;
  auto [b, e] = headers.equal_range(lower_name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace slimbuild::registry
