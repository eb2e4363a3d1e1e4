// LayerCache: the key, the file-hash index, verified fetches, atomic stores
// and LRU eviction (see the header for the rules); the entry record and the
// part check are cache_entry.cpp.
#include <slimbuild/layer/layer_cache.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "layer/cache_entry.hpp"
#include <slimbuild/layer/compressor.hpp>
#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/file_identity.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/log.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::layer {

namespace {

// Bump when the tar normalisation or the cache's own format changes.
constexpr const char* kCacheFormat = "slimbuild-layer-cache v2 tar-v1";
// Unknown files are hashed up front when they total at most this much.
constexpr uint64_t kHashUpFrontBytes = 64ull << 20;
constexpr std::size_t kMaxIndexEntries = 500'000;

using util::FileStamp;

std::optional<FileStamp> stamp(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileStamp::of(st);
}

// Holds an exclusive flock on DIR/lock for its lifetime (or nothing if the
// lock file cannot be made: then the caller's work is skipped).
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) : fd_(::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ && ::flock(fd_.get(), LOCK_EX) != 0) fd_.reset();
  }
  explicit operator bool() const { return static_cast<bool>(fd_); }

 private:
  util::Fd fd_;
};

// Hard-links (or copies) `from` to `to`.
void place(const fs::path& from, const fs::path& to) {
  if (::link(from.c_str(), to.c_str()) != 0) {
    std::error_code ec;
    fs::copy_file(from, to, ec);
    if (ec) throw Error("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  }
  ::chmod(to.c_str(), 0644);
}

bool is_key(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string unique_suffix() { return std::to_string(::getpid()) + "-" + std::to_string(util::wall_clock_ns()); }

}  // namespace

fs::path default_cache_dir() {
  const util::Environment& env = util::environment();
  if (auto x = env.get("XDG_CACHE_HOME"); x && x->front() == '/') return fs::path(*x) / "slimbuild";
  if (auto h = env.get("HOME")) return fs::path(*h) / ".cache" / "slimbuild";
  return fs::temp_directory_path() / "slimbuild-cache";
}

struct LayerCache::Index {
  struct Record {
    FileStamp stamp;
    std::string sha256;
    bool used = false;
  };
  std::unordered_map<std::string, Record> files;  // source path -> record
  bool dirty = false;

  // One line: "<sha256> <dev> <ino> <size> <mtime> <ctime> <path>", parsed in
  // place (a shared cache holds one line per file of every tree it built:
  // 50,000 and more). A line that does not parse is skipped: a miss.
  void load(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::string_view rest(line);
      auto word = [&rest]() {
        std::size_t sp = rest.find(' ');
        std::string_view w = rest.substr(0, sp);
        rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
        return w;
      };
      auto number = [&word](auto& out) {
        std::string_view w = word();
        auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), out);
        return ec == std::errc() && end == w.data() + w.size() && !w.empty();
      };
      Record r;
      r.sha256 = std::string(word());
      if (!number(r.stamp.dev) || !number(r.stamp.ino) || !number(r.stamp.size) || !number(r.stamp.mtime_ns) ||
          !number(r.stamp.ctime_ns))
        continue;
      if (r.sha256.size() == 64 && !rest.empty()) files[std::string(rest)] = std::move(r);
    }
  }

  std::string serialise() const {
    std::vector<const std::pair<const std::string, Record>*> keep;
    for (const auto& kv : files)
      if (files.size() <= kMaxIndexEntries || kv.second.used) keep.push_back(&kv);
    std::sort(keep.begin(), keep.end(), [](auto* a, auto* b) { return a->first < b->first; });
    std::string out;
    for (auto* kv : keep) {
      const FileStamp& s = kv->second.stamp;
      out += kv->second.sha256 + " " + std::to_string(s.dev) + " " + std::to_string(s.ino) + " " +
             std::to_string(s.size) + " " + std::to_string(s.mtime_ns) + " " + std::to_string(s.ctime_ns) + " " +
             kv->first + "\n";
    }
    return out;
  }
};

