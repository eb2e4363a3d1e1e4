// write_layer: Rootfs -> TarStream -> Compressor -> blob file, one pass.
// Each source file is opened once, checked against the size recorded when it
// was added, and streamed in fixed chunks that feed the per-file hash and the
// tar at the same time. A file that changes underneath us is an error, never
// a silently different (or zero-padded) layer.
#include <slimbuild/layer/layer_writer.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include <slimbuild/layer/compressor.hpp>
#include "layer/tar_stream.hpp"
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::layer {

namespace {

constexpr std::size_t kReadChunk = 256 * 1024;

std::string describe(const rootfs::Entry& e) { return e.source.string() + " (for " + e.path + ")"; }

Error changed_error(const rootfs::Entry& e, const std::string& how) {
  return Error(describe(e) + " changed while it was being read (" + how + ")",
               "make sure nothing modifies the inputs during the build, then run it again");
}

// Reads exactly e.size bytes of e.source into the tar, hashing them on the way.
// Few system calls per file (a tree of 50,000 small files pays each one
// 50,000 times): open (with open_checked's identity fstat), reads that also
// ask for one byte more so the end of a small file shows in the same read,
// one fstat after, close.
std::string stream_source(const rootfs::Entry& e, TarStream& tar, std::vector<char>& buf, rootfs::SourceOpener& sources,
                          util::ProgressSink* progress) {
  // Beneath its tree root without following links, and the very file the
  // walk (and the secret scan) saw: same device, inode, size and mtime.
  util::Fd fd = sources.open(e);
  int64_t mtime_sec = 0, mtime_nsec = 0;
  if (e.identity && e.identity->size == e.size) {
    // open_checked compared it: a regular file of e.size bytes.
    mtime_sec = e.identity->mtime_sec;
    mtime_nsec = e.identity->mtime_nsec;
  } else {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw Error("cannot stat " + describe(e) + ": " + std::strerror(errno));
    // A FIFO or device could block forever or never end; only plain files.
    if (!S_ISREG(st.st_mode)) throw Error(describe(e) + " is not a regular file");
    if (static_cast<uint64_t>(st.st_size) != e.size)
      throw changed_error(e, "it had " + std::to_string(e.size) + " bytes when it was selected, now " +
                                 std::to_string(st.st_size));
    mtime_sec = st.st_mtim.tv_sec;
    mtime_nsec = st.st_mtim.tv_nsec;
  }

  util::Sha256 hash;
  uint64_t left = e.size;
  bool saw_end = false;  // a read returned less than it asked for with nothing left to read
  while (left > 0 || !saw_end) {
    util::throw_if_interrupted();
    const std::size_t ask = static_cast<std::size_t>(std::min<uint64_t>(left + 1, buf.size()));
    ssize_t n = ::read(fd.get(), buf.data(), ask);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot read " + describe(e) + ": " + std::strerror(errno));
    }
    // The header already promised e.size bytes: more data means the file grew.
    if (static_cast<uint64_t>(n) > left) throw changed_error(e, "it grew past " + std::to_string(e.size) + " bytes");
    if (n == 0) {
      if (left > 0) throw changed_error(e, "it ended " + std::to_string(left) + " bytes early");
      break;
    }
    hash.update(buf.data(), static_cast<std::size_t>(n));
    tar.write_data(buf.data(), static_cast<std::size_t>(n));
    left -= static_cast<uint64_t>(n);
    if (progress) progress->advance(static_cast<uint64_t>(n));
    saw_end = left == 0 && static_cast<std::size_t>(n) < ask;
  }
  // A same-size rewrite during the read would give a torn mix of old and new
  // bytes; any write moves the modification time.
  struct stat after {};
  if (::fstat(fd.get(), &after) != 0) throw Error("cannot stat " + describe(e) + ": " + std::strerror(errno));
  if (after.st_mtim.tv_sec != mtime_sec || after.st_mtim.tv_nsec != mtime_nsec ||
      static_cast<uint64_t>(after.st_size) != e.size)
    throw changed_error(e, "it was modified during the read");
  return hash.hex();
}

TarHeader header_for(const rootfs::Entry& e, int64_t mtime) {
  TarHeader h;
  h.path = tar_name(e.path, e.type);
  h.type = e.type;
  h.uid = e.uid;
  h.gid = e.gid;
  h.mtime = mtime;
  h.mode = e.mode;
  h.xattrs = e.xattrs;
  switch (e.type) {
    case rootfs::EntryType::Directory: break;
    case rootfs::EntryType::File: h.size = rootfs::bytes_in_memory(e) ? e.content.size() : e.size; break;
    case rootfs::EntryType::Symlink:
      // Linux ignores a symlink's permission bits and lstat() reports 0777;
      // every other image tool writes that, so the rootfs's value is unused.
      h.mode = 0777;
      h.link_target = e.link_target;
      break;
  }
  return h;
}

void write_entries(const rootfs::Rootfs& rootfs, const LayerOptions& options, TarStream& tar,
                   LayerResult& result) {
  std::vector<char> buf(kReadChunk);
  rootfs::SourceOpener sources;
  util::ProgressSink* progress = options.progress;
  if (progress) {
    uint64_t total = 0;
    for (const auto& [path, e] : rootfs.entries())
      if (e.type == rootfs::EntryType::File) total += rootfs::bytes_in_memory(e) ? e.content.size() : e.size;
    progress->start(total);
  }
  // The line goes when the layer is done or abandoned (an error, Ctrl-C).
  struct FinishProgress {
    util::ProgressSink* sink;
    ~FinishProgress() {
      if (sink) sink->finish();
    }
  } finish_progress{progress};
  for (const auto& [path, e] : rootfs.entries()) {
    util::throw_if_interrupted();
    tar.write_header(header_for(e, options.mtime));
    if (e.type != rootfs::EntryType::File) continue;
    if (rootfs::bytes_in_memory(e)) {
      tar.write_data(e.content.data(), e.content.size());
      result.file_sha256[path] = util::sha256_hex(e.content);
      if (progress) progress->advance(e.content.size());
    } else {
      result.file_sha256[path] = stream_source(e, tar, buf, sources, progress);
    }
  }
  tar.finish();
}

}  // namespace

