// util::FileSystem: one contract checked against both the real file system
// (a temporary directory) and tests/unit/fake_filesystem.hpp, so a test that
// uses the fake tests what the real one does: errno values instead of
// exceptions, lstat vs stat on links, unsorted listings, the read cap,
// open_beneath's refusals. Then what only the fake does: injected errors,
// the open hook and call counts.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>

#include <slimbuild/util/file_identity.hpp>
#include <slimbuild/util/filesystem.hpp>
#include <slimbuild/util/fs.hpp>

#include "unit/fake_filesystem.hpp"

namespace fs = std::filesystem;
using slimbuild::util::FileSystem;
using slimbuild::util::FinalLink;

namespace {

struct Builder {
  std::function<void(const fs::path&)> dir;
  std::function<void(const fs::path&, const std::string&)> file;
  std::function<void(const fs::path&, const std::string&)> symlink;
};

std::string read_fd(int fd) {
  std::string out(64, '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

void check_contract(const FileSystem& files, const fs::path& root, const Builder& b) {
  b.dir(root / "d");
  b.file(root / "d/b.txt", "bee");
  b.file(root / "d/a.txt", "a");
  b.file(root / "d/c.txt", "sea");
  b.symlink(root / "d/link", "a.txt");
  b.symlink(root / "up", "d");

  // lstat sees the link, stat its target; a missing path is ENOENT, not a throw.
  REQUIRE(files.lstat(root / "d/link"));
  CHECK(S_ISLNK(files.lstat(root / "d/link")->st_mode));
  CHECK(S_ISREG(files.stat(root / "d/link")->st_mode));
  CHECK(files.stat(root / "d/link")->st_size == 1);
  CHECK(files.lstat(root / "nope").error() == ENOENT);
  CHECK(files.stat(root / "d/a.txt/x").error() == ENOTDIR);
  CHECK(*files.readlink(root / "d/link") == "a.txt");
  CHECK(files.readlink(root / "d/a.txt").error() == EINVAL);

  // list_dir: every name, no "." or "..", order unspecified.
  auto names = files.list_dir(root / "d");
  REQUIRE(names);
  std::sort(names->begin(), names->end());
  CHECK(*names == std::vector<std::string>{"a.txt", "b.txt", "c.txt", "link"});
  CHECK(files.list_dir(root / "d/a.txt").error() == ENOTDIR);
  CHECK(files.list_dir(root / "gone").error() == ENOENT);
  // list_dir_kinds: the same names; a kind, where given, is the lstat's.
  auto kinds = files.list_dir_kinds(root / "d");
  REQUIRE(kinds);
  std::sort(kinds->begin(), kinds->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  REQUIRE(kinds->size() == 4);
  using slimbuild::util::ListedKind;
  for (const auto& [name, kind] : *kinds) {
    INFO(name);
    auto want = name == "link" ? ListedKind::Symlink : ListedKind::Regular;
    CHECK((kind == ListedKind::Unknown || kind == want));
  }
  CHECK(files.list_dir_kinds(root / "gone").error() == ENOENT);

  // canonical: every link resolved, to an absolute path; a missing one is ENOENT.
  REQUIRE(files.canonical(root / "up/link"));
  CHECK(*files.canonical(root / "up/link") == *files.canonical(root / "d/a.txt"));
  CHECK(files.canonical(root / "up/link")->filename() == "a.txt");
  CHECK(files.canonical(root / "up/link")->is_absolute());
  CHECK(files.canonical(root / "d/none").error() == ENOENT);

  // read_file: the cap is EFBIG, a directory EISDIR.
  CHECK(*files.read_file(root / "d/c.txt", 3) == "sea");
  CHECK(files.read_file(root / "d/c.txt", 2).error() == EFBIG);
  CHECK(files.read_file(root / "d", 100).error() == EISDIR);

  // open_read follows a final link unless told not to; fstat gives the file's identity.
  auto fd = files.open_read(root / "d/link");
  REQUIRE(fd);
  CHECK(read_fd(fd->get()) == "a");
  CHECK(files.fstat(fd->get())->st_ino == files.stat(root / "d/a.txt")->st_ino);
  CHECK(files.open_read(root / "d/link", FinalLink::Refuse).error() == ELOOP);

  // open_beneath: no symlink anywhere below the root, nothing above it.
  auto beneath = files.open_beneath(root, "d/b.txt");
  REQUIRE(beneath);
  CHECK(read_fd(beneath->get()) == "bee");
  CHECK(files.open_beneath(root, "up/b.txt").error() == ELOOP);
  CHECK(files.open_beneath(root, "d/link").error() == ELOOP);
  CHECK(files.open_beneath(root, "../x").error() == EXDEV);
  CHECK(files.open_beneath(root, ".").error() == EINVAL);
  CHECK(files.open_beneath(root, "d/none").error() == ENOENT);
  // open_root holds a directory; open_beneath from it refuses what the path form does.
  auto held = files.open_root(root);
  REQUIRE(held);
  CHECK(held->path == root);
  auto from_held = files.open_beneath(*held, "d/c.txt");
  REQUIRE(from_held);
  CHECK(read_fd(from_held->get()) == "sea");
  CHECK(files.open_beneath(*held, "up/b.txt").error() == ELOOP);
  CHECK(files.open_beneath(*held, "d/link").error() == ELOOP);
  CHECK(files.open_beneath(*held, "../x").error() == EXDEV);
  CHECK(files.open_beneath(*held, ".").error() == EINVAL);
  CHECK(files.open_root(root / "d/a.txt").error() == ENOTDIR);
  CHECK(files.open_root(root / "gone").error() == ENOENT);
}

}  // namespace

TEST_CASE("util: the real file system keeps the FileSystem contract") {
  slimbuild::util::TempDir tmp("fs-contract");
  fs::path root = fs::canonical(tmp.path());
  Builder b{[](const fs::path& p) { fs::create_directories(p); },
            [](const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; },
            [](const fs::path& p, const std::string& target) { fs::create_symlink(target, p); }};
  check_contract(slimbuild::util::real_filesystem(), root, b);
  CHECK(slimbuild::util::real_filesystem().concurrent());
  // The real listing says the kind (ext4, tmpfs and overlayfs all do).
  auto kinds = slimbuild::util::real_filesystem().list_dir_kinds(root);
  REQUIRE(kinds);
  for (const auto& [name, kind] : *kinds)
    if (name == "d") CHECK(kind == slimbuild::util::ListedKind::Directory);

  // A held root is that directory whatever happens to its path later: a
  // tree renamed away and replaced mid-walk still reads from the original.
  auto held = slimbuild::util::real_filesystem().open_root(root / "d");
  REQUIRE(held);
  fs::rename(root / "d", root / "moved");
  fs::create_directory(root / "d");
  std::ofstream(root / "d/c.txt") << "other";
  auto fd = slimbuild::util::real_filesystem().open_beneath(*held, "c.txt");
  REQUIRE(fd);
  CHECK(read_fd(fd->get()) == "sea");
}

TEST_CASE("util: the fake file system keeps the same contract") {
  fake_fs::FakeFileSystem fake;
  Builder b{[&](const fs::path& p) { fake.add_dir(p); },
            [&](const fs::path& p, const std::string& text) { fake.add_file(p, text); },
            [&](const fs::path& p, const std::string& target) { fake.add_symlink(p, target); }};
  check_contract(fake, "/tree", b);
}

TEST_CASE("util: the fake injects errors per path, runs the open hook and counts calls") {
  fake_fs::FakeFileSystem fake;
  fake.add_file("/etc/a.conf", "x");
  fake.add_file("/secret/dir/key", "k");
  fake.add_symlink("/loop1", "/loop2");
  fake.add_symlink("/loop2", "/loop1");
  fake.fail("/secret", EACCES);
  fake.fail("/etc/a.conf", EIO, fake_fs::kReadFile);

  CHECK(fake.stat("/loop1/x").error() == ELOOP);
  CHECK(fake.lstat("/secret/dir/key").error() == EACCES);
  CHECK(fake.list_dir("/secret").error() == EACCES);
  CHECK(fake.stat("/etc/a.conf"));  // only read_file was told to fail
  CHECK(fake.read_file("/etc/a.conf", 10).error() == EIO);

  // A file replaced between lstat and open is another inode: the identity check fires.
  fake.add_file("/tree/f", "old");
  auto seen = slimbuild::util::FileIdentity::of(*fake.lstat("/tree/f"));
  fake.before_open = [&](const fs::path& p) {
    if (p == "/tree/f") fake.add_file("/tree/f", "new!");
  };
  CHECK_THROWS_WITH(slimbuild::util::open_checked("/tree/f", seen, "/tree", fake),
                    Catch::Contains("/tree/f changed between the check and the read (it is another file now"));
  CHECK(fake.calls(fake_fs::kOpenBeneath, "/tree/f") == 1);
  CHECK(fake.calls(fake_fs::kLstat) == 2);
}