// The blob of the entry a build expects to hit, being hashed on a thread.
struct LayerCache::Prefetch {
  std::string key;
  util::Fd fd;
  struct stat st {};
  EntryRecord record;  // what the check compares against
  std::atomic<bool> cancel{false};
  std::future<Check> check;  // of what fd holds
  ~Prefetch() {
    cancel = true;
    if (check.valid()) check.wait();
  }
};

// Defined before the constructor: std::vector<Pending> needs the whole type
// there (clang instantiates its destructor at the constructor).
// A hit served before its early check finished: confirm() decides.
struct LayerCache::Pending {
  std::unique_ptr<Prefetch> early;
  fs::path meta_file, blob;
};

LayerCache::LayerCache(fs::path dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes), started_ns_(util::wall_clock_ns()), index_(std::make_unique<Index>()) {
  std::error_code ec;
  fs::create_directories(dir_ / "entries", ec);
  if (ec)
    throw Error("cannot create the cache directory " + dir_.string() + ": " + ec.message(),
                "pass --cache-dir DIR somewhere writable, or --no-cache");
  index_->load(dir_ / "file-hashes");
}

std::string LayerCache::key_from(const rootfs::Rootfs& rootfs, const LayerOptions& options,
                                 const std::map<std::string, std::string>& hashes) const {
  util::Sha256 h;
  auto field = [&h](const std::string& s) {
    h.update(std::to_string(s.size()) + ":");
    h.update(s);
  };
  field(kCacheFormat);
  field(compressor_identity(options.compression));
  field(std::to_string(options.mtime));
  for (const auto& [path, e] : rootfs.entries()) {
    field(path);
    field(std::to_string(static_cast<int>(e.type)) + " " + std::to_string(e.mode) + " " + std::to_string(e.uid) +
          " " + std::to_string(e.gid));
    if (e.type == rootfs::EntryType::Symlink) field(e.link_target);
    if (e.type == rootfs::EntryType::File) {
      field(std::to_string(rootfs::bytes_in_memory(e) ? e.content.size() : e.size));
      auto it = hashes.find(path);
      if (it == hashes.end()) throw Error("internal: no content hash for " + path);
      field(it->second);
    }
  }
  return h.hex();
}

std::optional<std::string> LayerCache::key(const rootfs::Rootfs& rootfs, const LayerOptions& options,
                                           std::map<std::string, std::string>& hashes, KeyMode mode) {
  std::vector<std::pair<std::string, const rootfs::Entry*>> unknown;
  uint64_t unknown_bytes = 0, total_bytes = 0;
  for (const auto& [path, e] : rootfs.entries()) {
    if (e.type != rootfs::EntryType::File) continue;
    if (rootfs::bytes_in_memory(e)) {  // generated, or held by the walk: no file to stat
      hashes[path] = util::sha256_hex(e.content);
      continue;
    }
    total_bytes += e.size;
    auto it = index_->files.find(e.source.string());
    auto now = stamp(e.source);
    if (it != index_->files.end() && now && it->second.stamp == *now && now->size == e.size) {
      hashes[path] = it->second.sha256;
      it->second.used = true;
    } else {
      unknown.emplace_back(path, &e);
      unknown_bytes += e.size;
    }
  }
  // Many unknown bytes: building reads them anyway, and only once.
  if (mode == KeyMode::IfCheap && unknown_bytes > kHashUpFrontBytes && unknown_bytes * 4 > total_bytes)
    return std::nullopt;
  for (const auto& [path, e] : unknown) hashes[path] = util::sha256_file_hex(e->source);
  return key_from(rootfs, options, hashes);
}

