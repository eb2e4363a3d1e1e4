// Read side of the OCI image layout: index.json, descriptors, verified blobs.
// A layout is untrusted input: a blob is opened with O_NOFOLLOW and checked
// with fstat on that same descriptor (a regular file of the stated size, so
// a link to /etc/shadow is never read), and its digest is checked before any
// caller uses or uploads a byte of it.
#include <slimbuild/image/layout.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/limits.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::image {

namespace {

uint64_t max_json() { return util::limit(util::Limit::JsonBytes); }

std::string hash_fd(int fd, uint64_t size, const std::string& what) {
  util::Sha256 h;
  std::vector<char> buf(1 << 16);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf.data(), std::min<uint64_t>(buf.size(), size - done), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(what + " shrank while it was being read");
    h.update(buf.data(), static_cast<std::size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  return h.digest();
}

}  // namespace

nlohmann::json Descriptor::to_json() const {
  nlohmann::json j{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
  if (!annotations.empty()) j["annotations"] = annotations;
  if (artifact_type) j["artifactType"] = *artifact_type;
  if (!platform.is_null()) j["platform"] = platform;
  return j;
}

Descriptor Descriptor::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("descriptor is not a JSON object");
  Descriptor d;
  try {
    d.media_type = j.value("mediaType", std::string());
    d.digest = j.at("digest").get<std::string>();
    d.size = j.at("size").get<uint64_t>();
    if (j.contains("annotations")) d.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    if (j.contains("artifactType")) d.artifact_type = j.at("artifactType").get<std::string>();
    if (j.contains("platform")) d.platform = j.at("platform");
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("malformed descriptor: ") + e.what());
  }
  if (!util::is_sha256_digest(d.digest)) throw Error("descriptor has an invalid digest: '" + d.digest + "'");
  return d;
}

LayoutReader::LayoutReader(fs::path dir) : dir_(std::move(dir)) {
  if (!fs::is_regular_file(dir_ / "oci-layout") || !fs::is_regular_file(dir_ / "index.json"))
    throw Error(dir_.string() + " is not an OCI image layout (no oci-layout or index.json)",
                "pass a directory written by `slimbuild build -o DIR` or `skopeo copy ... oci:DIR`");
  std::error_code ec;
  if (auto size = fs::file_size(dir_ / "index.json", ec); ec || size > max_json()) {
    if (ec) throw Error(dir_.string() + "/index.json is unreadable: " + ec.message());
    util::limit_exceeded(util::Limit::JsonBytes, dir_.string() + "/index.json is too large to be an index: it");
  }
  index_ = util::parse_untrusted_json(util::read_file(dir_ / "index.json"), dir_.string() + "/index.json");
  if (!index_.is_object() || !index_.contains("manifests") || !index_["manifests"].is_array())
    throw Error(dir_.string() + "/index.json has no \"manifests\" array");
}

std::vector<Descriptor> LayoutReader::manifests() const {
  std::vector<Descriptor> out;
  for (auto& m : index_["manifests"]) out.push_back(Descriptor::from_json(m));
  return out;
}

Descriptor LayoutReader::find_entry(const std::optional<std::string>& ref) const {
  std::vector<Descriptor> images;
  std::string tags;  // for the error: what the user could have asked for
  for (auto& d : manifests()) {
    if (d.media_type != kMediaTypeManifest && d.media_type != "application/vnd.docker.distribution.manifest.v2+json" &&
        d.media_type != kMediaTypeIndex)
      continue;
    if (ref) {
      auto it = d.annotations.find(kAnnotationRefName);
      if (it != d.annotations.end() && it->second == *ref) return d;
      if (it != d.annotations.end()) tags += (tags.empty() ? "'" : ", '") + it->second + "'";
    } else if (!d.annotations.count("org.opencontainers.image.subject") && !d.artifact_type) {
      images.push_back(d);
    }
  }
  if (ref)
    throw Error("no image tagged '" + *ref + "' in " + dir_.string(),
                tags.empty() ? "the layout has no tagged image; name none (DIR instead of DIR:TAG)"
                             : "its tags: " + tags + " (use DIR:TAG)");
  if (images.empty()) throw Error("no image manifest in " + dir_.string());
  if (images.size() > 1)
    throw Error(dir_.string() + " holds several images", "name one as DIR:TAG");
  return images.front();
}

Descriptor LayoutReader::find_image(const std::optional<std::string>& ref) const {
  Descriptor d = find_entry(ref);
  if (d.media_type != kMediaTypeIndex) return d;
  std::string names;
  for (const auto& image : platform_images(d)) names += (names.empty() ? "" : ", ") + platform_name(image.platform);
  throw Error(dir_.string() + (ref ? ":" + *ref : "") + " is a multi-platform image index (" + names + ")",
              "choose one with --platform, e.g. --platform " + names.substr(0, names.find(',')));
}

