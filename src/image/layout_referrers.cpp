// LayoutReader::referrers: the one implementation of "the referrers of
// digest D in a layout", used by inspect, audit, push and sign. slimbuild
// stores a referrer (SBOM, signature bundle) as blobs only, not listed in
// index.json, as cosign does for layouts: containers/image (skopeo, buildah,
// podman) refuses `oci:DIR` without a tag when index.json has more than one
// entry, and OCI image-spec 1.1 defines no index.json listing for referrers.
// Layouts of older slimbuild versions and of oras do list them, so both are
// looked at: index.json's entries and a scan of blobs/sha256.
//
// The blobs are untrusted. Only regular files with a well-formed hex name
// are considered (fstatat without following links, then open with
// O_NOFOLLOW|O_NONBLOCK and fstat on that descriptor); anything larger than
// the JSON cap or whose first non-space byte is not '{' is skipped without
// being read whole, which is where layers go (they are larger than the cap
// or start with gzip's or zstd's magic byte). What is left is small JSON
// (configs, manifests, SBOM documents): each is read whole, digest-checked
// (read_blob) and parsed under the JSON caps. A layout holds few blobs, so
// this costs a few small reads per call. Nothing here throws on a blob that
// is not a referrer: it is skipped.
#include <slimbuild/image/layout.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/limits.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

using DirHandle = util::CHandle<DIR, ::closedir>;

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// True when the first byte of the file that is not JSON whitespace is '{'.
// Reads only up to that byte.
bool starts_with_brace(int fd, uint64_t size) {
  char buf[512];
  for (uint64_t off = 0; off < size;) {
    ssize_t n = ::pread(fd, buf, std::min<uint64_t>(sizeof buf, size - off), static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    for (ssize_t i = 0; i < n; ++i)
      if (!json_space(buf[i])) return buf[i] == '{';
    off += static_cast<uint64_t>(n);
  }
  return false;
}

// Blobs of blobs/sha256 that may be JSON documents: digest -> size.
void scan_blobs(const fs::path& blobs, uint64_t cap, std::map<std::string, uint64_t>& out) {
  int dfd = ::open(blobs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dfd < 0) return;  // no blob folder (or a link): nothing to find there
  DirHandle dir(::fdopendir(dfd));
  if (!dir) {
    ::close(dfd);
    return;
  }
  while (dirent* e = ::readdir(dir.get())) {
    const std::string digest = std::string("sha256:") + e->d_name;
    if (!util::is_sha256_digest(digest)) continue;
    struct stat st {};
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size == 0 || size > cap) continue;
    util::Fd fd(::openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != size) continue;
    if (starts_with_brace(fd.get(), size)) out.emplace(digest, size);
  }
}

// artifactType, else the config's mediaType (distribution spec, referrers API).
std::string artifact_type_of(const nlohmann::json& m) {
  if (m.contains("artifactType") && m["artifactType"].is_string()) return m["artifactType"];
  const auto& config = m["config"];
  return config.contains("mediaType") && config["mediaType"].is_string() ? config["mediaType"].get<std::string>() : "";
}

}  // namespace

std::vector<Descriptor> LayoutReader::referrers(const std::string& subject_digest, const std::string& artifact_type) const {
  if (!util::is_sha256_digest(subject_digest)) return {};
  const uint64_t cap = util::limit(util::Limit::JsonBytes);
  std::map<std::string, uint64_t> candidates;  // digest -> size; sorted, each once
  scan_blobs(dir_ / "blobs" / "sha256", cap, candidates);
  // Listed entries: a listed blob the scan did not take (a link, too large)
  // is tried too, and read_blob then refuses it.
  for (const auto& entry : index_["manifests"]) {
    try {
      Descriptor d = Descriptor::from_json(entry);
      if (d.media_type == kMediaTypeManifest && d.size <= cap) candidates.emplace(d.digest, d.size);
    } catch (const Error&) {
      // A malformed entry is find_entry's to report; it names no referrer.
    }
  }
  candidates.erase(subject_digest);

  std::vector<Descriptor> out;
  for (const auto& [digest, size] : candidates) {
    Descriptor d;
    d.media_type = kMediaTypeManifest;
    d.digest = digest;
    d.size = size;
    nlohmann::json m;
    try {
      m = util::parse_untrusted_json(read_blob(d), "blob " + digest);
      if (!m.is_object() || m.value("mediaType", nlohmann::json()) != kMediaTypeManifest) continue;
      if (!m.contains("config") || !m["config"].is_object() || !m.contains("subject") || !m["subject"].is_object())
        continue;
      if (m["subject"].value("digest", nlohmann::json()) != subject_digest) continue;
      check_described(d, m);
    } catch (const Error&) {
      continue;  // unreadable, corrupted, not JSON, not a manifest: not a referrer
    } catch (const nlohmann::json::exception&) {
      continue;
    }
    d.artifact_type = artifact_type_of(m);
    if (!artifact_type.empty() && *d.artifact_type != artifact_type) continue;
    if (m.contains("annotations") && m["annotations"].is_object())
      for (const auto& [key, value] : m["annotations"].items())
        if (value.is_string()) d.annotations[key] = value.get<std::string>();
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace slimbuild::image