void LayerCache::prefetch(const std::string& key) {
  prefetch_.reset();
  if (!is_key(key)) return;
  auto p = std::make_unique<Prefetch>();
  p->key = key;
  try {
    p->record = parse_entry(util::read_file(dir_ / "entries" / (key + ".json")));
  } catch (const std::exception&) {
    return;  // fetch() says what is wrong with it, if it is asked for
  }
  p->fd.reset(::open((dir_ / "entries" / (key + ".blob")).c_str(), O_RDONLY | O_CLOEXEC));
  if (!p->fd || ::fstat(p->fd.get(), &p->st) != 0 || !S_ISREG(p->st.st_mode)) return;
  try {
    p->check = std::async(std::launch::async, [p = p.get()] { return check_blob(p->fd.get(), p->record, &p->cancel); });
  } catch (const std::system_error&) {
    return;  // no thread to be had: fetch() checks the blob itself
  }
  prefetch_ = std::move(p);
}

void LayerCache::cancel_prefetch() { prefetch_.reset(); }

std::optional<std::string> LayerCache::expected_key(const std::string& build_id) const {
  std::ifstream in(dir_ / "last-keys" / util::sha256_hex(build_id));
  std::string key;
  if (in >> key && is_key(key)) return key;
  return std::nullopt;
}

void LayerCache::note_key(const std::string& build_id, const std::string& key) noexcept {
  try {
    if (!is_key(key) || expected_key(build_id) == key) return;
    fs::create_directories(dir_ / "last-keys");
    util::write_file_atomic(dir_ / "last-keys" / util::sha256_hex(build_id), key + "\n");
  } catch (const std::exception& e) {
    util::debug("cache: could not note the layer key: " + std::string(e.what()));
  }
}

LayerCache::~LayerCache() = default;

bool LayerCache::confirm() {
  bool ok = true;
  for (auto& p : pending_) {
    Check c = p.early->check.get();
    if (c.verdict == Verdict::Unknown)  // the early read failed: read the same inode again
      c = check_blob(p.early->fd.get(), p.early->record, nullptr);
    if (c.verdict == Verdict::Intact) continue;
    if (c.detail.empty()) c.detail = "its blob could not be read";
    util::warn("ignoring the corrupt cache entry " + p.meta_file.string() + " (" + c.detail + "); building the layer");
    std::error_code ec;
    fs::remove(p.meta_file, ec);
    fs::remove(p.blob, ec);
    ok = false;
  }
  pending_.clear();
  return ok;
}

