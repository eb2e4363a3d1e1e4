// Atomic files and directories, temporary directories, small-file reads.
#include <slimbuild/util/fs.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include <slimbuild/util/environment.hpp>
#include <slimbuild/util/error.hpp>
#include <slimbuild/util/handles.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::util {

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("error reading " + file.string());
  return ss.str();
}

namespace {
std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> d(0, 0xffffff);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06x", d(rd));
  return std::to_string(::getpid()) + "-" + buf;
}
}  // namespace

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
  fs::path dir = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + dir.string() + ": " + ec.message());
  if (fs::is_directory(target_, ec))
    throw Error(target_.string() + " is a directory", "name a file to write, not a directory");
  std::string tmpl = (dir / ("." + target_.filename().string() + ".tmp-XXXXXX")).string();
  fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd_ < 0) throw Error("cannot create a file in " + dir.string() + ": " + std::strerror(errno));
  temp_ = tmpl;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

int AtomicFile::fd() const noexcept { return fd_; }

void AtomicFile::write(std::string_view data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("cannot write " + target_.string() + ": " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit(unsigned mode) {
  int fd = std::exchange(fd_, -1);
  bool ok = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(temp_.c_str(), target_.c_str()) != 0)
    throw Error("cannot write " + target_.string() + ": " + std::strerror(errno));
  committed_ = true;
}

void write_file_atomic(const fs::path& file, std::string_view data, unsigned mode) {
  AtomicFile out(file);
  out.write(data);
  out.commit(mode);
}

namespace {

// flock on `.NAME.lock` beside the target, held until the AtomicDir goes;
// the holder unlinks it before releasing, so nothing stays beside the
// output. A waiter that wakes up holding an unlinked file (the inode at the
// path is no longer the one it locked) opens the path again.
int lock_beside(const fs::path& lock, const fs::path& target) {
  for (bool said = false;;) {
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw Error("cannot create the lock " + lock.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (!said) info("waiting for another slimbuild that is writing " + target.string() + " (lock " + lock.string() + ")");
      said = true;
      while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
          ::close(fd);
          throw Error("cannot lock " + lock.string() + ": " + std::strerror(errno));
        }
      }
    }
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::lstat(lock.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev)
      return fd;
    ::close(fd);
  }
}

// With the lock held no other writer is alive, so these are a killed one's.
void remove_leftovers(const fs::path& parent, const std::string& name) {
  const std::string tmp = "." + name + ".tmp-", old = "." + name + ".old-";
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (n.rfind(tmp, 0) != 0 && n.rfind(old, 0) != 0) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (!rm) debug("removed " + it->path().string() + ", left by an interrupted build");
  }
}

}  // namespace

AtomicDir::AtomicDir(fs::path target) : target_(std::move(target)) {
  if (target_.filename().empty()) target_ = target_.parent_path();  // "out/" -> "out"
  fs::path parent = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw Error("cannot create " + parent.string() + ": " + ec.message());
  const std::string name = target_.filename().string();
  lock_ = parent / ("." + name + ".lock");
  lock_fd_ = lock_beside(lock_, target_);
  remove_leftovers(parent, name);
  temp_ = parent / ("." + name + ".tmp-" + random_suffix());
  if (!fs::create_directory(temp_, ec) || ec) {
    ::unlink(lock_.c_str());
    ::close(lock_fd_);
    throw Error("cannot create " + temp_.string() + ": " + (ec ? ec.message() : "already exists"));
  }
}

AtomicDir::~AtomicDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
  if (lock_fd_ >= 0) {
    ::unlink(lock_.c_str());
    ::close(lock_fd_);
  }
}

void AtomicDir::commit(const ReplaceCheck& check) {
  std::error_code ec;
  auto st = fs::symlink_status(target_, ec);
  if (!fs::exists(st)) {
    fs::rename(temp_, target_, ec);
    if (ec) throw Error("cannot move output into " + target_.string() + ": " + ec.message());
    committed_ = true;
    return;
  }
  if (!fs::is_directory(st))
    throw Error(target_.string() + " exists and is not a directory", "remove it or choose another --output");
  if (check) check(target_);
  // One step: afterwards temp_ holds the previous output, target_ the new one.
  if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
    committed_ = true;
    fs::remove_all(temp_, ec);
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    throw Error("cannot replace " + target_.string() + ": " + std::strerror(errno));
  warn("the file system of " + target_.string() + " cannot exchange directories atomically (renameat2 "
       "RENAME_EXCHANGE): replacing it in two renames, so for a moment it does not exist");
  fs::path old = target_.parent_path() / ("." + target_.filename().string() + ".old-" + random_suffix());
  fs::rename(target_, old, ec);
  if (ec) throw Error("cannot replace " + target_.string() + ": " + ec.message());
  fs::rename(temp_, target_, ec);
  if (ec) {
    std::error_code back;
    fs::rename(old, target_, back);  // put the previous output back
    throw Error("cannot move output into " + target_.string() + ": " + ec.message());
  }
  committed_ = true;
  fs::remove_all(old, ec);
}

TempDir::TempDir(std::string_view prefix) {
  std::string tmpl = environment().get("TMPDIR").value_or("/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw Error("cannot create a temporary directory: " + std::string(std::strerror(errno)));
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace slimbuild::util