LayerResult write_layer(const rootfs::Rootfs& rootfs, const fs::path& out_file, const LayerOptions& options) {
  if (options.mtime < 0)
    throw Error("the layer timestamp " + std::to_string(options.mtime) + " is before 1970",
                "set SOURCE_DATE_EPOCH to a non-negative number of seconds");
  // 0644 whatever the umask: the blob's mode is part of what others copy.
  util::Fd fd(::open(out_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) throw Error("cannot create " + out_file.string() + ": " + std::strerror(errno));
  bool done = false;
  struct RemoveOnFailure {
    const fs::path& file;
    const bool& done;
    BlobObserver* observer;
    ~RemoveOnFailure() {
      if (done) return;
      if (observer) observer->failed();
      ::unlink(file.c_str());
    }
  } cleanup{out_file, done, options.observer};
  ::fchmod(fd.get(), 0644);
  if (options.observer) options.observer->opened(out_file);

  LayerResult result;
  std::unique_ptr<Compressor> compressor = make_compressor(options.compression, fd.get(), out_file.string(), options.part_hashes);
  TarStream tar([&compressor](const void* p, std::size_t n) { compressor->write(p, n); });
  write_entries(rootfs, options, tar, result);
  compressor->finish();
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0)
    throw Error("cannot write " + out_file.string() + ": " + std::strerror(errno));

  const BlobHash& blob = compressor->blob();
  result.digest = blob.digest();
  result.size = blob.size();
  result.part_sha256 = blob.parts();
  result.media_type = layer_media_type(options.compression.algorithm);
  result.diff_id = tar.diff_id();
  result.tar_size = tar.size();
  if (options.observer) options.observer->closed(result.digest, result.size);
  done = true;
  return result;
}

}  // namespace slimbuild::layer