std::optional<LayerResult> LayerCache::fetch(const std::string& key, const fs::path& dest, bool defer) {
  fs::path meta_file = dir_ / "entries" / (key + ".json");
  fs::path blob = dir_ / "entries" / (key + ".blob");
  // A check started early for this very entry is used at most once; one for
  // another entry stops here.
  std::unique_ptr<Prefetch> early = std::move(prefetch_);
  if (early && early->key != key) early.reset();
  std::error_code ec;
  if (!fs::exists(meta_file, ec)) return std::nullopt;
  LayerResult r;
  try {
    EntryRecord record = parse_entry(util::read_file(meta_file));
    r = record.layer;
    place(blob, dest);
    // The served file must be the very inode checked early, against the
    // same record; else (or if that check did not finish) it is checked now.
    util::Fd served(::open(dest.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!served || ::fstat(served.get(), &st) != 0) throw Error("cannot read " + dest.string());
    bool same = early && st.st_dev == early->st.st_dev && st.st_ino == early->st.st_ino &&
                early->record.layer.part_sha256 == record.layer.part_sha256 && early->record.layer.digest == record.layer.digest;
    if (same && defer) {
      if (static_cast<uint64_t>(st.st_size) != r.size)
        throw Error("its blob has " + std::to_string(st.st_size) + " bytes, not " + std::to_string(r.size));
      pending_.push_back({std::move(early), meta_file, blob});
    } else {
      Check c;
      if (same) c = early->check.get();
      if (c.verdict == Verdict::Unknown) c = check_blob(served.get(), record, nullptr);
      if (c.verdict != Verdict::Intact) throw Error(c.detail.empty() ? "its blob could not be read" : c.detail);
    }
  } catch (const std::exception& e) {
    util::warn("ignoring the corrupt cache entry " + meta_file.string() + " (" + e.what() + "); building the layer");
    fs::remove(dest, ec);
    fs::remove(meta_file, ec);
    fs::remove(blob, ec);
    return std::nullopt;
  }
  // Least recently used goes first: a hit makes the entry new again.
  ::utimensat(AT_FDCWD, meta_file.c_str(), nullptr, 0);
  return r;
}

void LayerCache::store(const std::string& key, const fs::path& blob, const LayerResult& layer) noexcept {
  fs::path entries = dir_ / "entries";
  fs::path tmp_blob = entries / (".tmp-" + unique_suffix() + ".blob");
  std::error_code ec;
  try {
    EntryRecord record = record_of(layer);
    place(blob, tmp_blob);
    // The part hashes were taken as the blob was written (or downloaded):
    // nothing is read back. Every hit hashes every part again, so bytes
    // changed since are never served.
    if (fs::file_size(tmp_blob) != layer.size) throw Error("the layer changed while it was cached");
    fs::rename(tmp_blob, entries / (key + ".blob"));
    util::write_file_atomic(entries / (key + ".json"), entry_json(record));
  } catch (const std::exception& e) {
    fs::remove(tmp_blob, ec);
    util::warn("could not add the layer to the cache in " + dir_.string() + ": " + e.what());
    return;
  }
  evict();
}

void LayerCache::remember(const rootfs::Rootfs& rootfs, const std::map<std::string, std::string>& hashes) noexcept {
  try {
    for (const auto& [path, e] : rootfs.entries()) {
      if (e.type != rootfs::EntryType::File || rootfs::bytes_in_memory(e)) continue;
      auto h = hashes.find(path);
      auto s = stamp(e.source);
      // Changed at most a tick before this build began: the hash might
      // predate a write with the same timestamps. Hash it again next time.
      if (h == hashes.end() || !s || !s->settled_before(started_ns_)) continue;
      auto& rec = index_->files[e.source.string()];
      if (rec.stamp == *s && rec.sha256 == h->second) continue;
      rec = Index::Record{*s, h->second, true};
      index_->dirty = true;
    }
    if (!index_->dirty) return;
    DirLock lock(dir_);
    if (!lock) return;
    // Keep what concurrent builds recorded meanwhile; ours wins for our files.
    Index merged;
    merged.load(dir_ / "file-hashes");
    for (auto& [path, rec] : index_->files)
      if (rec.used || !merged.files.count(path)) merged.files[path] = rec;
    util::write_file_atomic(dir_ / "file-hashes", merged.serialise());
    index_->dirty = false;
  } catch (const std::exception& e) {
    util::warn("could not update the cache's file-hash index in " + dir_.string() + ": " + e.what());
  }
}

// Deletes entries, least recently used first, until the cache fits.
void LayerCache::evict() noexcept {
  try {
    DirLock lock(dir_);
    if (!lock) return;
    struct Item {
      fs::file_time_type used;
      std::string key;
      uint64_t bytes;
    };
    std::vector<Item> items;
    uint64_t total = 0;
    for (const auto& f : fs::directory_iterator(dir_ / "entries")) {
      if (f.path().extension() != ".json") continue;
      std::error_code ec;
      std::string key = f.path().stem().string();
      uint64_t bytes = fs::file_size(dir_ / "entries" / (key + ".blob"), ec);
      if (ec) bytes = 0;
      items.push_back({fs::last_write_time(f.path(), ec), key, bytes});
      total += bytes;
    }
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.used < b.used; });
    for (const auto& it : items) {
      if (total <= max_bytes_) break;
      std::error_code ec;
      fs::remove(dir_ / "entries" / (it.key + ".json"), ec);  // first: the entry stops existing
      fs::remove(dir_ / "entries" / (it.key + ".blob"), ec);
      total -= it.bytes;
      util::debug("cache: evicted " + it.key);
    }
  } catch (const std::exception& e) {
    util::warn("could not trim the cache in " + dir_.string() + ": " + e.what());
  }
}

}  // namespace slimbuild::layer