std::vector<Descriptor> LayoutReader::platform_images(const Descriptor& entry) const {
  if (entry.media_type != kMediaTypeIndex) return {entry};
  nlohmann::json index = read_json_blob(entry);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    throw Error("image index " + entry.digest + " in " + dir_.string() + " has no \"manifests\" array");
  std::vector<Descriptor> out;
  for (const auto& m : index["manifests"]) {
    Descriptor d = Descriptor::from_json(m);
    if (d.media_type == kMediaTypeIndex)
      throw Error("image index " + entry.digest + " in " + dir_.string() + " nests another index",
                  "slimbuild reads one level of index (an index of images)");
    if (!d.platform.is_object())
      throw Error("image index " + entry.digest + " lists " + d.digest + " without a platform");
    out.push_back(std::move(d));
  }
  if (out.empty()) throw Error("image index " + entry.digest + " in " + dir_.string() + " lists no images");
  return out;
}

std::string platform_name(const nlohmann::json& platform) {
  if (!platform.is_object()) return "";
  std::string variant = platform.value("variant", std::string());
  return platform.value("os", std::string()) + "/" + platform.value("architecture", std::string()) +
         (variant.empty() ? "" : "/" + variant);
}

bool platform_matches(const nlohmann::json& platform, const std::string& wanted) {
  std::string have = platform_name(platform);
  if (have == wanted) return true;
  // "linux/arm64" names linux/arm64/v8: a variant left out matches any.
  return std::count(wanted.begin(), wanted.end(), '/') == 1 && have.rfind(wanted + "/", 0) == 0;
}

fs::path LayoutReader::blob_path(const std::string& digest) const {
  if (!util::is_sha256_digest(digest)) throw Error("invalid digest '" + digest + "'");
  return dir_ / "blobs" / "sha256" / digest.substr(7);
}

bool LayoutReader::has_blob(const std::string& digest) const {
  if (!util::is_sha256_digest(digest)) return false;
  struct stat st {};
  // Present in any form: open_blob then says precisely what is wrong with it.
  return ::lstat(blob_path(digest).c_str(), &st) == 0;
}

util::Fd LayoutReader::open_blob(const Descriptor& d, BlobCheck check) const {
  fs::path file = blob_path(d.digest);
  const std::string what = "blob " + d.digest + " in " + dir_.string();
  util::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT) throw Error("blob " + d.digest + " is missing from " + dir_.string(), "the layout is incomplete");
    if (errno == ELOOP)
      throw Error(what + " is not a regular file (a symlink)", "a layout's blobs must be plain files inside it");
    throw Error("cannot open " + what + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error("cannot read " + what + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(what + " is not a regular file", "a layout's blobs must be plain files inside it");
  if (static_cast<uint64_t>(st.st_size) != d.size)
    throw Error(what + " has " + std::to_string(st.st_size) + " bytes, its descriptor says " + std::to_string(d.size),
                "the layout is corrupted or was tampered with; rebuild it");
  ::fcntl(fd.get(), F_SETFL, 0);  // O_NONBLOCK only guarded the open of a fifo
  if (check == BlobCheck::Digest && hash_fd(fd.get(), d.size, what) != d.digest)
    throw Error(what + " does not match its digest (corrupted layout)", "the layout is corrupted; rebuild it");
  return fd;
}

std::string LayoutReader::read_blob(const Descriptor& d) const {
  if (d.size > max_json()) util::limit_exceeded(util::Limit::JsonBytes, "blob " + d.digest + " is too large to read whole: it");
  // Size and type are checked on the open descriptor before a byte is read.
  util::Fd fd = open_blob(d, BlobCheck::SizeOnly);
  std::string data(d.size, '\0');
  uint64_t done = 0;
  while (done < d.size) {
    ssize_t n = ::read(fd.get(), data.data() + done, d.size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("blob " + d.digest + " in " + dir_.string() + " shrank while it was being read");
    done += static_cast<uint64_t>(n);
  }
  if (util::sha256_digest(data) != d.digest)
    throw Error("blob " + d.digest + " in " + dir_.string() + " does not match its digest (corrupted layout)");
  return data;
}

nlohmann::json LayoutReader::read_json_blob(const Descriptor& d) const {
  nlohmann::json j = util::parse_untrusted_json(read_blob(d), "blob " + d.digest);
  check_described(d, j);
  return j;
}

}  // namespace slimbuild::image
