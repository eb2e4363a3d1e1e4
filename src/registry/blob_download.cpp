// download_blob: see blob_download.hpp. The file is written with plain
// write(2) as the bytes arrive, so memory stays flat for any blob size.
#include "registry/blob_download.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "registry/registry_error.hpp"
#include <slimbuild/layer/blob_hash.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/human_size.hpp>

#include "registry/progress.hpp"

namespace slimbuild::registry {

void download_blob(RegistryClient& client, const image::Descriptor& d, const fs::path& dest, bool progress_on,
                   std::vector<std::string>* parts) {
  const std::string step = "downloading blob " + short_digest(d.digest) + " (" + util::human_size(d.size) + ") from " +
                           client.reference().name();
  BlobProgress progress(progress_on, d.digest, d.size);
  client.with_retries<bool>(step, [&]() -> Attempt<bool> {
    util::Fd fd(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw Error("cannot write " + dest.string());
    layer::BlobHash hash(/*parts=*/parts != nullptr);
    uint64_t written = 0;
    bool write_failed = false, too_long = false;
    HttpRequest get;
    get.url = client.repo_url("blobs/" + d.digest);
    get.follow_redirects = true;
    get.expected_download = d.size;  // the deadline grows with the blob
    get.sink = [&](const char* data, std::size_t n) {
      if (written + n > d.size) return !(too_long = true);  // more bytes than the descriptor allows
      hash.update(data, n);
      for (std::size_t off = 0; off < n;) {
        ssize_t w = ::write(fd.get(), data + off, n - off);
        if (w <= 0) return !(write_failed = true);
        off += static_cast<std::size_t>(w);
      }
      written += n;
      return true;
    };
    get.on_download_progress = [&](uint64_t n) { progress.update(n); };
    auto r = client.send_once(get);
    if (write_failed) throw Error("writing " + dest.string() + " failed (disk full?)");
    if (too_long) {
      Failure f;
      f.message = "the registry sent more than the " + std::to_string(d.size) + " bytes the manifest declares";
      return std::unexpected(f);
    }
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return std::unexpected(Failure::from_response(*r));
    hash.finish();
    if (written != d.size || hash.digest() != d.digest) {
      Failure f;
      f.message = "the registry sent " + std::to_string(written) + " bytes that do not match the digest";
      f.retryable = true;
      return std::unexpected(f);
    }
    if (parts) *parts = hash.parts();
    return true;
  });
  progress.finish("downloaded " + util::human_size(d.size));
}

}  // namespace slimbuild::registry
